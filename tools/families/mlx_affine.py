"""MLX-style affine group quantization and safetensors I/O in plain numpy.

Written from the format description in docs (QUANTIZATION-FORMAT.md of the project's shared docs):
every operation is float32 with round-half-to-even, as MLX's CPU quantizer. Nothing here imports
torch or transformers, so the MLX layouts can be rebuilt on any machine with numpy.
"""

import json
import struct

import numpy as np

SUPPORTED_BITS = (2, 3, 4, 5, 6, 8)
SUPPORTED_GROUP_SIZES = (32, 64, 128)

_F32 = np.float32


def quantize(w, bits, group_size):
    """Quantizes the rows of w [..., N, K] in groups of group_size along K.

    Returns (codes uint32 [..., N, K], scales f32 [..., N, K/gs], biases f32 [..., N, K/gs]).
    """
    if bits not in SUPPORTED_BITS or group_size not in SUPPORTED_GROUP_SIZES:
        raise ValueError("unsupported bits=%d group_size=%d" % (bits, group_size))
    w = np.asarray(w, dtype=_F32)
    k = w.shape[-1]
    if k % group_size:
        raise ValueError("K=%d is not divisible by group_size=%d" % (k, group_size))
    groups = w.reshape(w.shape[:-1] + (k // group_size, group_size))
    n_bins = _F32((1 << bits) - 1)
    w_min = groups.min(axis=-1)
    w_max = groups.max(axis=-1)
    scale = np.maximum((w_max - w_min) / n_bins, _F32(1e-7)).astype(_F32)
    side = np.abs(w_min) > np.abs(w_max)
    scale = np.where(side, scale, -scale).astype(_F32)
    edge = np.where(side, w_min, w_max).astype(_F32)
    q0 = np.rint(edge / scale).astype(_F32)
    nonzero = q0 != 0
    safe_q0 = np.where(nonzero, q0, _F32(1))
    scale = np.where(nonzero, edge / safe_q0, scale).astype(_F32)
    bias = np.where(nonzero, edge, _F32(0)).astype(_F32)
    q = np.rint((groups - bias[..., None]) / scale[..., None]).astype(_F32)
    q = np.clip(q, _F32(0), n_bins)
    codes = q.astype(np.uint32).reshape(w.shape)
    return codes, scale, bias


def pack(codes, bits):
    """Packs codes [..., K] LSB-first into little-endian uint32 words [..., K*bits/32]."""
    codes = np.asarray(codes, dtype=np.uint64)
    k = codes.shape[-1]
    if (k * bits) % 32:
        raise ValueError("K*bits=%d is not a multiple of 32" % (k * bits))
    flat = codes.reshape(-1, k)
    words = np.zeros((flat.shape[0], k * bits // 32), dtype=np.uint64)
    for i in range(k):
        bit = i * bits
        word, shift = divmod(bit, 32)
        words[:, word] |= (flat[:, i] << np.uint64(shift)) & np.uint64(0xFFFFFFFF)
        if shift + bits > 32:
            words[:, word + 1] |= flat[:, i] >> np.uint64(32 - shift)
    return words.astype(np.uint32).reshape(codes.shape[:-1] + (k * bits // 32,))


def unpack(words, bits, k):
    """Inverse of pack: uint32 words [..., K*bits/32] to codes [..., K]."""
    words = np.asarray(words, dtype=np.uint64)
    flat = words.reshape(-1, words.shape[-1])
    codes = np.zeros((flat.shape[0], k), dtype=np.uint64)
    mask = np.uint64((1 << bits) - 1)
    for i in range(k):
        bit = i * bits
        word, shift = divmod(bit, 32)
        value = flat[:, word] >> np.uint64(shift)
        if shift + bits > 32:
            value |= flat[:, word + 1] << np.uint64(32 - shift)
        codes[:, i] = value & mask
    return codes.astype(np.uint32).reshape(words.shape[:-1] + (k,))


def dequantize(codes, scales, biases, group_size):
    """q * scale + bias per group, in float32 (one rounding for the product, one for the sum)."""
    codes = np.asarray(codes)
    k = codes.shape[-1]
    q = codes.astype(_F32).reshape(codes.shape[:-1] + (k // group_size, group_size))
    s = np.asarray(scales, dtype=_F32)[..., None]
    b = np.asarray(biases, dtype=_F32)[..., None]
    return (q * s + b).astype(_F32).reshape(codes.shape)


def round_trip(w, bits, group_size):
    """Quantizes and dequantizes with float32 scales and biases (quantize on the fly)."""
    codes, scales, biases = quantize(w, bits, group_size)
    return dequantize(codes, scales, biases, group_size)


# --------------------------------------------------------------------------------------------
# bfloat16 and safetensors


def to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even; NaN stays NaN."""
    x = np.ascontiguousarray(x, dtype=_F32)
    u = x.view(np.uint32).astype(np.uint64)
    rounding = ((u >> np.uint64(16)) & np.uint64(1)) + np.uint64(0x7FFF)
    out = ((u + rounding) >> np.uint64(16)).astype(np.uint16)
    nan = np.isnan(x)
    out[nan] = np.uint16(0x7FC0)
    return out


def from_bf16_bits(bits):
    return (np.asarray(bits, dtype=np.uint32) << np.uint32(16)).view(_F32)


def round_bf16(x):
    return from_bf16_bits(to_bf16_bits(x))


_DTYPES = {"F32": (np.float32, 4), "BF16": (np.uint16, 2), "U32": (np.uint32, 4), "I64": (np.int64, 8)}


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (dtype string, numpy array). BF16 arrays are given as float32 values."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        dtype, array = tensors[name]
        if dtype == "BF16":
            data = to_bf16_bits(array).tobytes()
        else:
            data = np.ascontiguousarray(array, dtype=_DTYPES[dtype][0]).tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(np.shape(array)),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Returns name -> (dtype string, numpy array); BF16 comes back as float32 values."""
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size].decode("utf-8"))
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        np_type = _DTYPES[info["dtype"]][0]
        array = np.frombuffer(raw[base + start : base + end], dtype=np_type).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = from_bf16_bits(array)
        out[name] = (info["dtype"], array.copy())
    return out


def _self_test():
    rng = np.random.default_rng(0)
    for bits in SUPPORTED_BITS:
        for gs in SUPPORTED_GROUP_SIZES:
            w = rng.standard_normal((3, 2, 256)).astype(_F32)
            codes, s, b = quantize(w, bits, gs)
            assert codes.max() <= (1 << bits) - 1
            words = pack(codes, bits)
            assert words.shape == (3, 2, 256 * bits // 32)
            assert (unpack(words, bits, 256) == codes).all()
            deq = dequantize(codes, s, b, gs)
            step = np.repeat(np.abs(s), gs, axis=-1).reshape(w.shape)
            assert (np.abs(deq - w) <= step * 1.0001).all(), (bits, gs)
            # the larger-magnitude extreme of every group is exact
            g = w.reshape(3, 2, -1, gs)
            d = deq.reshape(3, 2, -1, gs)
            idx = np.abs(g).argmax(axis=-1)
            assert (np.take_along_axis(g, idx[..., None], -1) == np.take_along_axis(d, idx[..., None], -1)).all()
    # hand-checked packing: 4-bit codes 1..8 -> one word 0x87654321
    assert pack(np.arange(1, 9, dtype=np.uint32)[None], 4)[0, 0] == 0x87654321
    # 3-bit codes straddle words: 11 codes of 7 fill bits 0..32 -> word0 all ones, word1 bit 0
    w3 = pack(np.array([[7] * 11 + [0] * 21], dtype=np.uint32), 3)
    assert w3[0, 0] == 0xFFFFFFFF and w3[0, 1] == 1 and w3[0, 2] == 0
    assert round_bf16(np.array([1.0, 1.00390625, 1.01171875], dtype=_F32)).tolist() == [1.0, 1.0, 1.015625]
    print("mlx_affine self-test passed")


if __name__ == "__main__":
    _self_test()
