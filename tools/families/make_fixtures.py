#!/usr/bin/env python3
"""Builds the model-family test fixtures of djl-metal with Hugging Face transformers.

For every case of families.CASES: a tiny model built from its config (no download), random
weights rounded to bfloat16, and transformers' own outputs as the expected values:

- float: prompt logits, greedy tokens with the KV cache and the logits of every step, and the
  logits of a left-padded batch with an attention mask;
- quantized: transformers run on weights quantized and dequantized with MLX's exact numerics
  (mlx_affine.py, float32 with round-half-to-even), for every bit width and group size: prompt
  logits and greedy tokens;
- the MLX / mlx-lm layout (families.build_mlx_layout, bfloat16 scales and biases) of some cases,
  and transformers run on its dequantized weights.

It also checks, with transformers itself, the two layouts the fixtures do not store: the
transformers 4 config.json (config_tf4.json is loaded by transformers and must give the same
logits) and, for mixture-of-experts cases, the transformers 4 per-expert tensor names.

Usage (torch and transformers 5 installed; CPU is enough):
    python3 make_fixtures.py --out DIR
writes DIR/families.tar.gz (one folder per case) and DIR/log.txt.
"""

import argparse
import io
import json
import math
import os
import sys
import tarfile
import tempfile
import traceback

import numpy as np
import torch
import transformers
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM

import families
import mlx_affine

PROMPT_LEN = 10
NEW_TOKENS = 10
PAD_LEFT = 3
LOG = []


def log(*parts):
    line = " ".join(str(p) for p in parts)
    LOG.append(line)
    print(line, flush=True)


def make_config(case):
    errors = []
    for i, kwargs in enumerate(case["attempts"]):
        try:
            return AutoConfig.for_model(case["model_type"], **kwargs), i
        except Exception as e:  # noqa: BLE001 - try the next spelling
            errors.append("attempt %d: %r" % (i, e))
    raise RuntimeError("no config attempt accepted: " + "; ".join(errors))


def randomize(model, norm_offset, tied, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if p.ndim == 1:
                if "norm" in name:
                    value = (0.0 if norm_offset else 1.0) + 0.1 * noise
                else:
                    value = 0.1 * noise
            elif name.endswith("embed_tokens.weight"):
                # tied tables are also the output projection: small rows keep the last token's
                # own embedding from dominating the residual stream (greedy loops)
                value = noise * ((0.05 if norm_offset else 0.1) if tied else 1.0)
            else:
                value = noise / math.sqrt(p.shape[-1])
                if name.endswith("mlp.gate.weight") or name.endswith("block_sparse_moe.gate.weight"):
                    value = value * 3.0
            p.copy_(value.to(torch.bfloat16).to(torch.float32))


def state_numpy(model):
    return {k: v.detach().to(torch.float32).cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_numpy(model, tensors):
    sd = model.state_dict()
    missing = set(sd) - set(tensors)
    if missing:
        raise ValueError("tensors missing for load: %s" % sorted(missing))
    with torch.no_grad():
        for k, v in sd.items():
            v.copy_(torch.from_numpy(np.ascontiguousarray(tensors[k])))


def prompt_logits(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float().numpy()


def greedy_cached(model, ids, n):
    toks, steps = [], []
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), use_cache=True)
        for step in range(n):
            logits = out.logits[0, -1].float()
            tok = int(torch.argmax(logits))
            toks.append(tok)
            steps.append(logits.numpy().copy())
            pos = len(ids) + step
            out = model(
                input_ids=torch.tensor([[tok]]),
                past_key_values=out.past_key_values,
                position_ids=torch.tensor([[pos]]),
                use_cache=True,
            )
    return toks, np.stack(steps)


def greedy_recomputed(model, ids, n):
    toks, steps = [], []
    seq = list(ids)
    with torch.no_grad():
        for _ in range(n):
            logits = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1].float()
            tok = int(torch.argmax(logits))
            toks.append(tok)
            steps.append(logits.numpy().copy())
            seq.append(tok)
    return toks, np.stack(steps)


def min_margin(steps):
    s = np.sort(steps, axis=-1)
    return float((s[:, -1] - s[:, -2]).min())


def batch_logits(model, ids, mask):
    m = torch.tensor(mask)
    pos = (m.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids), attention_mask=m, position_ids=pos, use_cache=False)
    return out.logits.float().numpy()


def rope_state(model):
    state = {}
    for name, module in model.named_modules():
        if hasattr(module, "inv_freq") and isinstance(getattr(module, "inv_freq"), torch.Tensor):
            entry = {"inv_freq": module.inv_freq.float().tolist()}
            if hasattr(module, "attention_scaling"):
                entry["attention_scaling"] = float(module.attention_scaling)
            state[name or "<root>"] = entry
    return state


def safetensors_names(path):
    return sorted(mlx_affine.read_safetensors(path))


def write_float_checkpoint(dirname, config_dict, tensors, dtype="F32"):
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    mlx_affine.write_safetensors(
        os.path.join(dirname, "model.safetensors"),
        {k: (dtype, v) for k, v in tensors.items()},
        metadata={"format": "pt"},
    )


def reload_logits(dirname, ids):
    model, info = AutoModelForCausalLM.from_pretrained(
        dirname, attn_implementation="eager", output_loading_info=True
    )
    model.eval()
    problems = {k: sorted(v) for k, v in info.items() if v and k != "mismatched_keys"}
    if info.get("mismatched_keys"):
        problems["mismatched_keys"] = [str(x) for x in info["mismatched_keys"]]
    return prompt_logits(model, ids), problems


def build_case(case, root, seed):
    name = case["name"]
    cfg, attempt = make_config(case)
    log("==", name, "config attempt", attempt, type(cfg).__name__)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    model.eval()
    randomize(model, case.get("norm_offset", False), bool(getattr(cfg, "tie_word_embeddings", False)), seed)
    vocab = cfg.vocab_size
    rng = np.random.default_rng(seed)
    prompt = [int(x) for x in rng.integers(3, vocab, PROMPT_LEN)]
    other = [int(x) for x in rng.integers(3, vocab, PROMPT_LEN - PAD_LEFT)]
    batch_ids = [[0] * PAD_LEFT + other, prompt]
    batch_mask = [[0] * PAD_LEFT + [1] * (PROMPT_LEN - PAD_LEFT), [1] * PROMPT_LEN]

    full = state_numpy(model)
    tied = bool(getattr(cfg, "tie_word_embeddings", False)) and "lm_head.weight" in full
    saved = {k: v for k, v in full.items() if not (tied and k == "lm_head.weight")}
    hf_linear = sorted(
        n + ".weight" for n, m in model.named_modules() if isinstance(m, nn.Linear) and n + ".weight" in full
    )
    log("tensors:", ", ".join("%s%s" % (k, list(v.shape)) for k, v in sorted(saved.items())))
    log("nn.Linear weights:", len(hf_linear), "of", len([v for v in saved.values() if v.ndim >= 2]), "matrices")

    case_dir = os.path.join(root, name)
    os.makedirs(case_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.config.save_pretrained(tmp)
        with open(os.path.join(tmp, "config.json")) as f:
            config_dict = json.load(f)
        model.save_pretrained(os.path.join(tmp, "saved"))
        saved_files = sorted(f for f in os.listdir(os.path.join(tmp, "saved")) if f.endswith(".safetensors"))
        save_pretrained_names = []
        for f in saved_files:
            save_pretrained_names += safetensors_names(os.path.join(tmp, "saved", f))
    log("layer_types:", config_dict.get("layer_types"), "rope_parameters:", config_dict.get("rope_parameters"))

    expected = {}
    meta = {
        "case": name,
        "model_type": case["model_type"],
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "config_attempt": attempt,
        "prompt": prompt,
        "batch_ids": batch_ids,
        "batch_mask": batch_mask,
        "new_tokens": NEW_TOKENS,
        "nn_linear_weights": hf_linear,
        "save_pretrained_names_differ": sorted(save_pretrained_names) != sorted(saved),
        "variants": {},
    }
    if meta["save_pretrained_names_differ"]:
        meta["save_pretrained_names"] = save_pretrained_names

    # float
    expected["float.logits"] = prompt_logits(model, prompt)
    toks, steps = greedy_cached(model, prompt, NEW_TOKENS)
    meta["rope_after_generation"] = rope_state(model)
    rtoks, rsteps = greedy_recomputed(model, prompt, NEW_TOKENS)
    meta["float"] = {"tokens": toks, "min_margin": min_margin(steps)}
    meta["cache_vs_recompute"] = {
        "tokens_equal": toks == rtoks,
        "recomputed_tokens": rtoks,
        "max_abs_diff": float(np.abs(steps - rsteps).max()),
    }
    expected["float.steps"] = steps
    expected["float.batch"] = batch_logits(model, batch_ids, batch_mask)
    log("float tokens", toks, "margin %.4g" % meta["float"]["min_margin"], "cache vs recompute", meta["cache_vs_recompute"])
    # the batch row without padding must equal the single-prompt logits
    log("batch row 1 vs prompt: %.3g" % float(np.abs(expected["float.batch"][1] - expected["float.logits"]).max()))

    variants = families.VARIANTS_LIN + families.VARIANTS_ALL
    if case.get("moe"):
        variants += families.VARIANTS_HF
    qmodel = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    qmodel.eval()
    for scope, bits, gs in variants:
        vname = families.variant_name(scope, bits, gs)
        q, done = families.quantize_scope(full, scope, bits, gs, hf_linear)
        entry = {"scope": scope, "bits": bits, "group_size": gs, "quantized_tensors": len(done)}
        if not done:
            entry["same_as"] = "float"
        else:
            load_numpy(qmodel, q)
            expected[vname + ".logits"] = prompt_logits(qmodel, prompt)
            vt, vs = greedy_cached(qmodel, prompt, NEW_TOKENS)
            entry["tokens"] = vt
            entry["min_margin"] = min_margin(vs)
        meta["variants"][vname] = entry
    log("variants:", ", ".join("%s:%s" % (k, v.get("tokens", "=float")) for k, v in meta["variants"].items()))

    # the MLX layout
    if case.get("mlx_layout"):
        spec = case["mlx_layout"]
        layout, mcfg = families.build_mlx_layout(
            saved, config_dict, spec["bits"], spec["group_size"], case.get("moe"), spec.get("overrides")
        )
        deq = families.dequantize_mlx_layout(layout, mcfg["quantization"])
        back = families.mlx_to_tf5(deq, case.get("moe"), list(saved))
        if tied:
            back["lm_head.weight"] = back["model.embed_tokens.weight"]
        load_numpy(qmodel, back)
        expected["mlx_layout.logits"] = prompt_logits(qmodel, prompt)
        mt, ms = greedy_cached(qmodel, prompt, NEW_TOKENS)
        meta["mlx_layout"] = {
            "dir": name + "-mlx",
            "bits": spec["bits"],
            "group_size": spec["group_size"],
            "overrides": spec.get("overrides", {}),
            "tokens": mt,
            "min_margin": min_margin(ms),
            "quantized_modules": sorted(k[: -len(".scales")] for k in layout if k.endswith(".scales")),
        }
        mlx_dir = os.path.join(root, name + "-mlx")
        os.makedirs(mlx_dir, exist_ok=True)
        mlx_affine.write_safetensors(os.path.join(mlx_dir, "model.safetensors"), layout, {"format": "mlx"})
        meta["mlx_layout"]["config"] = mcfg
        log("mlx layout", spec, "tokens", mt, "modules", len(meta["mlx_layout"]["quantized_modules"]))

    # transformers 4 config.json, checked by transformers itself
    c4 = families.tf4_config(config_dict, case["model_type"])
    with tempfile.TemporaryDirectory() as tmp:
        write_float_checkpoint(tmp, c4, saved)
        try:
            logits4, problems = reload_logits(tmp, prompt)
            meta["tf4_config"] = {
                "max_abs_diff": float(np.abs(logits4 - expected["float.logits"]).max()),
                "loading_problems": problems,
            }
        except Exception as e:  # noqa: BLE001 - recorded
            meta["tf4_config"] = {"error": repr(e)}
    log("tf4 config:", meta["tf4_config"])

    # transformers 4 per-expert tensors, checked by transformers itself
    if case.get("moe"):
        tf4 = families.tf5_to_tf4(saved, case["moe"])
        with tempfile.TemporaryDirectory() as tmp:
            write_float_checkpoint(tmp, config_dict, tf4)
            try:
                logits4, problems = reload_logits(tmp, prompt)
                meta["tf4_layout"] = {
                    "max_abs_diff": float(np.abs(logits4 - expected["float.logits"]).max()),
                    "loading_problems": problems,
                }
            except Exception as e:  # noqa: BLE001 - recorded
                meta["tf4_layout"] = {"error": repr(e)}
        meta["tf4_layout"]["names"] = sorted(tf4)
        log("tf4 layout:", {k: v for k, v in meta["tf4_layout"].items() if k != "names"})

    # an end-of-sequence id that never comes up, so generation runs all NEW_TOKENS steps
    used = set(prompt) | set(other) | set(meta["float"]["tokens"])
    for entry in list(meta["variants"].values()) + [meta.get("mlx_layout", {})]:
        used |= set(entry.get("tokens", []))
    free = [t for t in range(3, vocab) if t not in used]
    eos = free[0] if free else 2
    meta["eos_token_id"] = eos
    config_dict["eos_token_id"] = eos
    c4["eos_token_id"] = eos
    with open(os.path.join(case_dir, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    with open(os.path.join(case_dir, "config_tf4.json"), "w") as f:
        json.dump(c4, f, indent=2)
    if case.get("mlx_layout"):
        mcfg = meta["mlx_layout"].pop("config")
        mcfg["eos_token_id"] = eos
        with open(os.path.join(root, name + "-mlx", "config.json"), "w") as f:
            json.dump(mcfg, f, indent=2)
    mlx_affine.write_safetensors(
        os.path.join(case_dir, "model.safetensors"), {k: ("BF16", v) for k, v in saved.items()}, {"format": "pt"}
    )
    mlx_affine.write_safetensors(
        os.path.join(case_dir, "expected.safetensors"),
        {k: ("F32", v.astype(np.float32)) for k, v in expected.items()},
    )
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(8)
    os.makedirs(args.out, exist_ok=True)
    log("transformers", transformers.__version__, "torch", torch.__version__, "numpy", np.__version__)
    root = tempfile.mkdtemp()
    summary = {}
    for i, case in enumerate(families.CASES):
        if args.only and case["name"] not in args.only.split(","):
            continue
        try:
            meta = build_case(case, root, case.get("seed", 1000 + i))
            summary[case["name"]] = "ok"
            del meta
        except Exception:  # noqa: BLE001 - keep going, report
            summary[case["name"]] = traceback.format_exc()
            log("FAILED", case["name"], summary[case["name"]])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root, arcname="families")
    with open(os.path.join(args.out, "families.tar.gz"), "wb") as f:
        f.write(buf.getvalue())
    log("summary:", json.dumps({k: (v if v == "ok" else "FAILED") for k, v in summary.items()}))
    with open(os.path.join(args.out, "log.txt"), "w") as f:
        f.write("\n".join(LOG) + "\n")
    return 0 if all(v == "ok" for v in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
