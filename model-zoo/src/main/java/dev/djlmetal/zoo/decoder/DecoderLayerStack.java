package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder layers of a model, children named {@code 0 .. L-1} (so that their paths read {@code
 * model.layers.3...}).
 *
 * <p>Input NDList: {@code [hidden]}, optionally followed by the past cache {@code key_0, value_0,
 * key_1, value_1, ...}, plus, for each attention type of the model's layers, the named arrays
 * {@link #cosName(AttentionType)}, {@link #sinName(AttentionType)} and (when there is one) the
 * attention bias {@link #biasName(AttentionType)}. Each layer gets the rotary tables and the bias
 * of its own type. Output: {@code [hidden, key_0, value_0, ...]} with the updated cache.
 */
public class DecoderLayerStack extends AbstractBlock {

    private static final byte VERSION = 1;

    private final List<Block> layers = new ArrayList<>();
    private final List<AttentionType> types = new ArrayList<>();

    /**
     * Creates the layers of a model.
     *
     * @param config the model config
     */
    public DecoderLayerStack(DecoderConfig config) {
        super(VERSION);
        for (int i = 0; i < config.getNumHiddenLayers(); i++) {
            layers.add(addChildBlock(Integer.toString(i), new DecoderLayer(config, i)));
            types.add(config.getLayerType(i));
        }
    }

    /**
     * Returns the name of the rotary cosines of an attention type in this block's input.
     *
     * @param type the attention type
     * @return {@code rope_cos.<type>}
     */
    public static String cosName(AttentionType type) {
        return "rope_cos." + type.configName();
    }

    /**
     * Returns the name of the rotary sines of an attention type in this block's input.
     *
     * @param type the attention type
     * @return {@code rope_sin.<type>}
     */
    public static String sinName(AttentionType type) {
        return "rope_sin." + type.configName();
    }

    /**
     * Returns the name of the attention bias of an attention type in this block's input.
     *
     * @param type the attention type
     * @return {@code attention_bias.<type>}
     */
    public static String biasName(AttentionType type) {
        return DecoderLayer.ATTENTION_BIAS + '.' + type.configName();
    }

    /**
     * Returns the number of layers.
     *
     * @return L
     */
    public int size() {
        return layers.size();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        Map<AttentionType, NDArray> cos = new EnumMap<>(AttentionType.class);
        Map<AttentionType, NDArray> sin = new EnumMap<>(AttentionType.class);
        Map<AttentionType, NDArray> bias = new EnumMap<>(AttentionType.class);
        NDList plain = new NDList();
        for (NDArray array : inputs) {
            AttentionType type = named(array, cos, sin, bias);
            if (type == null) {
                plain.add(array);
            }
        }
        boolean hasPast = plain.size() > 1;
        if (hasPast && plain.size() != 1 + 2 * layers.size()) {
            throw new IllegalArgumentException(
                    "Expected a past cache of "
                            + 2 * layers.size()
                            + " arrays (key and value per layer), got "
                            + (plain.size() - 1));
        }
        NDArray hidden = plain.get(0);
        NDList present = new NDList(1 + 2 * layers.size());
        present.add(hidden);
        for (int i = 0; i < layers.size(); i++) {
            AttentionType type = types.get(i);
            if (!cos.containsKey(type)) {
                throw new IllegalArgumentException(
                        "No rotary tables named " + cosName(type) + " for layer " + i);
            }
            NDList layerIn = new NDList(hidden, cos.get(type), sin.get(type));
            if (hasPast) {
                layerIn.add(plain.get(1 + 2 * i));
                layerIn.add(plain.get(2 + 2 * i));
            }
            if (bias.containsKey(type)) {
                layerIn.add(bias.get(type));
            }
            NDList out = forwardLayer(ps, layers.get(i), layerIn, training);
            if (i > 0 && !training) {
                hidden.close();
            }
            hidden = out.get(0);
            present.add(out.get(1));
            present.add(out.get(2));
        }
        present.set(0, hidden);
        return present;
    }

    private static AttentionType named(
            NDArray array,
            Map<AttentionType, NDArray> cos,
            Map<AttentionType, NDArray> sin,
            Map<AttentionType, NDArray> bias) {
        String name = array.getName();
        if (name == null) {
            return null;
        }
        for (AttentionType type : AttentionType.values()) {
            if (name.equals(cosName(type))) {
                cos.put(type, array);
                return type;
            }
            if (name.equals(sinName(type))) {
                sin.put(type, array);
                return type;
            }
            if (name.equals(biasName(type))) {
                bias.put(type, array);
                return type;
            }
        }
        return null;
    }

    /**
     * Runs one layer. In inference its temporaries are closed as soon as it returns (DJL would
     * otherwise keep every intermediate array of every layer until the caller's manager closes,
     * which for a prefill is hundreds of megabytes); in training they stay for the backward pass.
     */
    private static NDList forwardLayer(
            ParameterStore ps, Block layer, NDList layerIn, boolean training) {
        if (training) {
            return layer.forward(ps, layerIn, true);
        }
        try (NDScope scope = new NDScope()) {
            NDList out = layer.forward(ps, layerIn, false);
            NDScope.unregister(out);
            return out;
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block layer : layers) {
            layer.initialize(manager, dataType, inputShapes);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] layerOut = layers.get(0).getOutputShapes(inputShapes);
        Shape[] out = new Shape[1 + 2 * layers.size()];
        out[0] = layerOut[0];
        for (int i = 0; i < layers.size(); i++) {
            out[1 + 2 * i] = layerOut[1];
            out[2 + 2 * i] = layerOut[2];
        }
        return out;
    }
}
