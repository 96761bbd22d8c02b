package dev.djlmetal.engine.spi;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.djlmetal.engine.loading.CheckpointTensors;
import java.util.Map;
import java.util.Optional;

/**
 * One model built from a {@code config.json}: its block tree and the float tensors a checkpoint
 * must provide, by their (Hugging Face) names.
 *
 * <p>Tensor names are the dotted block paths of the parameters (DJL's numeric child prefixes
 * removed), so {@code model.layers.0.self_attn.q_proj.weight} is the {@code weight} parameter of
 * the block at {@code model.layers.0.self_attn.q_proj}.
 */
public interface ModelArchitecture {

    /**
     * Returns the {@code model_type} of the config this architecture was built from.
     *
     * @return the model type
     */
    String getModelType();

    /**
     * Returns the block tree. Its parameters have no arrays yet; a loader sets them.
     *
     * @return the root block
     */
    Block getBlock();

    /**
     * Returns every float tensor of the model and its shape, in a stable order.
     *
     * @return the tensor names and shapes
     */
    Map<String, Shape> expectedTensors();

    /**
     * Returns the embedding module whose table also serves as the output projection (tied word
     * embeddings), so that a checkpoint without {@code lm_head.weight} is complete.
     *
     * @return the embedding module path, for example {@code model.embed_tokens}, or empty when the
     *     output projection has its own weights
     */
    Optional<String> tiedOutputEmbedding();

    /**
     * Returns whether a checkpoint tensor the model does not use may be skipped, for example the
     * precomputed rotary {@code inv_freq} buffers some checkpoints contain.
     *
     * @param tensorName the checkpoint tensor name
     * @return true to skip it silently; false makes an unexpected tensor an error
     */
    default boolean isIgnored(String tensorName) {
        return false;
    }

    /**
     * Returns a checkpoint's tensors under the names and shapes of this model's parameters, as
     * mlx-lm's {@code sanitize} does: for example the one-module-per-expert tensors of a
     * transformers 4 mixture-of-experts checkpoint stacked into the model's expert stacks. The
     * loader inspects and reads the returned view only; names it does not know stay errors.
     *
     * @param tensors the checkpoint's tensors as stored
     * @return a view in this model's layout; the default is {@code tensors} itself
     */
    default CheckpointTensors toModelLayout(CheckpointTensors tensors) {
        return tensors;
    }
}
