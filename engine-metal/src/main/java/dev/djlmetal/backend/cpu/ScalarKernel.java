package dev.djlmetal.backend.cpu;

import java.nio.FloatBuffer;

/** The portable kernel: plain Java loops, used without the Vector API module or when it is off. */
final class ScalarKernel extends CpuKernel {

    @Override
    String name() {
        return "scalar";
    }

    @Override
    void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        x.get(0, dst, 0, m * w.columns());
    }

    @Override
    void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
        int groupSize = w.groupSize();
        float[] codes = new float[groupSize];
        for (int n = n0; n < n1; n++) {
            int rowOffset = w.rowByteOffset(n);
            float total = 0;
            for (int g = 0; g < w.groups(); g++) {
                int base = g * groupSize;
                CodeDecoder.decode(w.packed(), rowOffset, base, groupSize, w.bits(), codes, 0);
                float dot0 = 0;
                float dot1 = 0;
                for (int k = 0; k < groupSize; k += 2) {
                    dot0 += codes[k] * x[base + k];
                    dot1 += codes[k + 1] * x[base + k + 1];
                }
                total += w.scale(n, g) * (dot0 + dot1) + w.bias(n, g) * groupSums[g];
            }
            out.put(n, total);
        }
    }

    @Override
    void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
        CodeDecoder.dequantizeRow(w, row, dst, dstOffset);
    }

    @Override
    void blocked(PackedMatrix w, float[] x, int m, FloatBuffer out, int n0, int n1) {
        int k = w.columns();
        int rows = w.rows();
        int strip = stripRows();
        float[] weights = new float[strip * k];
        for (int s0 = n0; s0 < n1; s0 += strip) {
            int height = Math.min(strip, n1 - s0);
            for (int r = 0; r < height; r++) {
                dequantizeRow(w, s0 + r, weights, r * k);
            }
            for (int i = 0; i < m; i++) {
                int xo = i * k;
                int r = 0;
                for (; r + 4 <= height; r += 4) {
                    float a0 = 0;
                    float a1 = 0;
                    float a2 = 0;
                    float a3 = 0;
                    int w0 = r * k;
                    for (int j = 0; j < k; j++) {
                        float xv = x[xo + j];
                        a0 += xv * weights[w0 + j];
                        a1 += xv * weights[w0 + k + j];
                        a2 += xv * weights[w0 + 2 * k + j];
                        a3 += xv * weights[w0 + 3 * k + j];
                    }
                    int o = i * rows + s0 + r;
                    out.put(o, a0);
                    out.put(o + 1, a1);
                    out.put(o + 2, a2);
                    out.put(o + 3, a3);
                }
                for (; r < height; r++) {
                    float a = 0;
                    int w0 = r * k;
                    for (int j = 0; j < k; j++) {
                        a += x[xo + j] * weights[w0 + j];
                    }
                    out.put(i * rows + s0 + r, a);
                }
            }
        }
    }
}
