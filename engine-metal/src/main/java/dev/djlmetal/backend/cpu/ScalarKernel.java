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
}
