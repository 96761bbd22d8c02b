package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The parts of a causal LM input NDList, checked: ids, past cache and attention mask. */
final class ForwardInputs {

    private final NDArray inputIds;
    private final NDList past;
    private final NDArray attentionMask;

    private ForwardInputs(NDArray inputIds, NDList past, NDArray attentionMask) {
        this.inputIds = inputIds;
        this.past = past;
        this.attentionMask = attentionMask;
    }

    static ForwardInputs parse(NDList inputs, int layers) {
        NDArray mask = null;
        NDList plain = new NDList(inputs.size());
        for (NDArray array : inputs) {
            if (CausalLM.ATTENTION_MASK.equals(array.getName())) {
                mask = array;
            } else {
                plain.add(array);
            }
        }
        if (plain.isEmpty()) {
            throw new IllegalArgumentException("The input NDList holds no input_ids");
        }
        NDArray ids = plain.get(0);
        if (ids.getShape().dimension() != 2
                || (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32)) {
            throw new IllegalArgumentException(
                    "input_ids must be INT64 [batch, seq], got "
                            + ids.getDataType()
                            + " "
                            + ids.getShape());
        }
        NDList past = plain.subNDList(1);
        if (!past.isEmpty() && past.size() != 2 * layers) {
            throw new IllegalArgumentException(
                    "The past cache must hold 2 arrays per layer ("
                            + 2 * layers
                            + "), got "
                            + past.size());
        }
        long pastLength = past.isEmpty() ? 0 : past.get(0).getShape().get(2);
        if (mask != null) {
            Shape expected = new Shape(ids.getShape().get(0), pastLength + ids.getShape().get(1));
            if (!mask.getShape().equals(expected)) {
                throw new IllegalArgumentException(
                        "attention_mask must have shape [batch, past + seq] = "
                                + expected
                                + ", got "
                                + mask.getShape());
            }
        }
        return new ForwardInputs(ids, past, mask);
    }

    NDArray getInputIds() {
        return inputIds;
    }

    NDList getPast() {
        return past;
    }

    long getPastLength() {
        return past.isEmpty() ? 0 : past.get(0).getShape().get(2);
    }

    NDArray getAttentionMask() {
        return attentionMask;
    }
}
