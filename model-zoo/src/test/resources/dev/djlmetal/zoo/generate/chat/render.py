"""Renders every case of cases.json with transformers' apply_chat_template (device machine).

A tokenizer with a one-word vocabulary carries each template and the special tokens of its
tokenizer_config.json: apply_chat_template renders from exactly these two, so the output is the one
the model's own tokenizer would give. --jinja2 renders with plain jinja2 instead (only to check this
script where transformers is missing)."""
import json, os, sys, traceback
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.environ.get("OUT", here)
cases = json.load(open(os.path.join(here, "cases.json"), encoding="utf-8"))
use_jinja2 = "--jinja2" in sys.argv
results = {"versions": {}, "renderings": []}
if not use_jinja2:
    import transformers, tokenizers, jinja2
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast
    results["versions"] = {"transformers": transformers.__version__, "jinja2": jinja2.__version__,
                           "tokenizers": tokenizers.__version__}

def make_tokenizer(cfg):
    specials = {k: cfg[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if cfg.get(k)}
    vocab = {"<unk-word>": 0}
    for v in specials.values():
        vocab.setdefault(v, len(vocab))
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="<unk-word>")), **specials)
    tok.chat_template = cfg["chat_template"]
    return tok

def render_jinja2(cfg, case):
    import jinja2, jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    t = env.from_string(cfg["chat_template"])
    specials = {k: cfg[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if cfg.get(k)}
    kw = dict(specials); kw.update(case.get("kwargs", {}))
    return t.render(messages=case["messages"], tools=case.get("tools"), add_generation_prompt=case["add_generation_prompt"], **kw)

for case in cases:
    cfg = json.load(open(os.path.join(here, "templates", case["template"] + ".json"), encoding="utf-8"))
    entry = {"template": case["template"], "case": case["case"]}
    try:
        if use_jinja2:
            text = render_jinja2(cfg, case)
        else:
            tok = make_tokenizer(cfg)
            text = tok.apply_chat_template(case["messages"], tools=case.get("tools"), tokenize=False,
                                           add_generation_prompt=case["add_generation_prompt"], **case.get("kwargs", {}))
            if isinstance(text, dict):
                text = text.get("input_ids", text)
        entry["output"] = text
    except Exception as e:
        entry["error"] = type(e).__name__ + ": " + str(e)
        entry["trace"] = traceback.format_exc()[-600:]
    results["renderings"].append(entry)
name = "expected-jinja2.json" if use_jinja2 else "expected.json"
json.dump(results, open(os.path.join(out_dir, name), "w", encoding="utf-8"), indent=1, ensure_ascii=False)
print("wrote", name, len(results["renderings"]), "errors:", sum(1 for r in results["renderings"] if "error" in r))
