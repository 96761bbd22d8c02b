// affine_qmm_t kernels: y[m, n] = sum_k x[m, k] * (q[n, k] * scale[n, k / GS] + bias[n, k / GS]).
//
// Weights W[N, K] are affine group-quantized (MLX layout): each row of codes is one little-endian,
// least-significant-bit-first bit stream, so 8 consecutive codes always fill exactly BITS bytes.
// Scales and biases are float32 [N, K / GS]. x is [M, K] and y is [M, N], both of type T (float or
// half), row-major and contiguous. Accumulation is float32 everywhere.
//
// Every kernel has the same binding layout, which the host code (and the CPU emulator) relies on:
//   buffer(0) packed codes, buffer(1) scales, buffer(2) biases, buffer(3) x, buffer(4) y,
//   buffer(5) AffineQmmParams (setBytes), followed by the thread-position arguments
//   threadgroup_position_in_grid, thread_index_in_threadgroup, simdgroup_index_in_threadgroup and
//   thread_index_in_simdgroup.
//
// The launch geometry constants below are mirrored by dev.djlmetal.backend.metal.AffineQmmKernels.

#include <metal_stdlib>

using namespace metal;

struct AffineQmmParams {
    uint m;
    uint n;
    uint k;
};

// Lanes per SIMD group (threadExecutionWidth on Apple GPUs).
static constant constexpr int SIMD_SIZE = 32;

// Decode (matrix-vector) kernel: each SIMD group computes QMV_ROWS_PER_SIMDGROUP output rows of one
// activation row; a lane takes QMV_VALUES_PER_LANE consecutive inputs per step.
static constant constexpr int QMV_SIMDGROUPS = 2;
static constant constexpr int QMV_ROWS_PER_SIMDGROUP = 4;
static constant constexpr int QMV_VALUES_PER_LANE = 16;
static_assert(QMV_ROWS_PER_SIMDGROUP == 4, "the rows of a SIMD group are reduced as one float4");

// Tiled (prefill) kernel: a threadgroup of QMM_THREADS lanes computes a QMM_TILE_M x QMM_TILE_N
// block of y, walking K in steps of QMM_TILE_K; each lane owns a 4 x 4 sub-block.
static constant constexpr int QMM_TILE_M = 32;
static constant constexpr int QMM_TILE_N = 32;
static constant constexpr int QMM_TILE_K = 64;
static constant constexpr int QMM_THREADS = 64;

// Reads the 8 codes that start at p (BITS bytes) as one 64-bit little-endian word.
template <int BITS>
inline ulong load_codes8(device const uchar* p) {
    ulong v = 0;
    for (int b = 0; b < BITS; ++b) {
        v |= ulong(p[b]) << (8 * b);
    }
    return v;
}

// Returns code i of a word produced by load_codes8.
template <int BITS>
inline float code_at(ulong codes, int i) {
    return float(uint(codes >> (BITS * i)) & ((1u << BITS) - 1u));
}

// Decode kernel, for small M: grid (ceil(N / (QMV_SIMDGROUPS * QMV_ROWS_PER_SIMDGROUP)), M, 1),
// QMV_SIMDGROUPS * SIMD_SIZE threads per threadgroup. Each packed byte is read once; x is read once
// per SIMD group and reused for all of its rows. Per slice of a group a lane adds
// scale * sum(x * q) + bias * sum(x), and simd_sum combines the lanes.
template <typename T, int BITS, int GROUP_SIZE>
[[kernel]] void affine_qmv(
        device const uchar* w [[buffer(0)]],
        device const float* scales [[buffer(1)]],
        device const float* biases [[buffer(2)]],
        device const T* x [[buffer(3)]],
        device T* y [[buffer(4)]],
        constant AffineQmmParams& params [[buffer(5)]],
        uint3 tgid [[threadgroup_position_in_grid]],
        uint lid [[thread_index_in_threadgroup]],
        uint sgid [[simdgroup_index_in_threadgroup]],
        uint slid [[thread_index_in_simdgroup]]) {
    const uint n_first = (tgid.x * QMV_SIMDGROUPS + sgid) * QMV_ROWS_PER_SIMDGROUP;
    const uint m = tgid.y;
    const uint k_total = params.k;
    const uint row_bytes = k_total / 8 * BITS;
    const uint groups = k_total / GROUP_SIZE;
    device const T* x_row = x + ulong(m) * k_total;

    float acc[QMV_ROWS_PER_SIMDGROUP];
    for (int r = 0; r < QMV_ROWS_PER_SIMDGROUP; ++r) {
        acc[r] = 0.0f;
    }
    for (uint k0 = slid * QMV_VALUES_PER_LANE; k0 < k_total;
            k0 += SIMD_SIZE * QMV_VALUES_PER_LANE) {
        float xv[QMV_VALUES_PER_LANE];
        float x_sum = 0.0f;
        for (int i = 0; i < QMV_VALUES_PER_LANE; ++i) {
            xv[i] = float(x_row[k0 + i]);
            x_sum += xv[i];
        }
        const uint group = k0 / GROUP_SIZE;
        for (int r = 0; r < QMV_ROWS_PER_SIMDGROUP; ++r) {
            const uint n = n_first + r;
            if (n < params.n) {
                device const uchar* codes = w + ulong(n) * row_bytes + k0 / 8 * BITS;
                float dot = 0.0f;
                for (int u = 0; u < QMV_VALUES_PER_LANE / 8; ++u) {
                    const ulong packed = load_codes8<BITS>(codes + u * BITS);
                    for (int i = 0; i < 8; ++i) {
                        dot += xv[u * 8 + i] * code_at<BITS>(packed, i);
                    }
                }
                const ulong g = ulong(n) * groups + group;
                acc[r] += scales[g] * dot + biases[g] * x_sum;
            }
        }
    }
    // One SIMD-group reduction for the four rows.
    const float4 totals = simd_sum(float4(acc[0], acc[1], acc[2], acc[3]));
    for (int r = 0; r < QMV_ROWS_PER_SIMDGROUP; ++r) {
        const uint n = n_first + r;
        if (slid == 0 && n < params.n) {
            y[ulong(m) * params.n + n] = T(totals[r]);
        }
    }
}

// Tiled kernel, for larger M: grid (ceil(N / QMM_TILE_N), ceil(M / QMM_TILE_M), 1), QMM_THREADS
// threads per threadgroup. Per K step the threadgroup stages a tile of x and a dequantized tile of
// W in threadgroup memory (float), then every lane accumulates its 4 x 4 outputs.
template <typename T, int BITS, int GROUP_SIZE>
[[kernel]] void affine_qmm(
        device const uchar* w [[buffer(0)]],
        device const float* scales [[buffer(1)]],
        device const float* biases [[buffer(2)]],
        device const T* x [[buffer(3)]],
        device T* y [[buffer(4)]],
        constant AffineQmmParams& params [[buffer(5)]],
        uint3 tgid [[threadgroup_position_in_grid]],
        uint lid [[thread_index_in_threadgroup]],
        uint sgid [[simdgroup_index_in_threadgroup]],
        uint slid [[thread_index_in_simdgroup]]) {
    threadgroup float x_tile[QMM_TILE_M][QMM_TILE_K + 1];
    threadgroup float w_tile[QMM_TILE_N][QMM_TILE_K + 1];

    const uint m0 = tgid.y * QMM_TILE_M;
    const uint n0 = tgid.x * QMM_TILE_N;
    const uint k_total = params.k;
    const uint row_bytes = k_total / 8 * BITS;
    const uint groups = k_total / GROUP_SIZE;
    // Lane (tr, tc) owns rows m0 + tr + 8 * i and columns n0 + tc + 8 * j, i, j in [0, 4).
    const uint tr = lid / 8;
    const uint tc = lid % 8;

    float acc[4][4];
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            acc[i][j] = 0.0f;
        }
    }
    for (uint k_base = 0; k_base < k_total; k_base += QMM_TILE_K) {
        const uint k_width = min(uint(QMM_TILE_K), k_total - k_base);
        for (uint idx = lid; idx < QMM_TILE_M * QMM_TILE_K; idx += QMM_THREADS) {
            const uint r = idx / QMM_TILE_K;
            const uint c = idx % QMM_TILE_K;
            const uint m = m0 + r;
            x_tile[r][c] = (m < params.m && c < k_width)
                    ? float(x[ulong(m) * k_total + k_base + c])
                    : 0.0f;
        }
        for (uint unit = lid; unit < QMM_TILE_N * QMM_TILE_K / 8; unit += QMM_THREADS) {
            const uint r = unit / (QMM_TILE_K / 8);
            const uint c = unit % (QMM_TILE_K / 8) * 8;
            const uint n = n0 + r;
            if (n < params.n && c < k_width) {
                const uint k = k_base + c;
                const ulong packed = load_codes8<BITS>(w + ulong(n) * row_bytes + k / 8 * BITS);
                const ulong g = ulong(n) * groups + k / GROUP_SIZE;
                const float scale = scales[g];
                const float bias = biases[g];
                for (int i = 0; i < 8; ++i) {
                    w_tile[r][c + i] = code_at<BITS>(packed, i) * scale + bias;
                }
            } else {
                for (int i = 0; i < 8; ++i) {
                    w_tile[r][c + i] = 0.0f;
                }
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (int c = 0; c < QMM_TILE_K; ++c) {
            float xv[4];
            float wv[4];
            for (int i = 0; i < 4; ++i) {
                xv[i] = x_tile[tr + 8 * i][c];
                wv[i] = w_tile[tc + 8 * i][c];
            }
            for (int i = 0; i < 4; ++i) {
                for (int j = 0; j < 4; ++j) {
                    acc[i][j] += xv[i] * wv[j];
                }
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    for (int i = 0; i < 4; ++i) {
        const uint m = m0 + tr + 8 * i;
        for (int j = 0; j < 4; ++j) {
            const uint n = n0 + tc + 8 * j;
            if (m < params.m && n < params.n) {
                y[ulong(m) * params.n + n] = T(acc[i][j]);
            }
        }
    }
}

// One host-named specialization per (kernel, activation type, bits, group size). The CPU emulator's
// shim header defines DJLM_INSTANTIATE itself to export a C entry point per variant instead.
#ifndef DJLM_INSTANTIATE
#define DJLM_INSTANTIATE(func, type, bits, group_size)                                        \
    template [[host_name(#func "_" #type "_b" #bits "_g" #group_size)]] [[kernel]]           \
    decltype(func<type, bits, group_size>) func<type, bits, group_size>;
#endif

#define DJLM_INSTANTIATE_GROUPS(func, type, bits) \
    DJLM_INSTANTIATE(func, type, bits, 32)        \
    DJLM_INSTANTIATE(func, type, bits, 64)        \
    DJLM_INSTANTIATE(func, type, bits, 128)

#define DJLM_INSTANTIATE_BITS(func, type)     \
    DJLM_INSTANTIATE_GROUPS(func, type, 2)    \
    DJLM_INSTANTIATE_GROUPS(func, type, 3)    \
    DJLM_INSTANTIATE_GROUPS(func, type, 4)    \
    DJLM_INSTANTIATE_GROUPS(func, type, 5)    \
    DJLM_INSTANTIATE_GROUPS(func, type, 6)    \
    DJLM_INSTANTIATE_GROUPS(func, type, 8)

DJLM_INSTANTIATE_BITS(affine_qmv, float)
DJLM_INSTANTIATE_BITS(affine_qmv, half)
DJLM_INSTANTIATE_BITS(affine_qmm, float)
DJLM_INSTANTIATE_BITS(affine_qmm, half)
