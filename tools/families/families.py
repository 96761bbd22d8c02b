"""The tiny model families of the djl-metal family fixtures, and their checkpoint layouts.

Pure numpy (no torch): tensor-name mappings between the transformers 5 layout (fused 3-D experts),
the transformers 4 layout (one module per expert) and MLX / mlx-lm's layout (stacked
``switch_mlp``), the quantization scopes of the expected values, and the MLX checkpoint builder.
"""

import copy

import numpy as np

import mlx_affine

_COMMON = dict(
    vocab_size=48,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=64,
    max_position_embeddings=64,
    rms_norm_eps=1e-6,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
    tie_word_embeddings=False,
)


def _cfg(**overrides):
    c = dict(_COMMON)
    c.update(overrides)
    return c


# Each case: name, model_type, config attempts (transformers 5 style first, older spellings after:
# the first one transformers accepts is used), the MoE layout kind and the MLX layout to write.
CASES = [
    dict(
        name="llama",
        model_type="llama",
        attempts=[
            _cfg(
                intermediate_size=128,  # down_proj has K=128: group size 128 is covered
                tie_word_embeddings=True,
                rope_parameters=dict(
                    rope_type="llama3",
                    rope_theta=500000.0,
                    factor=8.0,
                    low_freq_factor=1.0,
                    high_freq_factor=4.0,
                    original_max_position_embeddings=16,
                ),
            ),
        ],
    ),
    dict(
        name="mistral",
        model_type="mistral",
        attempts=[_cfg(sliding_window=4, rope_parameters=dict(rope_type="default", rope_theta=10000.0))],
    ),
    dict(
        name="ministral",
        model_type="ministral",
        attempts=[
            _cfg(
                sliding_window=4,
                layer_types=["sliding_attention", "full_attention"],
                rope_parameters=dict(rope_type="default", rope_theta=100000000.0),
            )
        ],
    ),
    dict(
        name="qwen2",
        model_type="qwen2",
        attempts=[
            _cfg(
                use_sliding_window=True,
                sliding_window=4,
                max_window_layers=1,
                rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
            )
        ],
    ),
    dict(
        name="qwen3",
        model_type="qwen3",
        attempts=[
            _cfg(
                head_dim=32,  # independent of hidden_size / heads; o_proj has K=128
                num_key_value_heads=1,
                tie_word_embeddings=True,
                rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
            )
        ],
    ),
    dict(
        name="gemma2",
        model_type="gemma2",
        norm_offset=True,
        attempts=[
            _cfg(
                tie_word_embeddings=True,
                query_pre_attn_scalar=24,
                attn_logit_softcapping=2.0,
                final_logit_softcapping=3.0,
                sliding_window=4,
                hidden_activation="gelu_pytorch_tanh",
                rope_parameters=dict(rope_type="default", rope_theta=10000.0),
            )
        ],
    ),
    dict(
        name="gemma3",
        model_type="gemma3_text",
        norm_offset=True,
        mlx_layout=dict(bits=4, group_size=64),
        attempts=[
            _cfg(
                tie_word_embeddings=True,
                query_pre_attn_scalar=16,
                sliding_window=4,
                hidden_activation="gelu_pytorch_tanh",
                layer_types=["sliding_attention", "full_attention"],
                rope_parameters=dict(
                    sliding_attention=dict(rope_type="default", rope_theta=10000.0),
                    full_attention=dict(rope_type="linear", factor=2.0, rope_theta=1000000.0),
                ),
            ),
            _cfg(
                tie_word_embeddings=True,
                query_pre_attn_scalar=16,
                sliding_window=4,
                hidden_activation="gelu_pytorch_tanh",
                sliding_window_pattern=2,
                rope_theta=1000000.0,
                rope_local_base_freq=10000.0,
                rope_scaling=dict(rope_type="linear", factor=2.0),
            ),
        ],
    ),
    dict(
        name="phi3",
        model_type="phi3",
        mlx_layout=dict(bits=6, group_size=32),
        attempts=[
            _cfg(
                tie_word_embeddings=True,
                partial_rotary_factor=0.5,
                original_max_position_embeddings=12,
                sliding_window=None,
                rope_parameters=dict(
                    rope_type="longrope",
                    rope_theta=10000.0,
                    short_factor=[1.0, 1.5, 2.0, 4.0],
                    long_factor=[1.5, 3.0, 6.0, 12.0],
                    original_max_position_embeddings=12,
                    partial_rotary_factor=0.5,
                ),
            ),
            _cfg(
                tie_word_embeddings=True,
                partial_rotary_factor=0.5,
                original_max_position_embeddings=12,
                sliding_window=None,
                rope_theta=10000.0,
                rope_scaling=dict(
                    type="longrope",
                    short_factor=[1.0, 1.5, 2.0, 4.0],
                    long_factor=[1.5, 3.0, 6.0, 12.0],
                ),
            ),
        ],
    ),
    dict(
        name="mixtral",
        model_type="mixtral",
        seed=2024,
        moe="mixtral",
        mlx_layout=dict(bits=3, group_size=64),
        attempts=[
            _cfg(
                num_attention_heads=2,
                num_key_value_heads=1,
                intermediate_size=32,
                num_local_experts=4,
                num_experts_per_tok=2,
                router_jitter_noise=0.0,
                sliding_window=None,
                rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
            )
        ],
    ),
    dict(
        name="qwen2_moe",
        model_type="qwen2_moe",
        moe="qwen",
        mlx_layout=dict(bits=8, group_size=32),
        attempts=[
            _cfg(
                num_attention_heads=2,
                num_key_value_heads=1,
                num_experts=4,
                num_experts_per_tok=2,
                moe_intermediate_size=32,
                shared_expert_intermediate_size=32,
                intermediate_size=128,  # the dense layer 0: group size 128 is covered
                mlp_only_layers=[0],
                decoder_sparse_step=1,
                norm_topk_prob=False,
                use_sliding_window=False,
                rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
            )
        ],
    ),
    dict(
        name="qwen3_moe",
        model_type="qwen3_moe",
        moe="qwen",
        mlx_layout=dict(bits=4, group_size=32, overrides={"mlp.gate": dict(bits=8, group_size=64)}),
        attempts=[
            _cfg(
                num_attention_heads=2,
                num_key_value_heads=1,
                tie_word_embeddings=True,
                num_experts=4,
                num_experts_per_tok=2,
                moe_intermediate_size=32,
                mlp_only_layers=[],
                decoder_sparse_step=1,
                norm_topk_prob=True,
                rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
            )
        ],
    ),
]

# The quantized variants whose expected values are computed: (scope, bits, group size).
# lin: every linear layer and expert stack except lm_head (quantize on the fly, defaults);
# all: embeddings and lm_head too (MLX's scope; on the fly with quantize_embeddings=true and
#      modules_to_not_convert empty);
# hf:  transformers' MetalHfQuantizer scope (nn.Linear modules except lm_head), MoE cases only.
VARIANTS_LIN = [("lin", b, g) for b in mlx_affine.SUPPORTED_BITS for g in mlx_affine.SUPPORTED_GROUP_SIZES]
VARIANTS_ALL = [("all", b, 64) for b in mlx_affine.SUPPORTED_BITS] + [("all", 4, 32), ("all", 4, 128)]
VARIANTS_HF = [("hf", 2, 64), ("hf", 4, 32), ("hf", 4, 64), ("hf", 4, 128), ("hf", 8, 64)]


def variant_name(scope, bits, group_size):
    return "%s_b%d_g%d" % (scope, bits, group_size)


# --------------------------------------------------------------------------------------------
# scopes


def is_embedding(name):
    return name.endswith("embed_tokens.weight")


def is_lm_head(name):
    return name == "lm_head.weight"


def in_scope(name, array, scope, hf_linear_weights=()):
    if array.ndim < 2:
        return False
    if scope == "all":
        return True
    if scope == "lin":
        return not is_embedding(name) and not is_lm_head(name)
    if scope == "hf":
        return name in hf_linear_weights and not is_lm_head(name)
    raise ValueError(scope)


def quantize_scope(tensors, scope, bits, group_size, hf_linear_weights=()):
    """Round-trips every in-scope, eligible weight (K % group_size == 0) with float32 scales.

    tensors: name -> float32 array (transformers names). Returns a new dict and the list of names
    that were quantized.
    """
    out = {}
    done = []
    for name, array in tensors.items():
        if in_scope(name, array, scope, hf_linear_weights) and array.shape[-1] % group_size == 0:
            out[name] = mlx_affine.round_trip(array, bits, group_size)
            done.append(name)
        else:
            out[name] = array
    return out, done


# --------------------------------------------------------------------------------------------
# MoE layouts


def _moe_parts(tensors):
    """Finds fused transformers 5 expert stacks: prefix -> (gate_up name, down name)."""
    parts = {}
    for name in tensors:
        if name.endswith(".experts.gate_up_proj"):
            prefix = name[: -len(".experts.gate_up_proj")]
            parts[prefix] = (name, prefix + ".experts.down_proj")
    return parts


def _mixtral_block(prefix):
    # transformers 5 may call the Mixtral block "mlp"; transformers 4 and MLX call it
    # "block_sparse_moe"
    head, _, tail = prefix.rpartition(".")
    return head + ".block_sparse_moe" if tail == "mlp" else prefix


def tf5_to_mlx(tensors, moe):
    """transformers 5 names (fused experts) -> MLX names (switch_mlp stacks)."""
    if moe is None:
        return dict(tensors)
    out = dict(tensors)
    for prefix, (gate_up, down) in _moe_parts(tensors).items():
        fused = out.pop(gate_up)
        down_w = out.pop(down)
        inter = fused.shape[1] // 2
        block = _mixtral_block(prefix) if moe == "mixtral" else prefix
        out[block + ".switch_mlp.gate_proj.weight"] = fused[:, :inter]
        out[block + ".switch_mlp.up_proj.weight"] = fused[:, inter:]
        out[block + ".switch_mlp.down_proj.weight"] = down_w
        if block != prefix:
            out[block + ".gate.weight"] = out.pop(prefix + ".gate.weight")
    return out


def tf5_to_tf4(tensors, moe):
    """transformers 5 names (fused experts) -> transformers 4 names (one module per expert)."""
    if moe is None:
        return dict(tensors)
    out = dict(tensors)
    for prefix, (gate_up, down) in _moe_parts(tensors).items():
        fused = out.pop(gate_up)
        down_w = out.pop(down)
        inter = fused.shape[1] // 2
        if moe == "mixtral":
            block = _mixtral_block(prefix)
            names = ("w1", "w3", "w2")
            if block != prefix:
                out[block + ".gate.weight"] = out.pop(prefix + ".gate.weight")
        else:
            block = prefix
            names = ("gate_proj", "up_proj", "down_proj")
        for e in range(fused.shape[0]):
            base = "%s.experts.%d." % (block, e)
            out[base + names[0] + ".weight"] = fused[e, :inter]
            out[base + names[1] + ".weight"] = fused[e, inter:]
            out[base + names[2] + ".weight"] = down_w[e]
    return out


def mlx_to_tf5(tensors, moe, tf5_names):
    """Inverse of tf5_to_mlx for float tensors, given the transformers 5 names to produce."""
    if moe is None:
        return dict(tensors)
    out = dict(tensors)
    for prefix, (gate_up, down) in _moe_parts(dict.fromkeys(tf5_names)).items():
        block = _mixtral_block(prefix) if moe == "mixtral" else prefix
        gate = out.pop(block + ".switch_mlp.gate_proj.weight")
        up = out.pop(block + ".switch_mlp.up_proj.weight")
        out[gate_up] = np.concatenate([gate, up], axis=1)
        out[down] = out.pop(block + ".switch_mlp.down_proj.weight")
        if block != prefix:
            out[prefix + ".gate.weight"] = out.pop(block + ".gate.weight")
    missing = set(tf5_names) - set(out)
    extra = set(out) - set(tf5_names)
    if missing or extra:
        raise ValueError("MLX -> transformers 5 mapping lost %s, added %s" % (sorted(missing), sorted(extra)))
    return out


# --------------------------------------------------------------------------------------------
# the MLX checkpoint


def build_mlx_layout(tensors, config, bits, group_size, moe, overrides=None):
    """Writes float tensors (transformers 5 names, float32 values that are exact in bfloat16) as
    an MLX / mlx-lm checkpoint: every weight of two or more dimensions whose K divides by its group
    size is quantized (embeddings, lm_head, routers and expert stacks included), codes computed
    with float32 scales and biases that are then stored as bfloat16, as MLX does for a bfloat16
    model. overrides: module-path suffix -> dict(bits, group_size), like mlx-lm's quant_predicate.

    Returns (tensors name -> (dtype, array), config dict).
    """
    overrides = overrides or {}
    mlx = tf5_to_mlx(tensors, moe)
    if config.get("tie_word_embeddings"):
        mlx.pop("lm_head.weight", None)
    out = {}
    quant = dict(group_size=group_size, bits=bits, mode="affine")
    for name in sorted(mlx):
        array = mlx[name]
        module = name[: -len(".weight")] if name.endswith(".weight") else None
        spec = dict(bits=bits, group_size=group_size)
        for suffix, o in overrides.items():
            if module is not None and (module == suffix or module.endswith("." + suffix)):
                spec = dict(o)
        if module is None or array.ndim < 2 or array.shape[-1] % spec["group_size"]:
            out[name] = ("BF16", array)
            continue
        codes, scales, biases = mlx_affine.quantize(array, spec["bits"], spec["group_size"])
        out[name] = ("U32", mlx_affine.pack(codes, spec["bits"]))
        out[module + ".scales"] = ("BF16", scales)
        out[module + ".biases"] = ("BF16", biases)
        if spec != dict(bits=bits, group_size=group_size):
            quant[module] = dict(group_size=spec["group_size"], bits=spec["bits"])
    cfg = copy.deepcopy(config)
    cfg["quantization"] = quant
    cfg["quantization_config"] = copy.deepcopy(quant)
    return out, cfg


def dequantize_mlx_layout(mlx_tensors, quant):
    """Float32 values of every tensor of an MLX checkpoint (dequantizing the quantized ones)."""
    out = {}
    for name, (dtype, array) in mlx_tensors.items():
        if name.endswith(".scales") or name.endswith(".biases"):
            continue
        module = name[: -len(".weight")] if name.endswith(".weight") else None
        if dtype == "U32":
            spec = quant.get(module, quant)
            bits, gs = spec["bits"], spec["group_size"]
            scales = mlx_affine.round_bf16(mlx_tensors[module + ".scales"][1])
            biases = mlx_affine.round_bf16(mlx_tensors[module + ".biases"][1])
            k = scales.shape[-1] * gs
            codes = mlx_affine.unpack(array, bits, k)
            out[name] = mlx_affine.dequantize(codes, scales, biases, gs)
        else:
            out[name] = mlx_affine.round_bf16(array)
    return out


# --------------------------------------------------------------------------------------------
# transformers 4 style config.json


def tf4_config(config, model_type):
    """Rewrites a transformers 5 config.json in the transformers 4 style: top-level rope_theta and
    rope_scaling, Gemma 3's rope_local_base_freq and sliding_window_pattern, no layer_types."""
    c = copy.deepcopy(config)
    if "dtype" in c:
        c["torch_dtype"] = c.pop("dtype")
    rp = c.pop("rope_parameters", None)
    if rp is not None:
        nested = "full_attention" in rp or "sliding_attention" in rp
        full = dict(rp["full_attention"]) if nested else dict(rp)
        c["rope_theta"] = full.pop("rope_theta")
        if nested and "sliding_attention" in rp:
            c["rope_local_base_freq"] = rp["sliding_attention"]["rope_theta"]
        # transformers 4 kept these two at the top level for Phi-3; Llama 3.1's
        # original_max_position_embeddings stays inside rope_scaling
        moved = ("partial_rotary_factor", "original_max_position_embeddings") if model_type == "phi3" else ("partial_rotary_factor",)
        for key in moved:
            if key in full:
                c.setdefault(key, full.pop(key))
        kind = full.get("rope_type", "default")
        if kind == "default":
            c["rope_scaling"] = None
        else:
            if model_type == "phi3":
                full["type"] = full.pop("rope_type")
            c["rope_scaling"] = full
    # transformers 4 derived the layer types of these families from other fields; newer families
    # (ministral) had layer_types already
    derived = ("gemma2", "gemma3_text", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "mistral", "mixtral")
    layer_types = c.pop("layer_types", None) if model_type in derived else None
    if model_type == "gemma3_text" and layer_types is not None:
        # transformers 4: layer i slides unless (i + 1) % pattern == 0
        pattern = None
        for p in range(1, len(layer_types) + 2):
            ok = all(
                (t == "sliding_attention") == bool((i + 1) % p) for i, t in enumerate(layer_types)
            )
            if ok:
                pattern = p
                break
        if pattern is None:
            raise ValueError("layer_types %s fit no sliding_window_pattern" % layer_types)
        c["sliding_window_pattern"] = pattern
    return c


def _self_test():
    rng = np.random.default_rng(1)
    e, i, h = 4, 32, 64
    t = {
        "model.embed_tokens.weight": rng.standard_normal((16, h)).astype(np.float32),
        "model.layers.0.mlp.gate.weight": rng.standard_normal((e, h)).astype(np.float32),
        "model.layers.0.mlp.experts.gate_up_proj": rng.standard_normal((e, 2 * i, h)).astype(np.float32),
        "model.layers.0.mlp.experts.down_proj": rng.standard_normal((e, h, i)).astype(np.float32),
        "model.norm.weight": np.ones(h, np.float32),
    }
    t = {k: mlx_affine.round_bf16(v) for k, v in t.items()}
    for moe in ("mixtral", "qwen"):
        m = tf5_to_mlx(t, moe)
        block = "block_sparse_moe" if moe == "mixtral" else "mlp"
        assert ("model.layers.0.%s.switch_mlp.up_proj.weight" % block) in m, sorted(m)
        assert (m["model.layers.0.%s.switch_mlp.up_proj.weight" % block] == t["model.layers.0.mlp.experts.gate_up_proj"][:, i:]).all()
        back = mlx_to_tf5(m, moe, list(t))
        assert all((back[k] == t[k]).all() for k in t)
        tf4 = tf5_to_tf4(t, moe)
        first = "w1" if moe == "mixtral" else "gate_proj"
        assert (tf4["model.layers.0.%s.experts.2.%s.weight" % (block, first)] == t["model.layers.0.mlp.experts.gate_up_proj"][2, :i]).all()
        layout, cfg = build_mlx_layout(t, {"tie_word_embeddings": True}, 4, 32, moe, {"mlp.gate": dict(bits=8, group_size=64)})
        gate = "model.layers.0.%s.gate" % block
        gate_bits = 8 if moe == "qwen" else 4
        assert layout[gate + ".weight"][0] == "U32" and layout[gate + ".weight"][1].shape == (e, h * gate_bits // 32)
        if moe == "qwen":
            assert cfg["quantization"][gate] == dict(group_size=64, bits=8)
        assert layout["model.layers.0.%s.switch_mlp.down_proj.weight" % block][1].shape == (e, h, i * 4 // 32)
        deq = dequantize_mlx_layout(layout, cfg["quantization"])
        back = mlx_to_tf5(deq, moe, list(t))
        # the expected values: round trip with bfloat16 scales and biases
        ref = t["model.layers.0.mlp.experts.gate_up_proj"]
        codes, s, b = mlx_affine.quantize(ref, 4, 32)
        want = mlx_affine.dequantize(codes, mlx_affine.round_bf16(s), mlx_affine.round_bf16(b), 32)
        assert (back["model.layers.0.mlp.experts.gate_up_proj"] == want).all()
        assert (back["model.norm.weight"] == t["model.norm.weight"]).all()
    q, done = quantize_scope(t, "lin", 4, 64)
    assert "model.embed_tokens.weight" not in done and "model.layers.0.mlp.experts.down_proj" not in done
    assert "model.layers.0.mlp.experts.gate_up_proj" in done and "model.layers.0.mlp.gate.weight" in done
    g3 = {"model_type": "gemma3_text", "dtype": "float32", "layer_types": ["sliding_attention", "full_attention"] * 2,
          "rope_parameters": {"sliding_attention": {"rope_type": "default", "rope_theta": 1e4},
                              "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6}}}
    c4 = tf4_config(g3, "gemma3_text")
    assert c4["sliding_window_pattern"] == 2 and c4["rope_local_base_freq"] == 1e4 and c4["rope_theta"] == 1e6
    assert c4["rope_scaling"] == {"rope_type": "linear", "factor": 8.0} and c4["torch_dtype"] == "float32"
    p3 = {"rope_parameters": {"rope_type": "longrope", "rope_theta": 1e4, "short_factor": [1.0], "long_factor": [2.0],
                              "original_max_position_embeddings": 12, "partial_rotary_factor": 0.5}}
    c4 = tf4_config(p3, "phi3")
    assert c4["rope_scaling"] == {"type": "longrope", "short_factor": [1.0], "long_factor": [2.0]}
    assert c4["original_max_position_embeddings"] == 12 and c4["partial_rotary_factor"] == 0.5
    print("families self-test passed")


if __name__ == "__main__":
    _self_test()
