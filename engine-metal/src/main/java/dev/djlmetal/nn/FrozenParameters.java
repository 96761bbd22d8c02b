package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

/** Creates the frozen parameters through which quantized blocks expose their arrays to DJL. */
final class FrozenParameters {

    private FrozenParameters() {}

    /**
     * Creates a parameter that holds {@code array} and takes no gradient.
     *
     * @param name the parameter name
     * @param type the parameter type
     * @param array the array (the parameter closes it when it is closed)
     * @return the parameter
     */
    static Parameter of(String name, Parameter.Type type, NDArray array) {
        Parameter parameter =
                Parameter.builder().setName(name).setType(type).optRequiresGrad(false).build();
        parameter.setArray(array);
        return parameter;
    }
}
