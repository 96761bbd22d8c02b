package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Computes a per-row expert product ({@code y[i] = x[i] @ W[e[i]]^T}, MLX's {@code gather_mm}) as
 * one product per run of rows routed to the same expert. Callers that sort their rows by expert get
 * one product per selected expert; unsorted rows are still right, with more, smaller products.
 */
final class ExpertRuns {

    /** One expert's product over a block of rows. */
    @FunctionalInterface
    interface ExpertProduct {

        /**
         * Computes {@code rows @ W[expert]^T}.
         *
         * @param expert the expert
         * @param rows the rows routed to it, {@code [R, K]}
         * @return {@code [R, N]}
         */
        NDArray apply(int expert, NDArray rows);
    }

    private ExpertRuns() {}

    /**
     * Runs the products.
     *
     * @param what the block, for error messages
     * @param inputs {@code [x [P, K], expert ids [P]]} (ids INT64 or INT32)
     * @param experts the number of experts E
     * @param inFeatures K
     * @param outFeatures N
     * @param product the product of one expert
     * @return {@code [P, N]}
     */
    static NDArray apply(
            String what,
            NDList inputs,
            long experts,
            long inFeatures,
            long outFeatures,
            ExpertProduct product) {
        if (inputs.size() != 2) {
            throw new IllegalArgumentException(
                    what
                            + " takes [x [rows, in_features], expert ids [rows]], got "
                            + inputs.size()
                            + " arrays");
        }
        NDArray x = inputs.get(0);
        NDArray ids = inputs.get(1);
        Shape xs = x.getShape();
        if (xs.dimension() != 2 || xs.get(1) != inFeatures) {
            throw new IllegalArgumentException(
                    what + " expects x [rows, " + inFeatures + "], got " + xs);
        }
        if (ids.getShape().dimension() != 1
                || ids.getShape().get(0) != xs.get(0)
                || (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32)) {
            throw new IllegalArgumentException(
                    what
                            + " expects one INT64 expert id per row ("
                            + xs.get(0)
                            + "), got "
                            + ids.getDataType()
                            + " "
                            + ids.getShape());
        }
        long[] e = ids.toType(DataType.INT64, false).toLongArray();
        if (e.length == 0) {
            return x.getManager().zeros(new Shape(0, outFeatures), x.getDataType());
        }
        NDList parts = new NDList();
        int start = 0;
        for (int i = 1; i <= e.length; i++) {
            if (i < e.length && e[i] == e[start]) {
                continue;
            }
            long expert = e[start];
            if (expert < 0 || expert >= experts) {
                throw new IllegalArgumentException(
                        what + ": expert id " + expert + " is outside [0, " + experts + ")");
            }
            NDArray rows = start == 0 && i == e.length ? x : x.get(new NDIndex("{}:{}", start, i));
            parts.add(product.apply((int) expert, rows));
            start = i;
        }
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 0);
    }
}
