package dev.djlmetal.examples.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.djlmetal.io.SafetensorsWriter;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains the embedded default model from scratch on CPU with DJL: a 1M-parameter Llama on stories
 * from {@link StoryGrammar}, with a byte-level BPE tokenizer from {@link ByteLevelBpeTrainer}.
 *
 * <p>Every input is the project's own: the grammar, the tokenizer, the model code (the model-zoo
 * Blocks, trained through DJL's PyTorch engine) and the seeds. The output directory is a Hugging
 * Face style checkpoint ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}).
 */
@Command(
        name = "train-embedded-model",
        mixinStandardHelpOptions = true,
        description = "Trains the embedded story model (reproducible; CPU, a few minutes).")
public final class TrainEmbeddedModel implements Callable<Integer> {

    /** The seed of the training stories. Held-out text uses {@link #HELD_OUT_SEED}. */
    public static final long TRAIN_SEED = 20261127L;

    /** The seed of the held-out stories used for validation and the quality table. */
    public static final long HELD_OUT_SEED = 7L;

    @Option(
            names = "--output",
            description = "Checkpoint directory (default: ${DEFAULT-VALUE}).",
            defaultValue = "model-zoo/src/main/resources/dev/djlmetal/zoo/models/story-llama")
    private Path output;

    @Option(
            names = "--steps",
            description = "Optimizer steps (default: ${DEFAULT-VALUE}).",
            defaultValue = "400")
    private int steps;

    @Option(
            names = "--batch",
            description = "Sequences per step (default: ${DEFAULT-VALUE}).",
            defaultValue = "24")
    private int batch;

    @Option(
            names = "--seq",
            description = "Tokens per sequence (default: ${DEFAULT-VALUE}).",
            defaultValue = "64")
    private int sequence;

    @Option(
            names = "--stories",
            description = "Training stories (default: ${DEFAULT-VALUE}).",
            defaultValue = "8000")
    private int stories;

    @Option(
            names = "--lr",
            description = "Peak learning rate (default: ${DEFAULT-VALUE}).",
            defaultValue = "3e-3")
    private float learningRate;

    /**
     * Runs the trainer.
     *
     * @param args command line arguments, see {@code --help}
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainEmbeddedModel()).execute(args));
    }

    /**
     * Returns the architecture of the embedded model: hidden and intermediate sizes divisible by
     * 128, so every linear layer is eligible at every group size.
     *
     * @return the config
     */
    public static DecoderConfig architecture() {
        return DecoderConfig.builder()
                .setModelType("llama")
                .setHiddenSize(128)
                .setIntermediateSize(384)
                .setNumHiddenLayers(4)
                .setNumAttentionHeads(4)
                .optNumKeyValueHeads(2)
                .setVocabSize(1024)
                .optMaxPositionEmbeddings(512)
                .optRmsNormEps(1e-5)
                .optTieWordEmbeddings(true)
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Files.createDirectories(output);
        List<String> corpus = new StoryGrammar(TRAIN_SEED).stories(stories);
        System.out.println("Training the tokenizer on " + corpus.size() / 4 + " stories");
        DecoderConfig config = architecture();
        new ByteLevelBpeTrainer(config.getVocabSize())
                .train(corpus.subList(0, corpus.size() / 4))
                .write(output);
        int[] tokens = tokenize(corpus);
        int[] heldOut = tokenize(new StoryGrammar(HELD_OUT_SEED).stories(200));
        System.out.printf(
                "Corpus: %d training tokens, %d held-out tokens%n", tokens.length, heldOut.length);

        CausalLM block = new CausalLM(config);
        try (Model model = Model.newInstance("story-llama", Device.cpu(), "PyTorch")) {
            model.setBlock(block);
            Tracker schedule =
                    WarmUpTracker.builder()
                            .optWarmUpBeginValue(0f)
                            .optWarmUpSteps(100)
                            .setMainTracker(
                                    Tracker.cosine()
                                            .setBaseValue(learningRate)
                                            .optFinalValue(learningRate / 20)
                                            .setMaxUpdates(steps)
                                            .build())
                            .build();
            DefaultTrainingConfig trainingConfig =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(
                                    Optimizer.adamW()
                                            .optLearningRateTracker(schedule)
                                            .optWeightDecays(0.01f)
                                            .optClipGrad(1f)
                                            .build());
            try (Trainer trainer = model.newTrainer(trainingConfig)) {
                trainer.initialize(new Shape(batch, sequence));
                SplittableRandom random = new SplittableRandom(TRAIN_SEED);
                long start = System.nanoTime();
                for (int step = 1; step <= steps; step++) {
                    float loss = trainStep(trainer, tokens, random, config.getVocabSize());
                    if (step % 50 == 0 || step == 1) {
                        double seconds = (System.nanoTime() - start) / 1e9;
                        System.out.printf("step %5d  loss %.4f  %.1f s%n", step, loss, seconds);
                    }
                    if (step % 500 == 0 || step == steps) {
                        System.out.printf(
                                "held-out perplexity %.3f%n",
                                Math.exp(
                                        heldOutLoss(trainer.getManager(), block, heldOut, config)));
                    }
                }
            }
            save(block, config);
        }
        System.out.println("Wrote " + output.toAbsolutePath());
        return 0;
    }

    private int[] tokenize(List<String> texts) throws IOException {
        try (HuggingFaceTokenizer tokenizer =
                HuggingFaceTokenizer.newInstance(
                        output.resolve("tokenizer.json"), Map.of("addSpecialTokens", "true"))) {
            List<Integer> ids = new ArrayList<>();
            for (String text : texts) {
                Encoding encoding = tokenizer.encode(text);
                for (long id : encoding.getIds()) {
                    ids.add((int) id);
                }
                ids.add(ByteLevelBpeTrainer.SPECIAL_TOKENS.indexOf("</s>"));
            }
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private float trainStep(Trainer trainer, int[] tokens, SplittableRandom random, int vocab) {
        long[] inputs = new long[batch * sequence];
        long[] labels = new long[batch * sequence];
        for (int b = 0; b < batch; b++) {
            int start = random.nextInt(tokens.length - sequence - 1);
            for (int t = 0; t < sequence; t++) {
                inputs[b * sequence + t] = tokens[start + t];
                labels[b * sequence + t] = tokens[start + t + 1];
            }
        }
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = scope.create(inputs, new Shape(batch, sequence));
            NDArray y = scope.create(labels, new Shape(batch * sequence));
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray logits = trainer.forward(new NDList(x)).head().reshape(-1, vocab);
                NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                collector.backward(loss);
                trainer.step();
                return loss.getFloat();
            }
        }
    }

    /**
     * Returns the mean next-token negative log-likelihood of a token stream.
     *
     * @param manager the manager for temporaries
     * @param block the model
     * @param tokens the token stream
     * @param config the model config
     * @return the mean loss in nats
     */
    static double heldOutLoss(
            NDManager manager, CausalLM block, int[] tokens, DecoderConfig config) {
        int window = 256;
        double total = 0;
        long count = 0;
        for (int start = 0; start + 1 < tokens.length; start += window) {
            int length = Math.min(window, tokens.length - 1 - start);
            try (NDManager scope = manager.newSubManager()) {
                long[] ids = new long[length];
                long[] next = new long[length];
                for (int t = 0; t < length; t++) {
                    ids[t] = tokens[start + t];
                    next[t] = tokens[start + t + 1];
                }
                NDArray logits =
                        block.forward(
                                        scope.create(ids, new Shape(1, length)),
                                        dev.djlmetal.zoo.decoder.KvCache.empty())
                                .head()
                                .reshape(length, config.getVocabSize());
                NDArray logProbs = logits.logSoftmax(-1);
                NDArray picked = logProbs.gather(scope.create(next, new Shape(length, 1)), 1);
                total -= picked.sum().getFloat();
                count += length;
            }
        }
        return total / count;
    }

    private void save(CausalLM block, DecoderConfig config) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter().optMetadata("format", "pt");
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(block).entrySet()) {
            writer.add(e.getKey(), e.getValue().getArray().toType(DataType.FLOAT32, false));
        }
        writer.write(output.resolve("model.safetensors"));
        JsonObject json = new JsonObject();
        json.add("architectures", new GsonBuilder().create().toJsonTree(List.of("CausalLM")));
        json.addProperty("model_type", "llama");
        json.addProperty("hidden_size", config.getHiddenSize());
        json.addProperty("intermediate_size", config.getIntermediateSize());
        json.addProperty("num_hidden_layers", config.getNumHiddenLayers());
        json.addProperty("num_attention_heads", config.getNumAttentionHeads());
        json.addProperty("num_key_value_heads", config.getNumKeyValueHeads());
        json.addProperty("head_dim", config.getHeadDim());
        json.addProperty("vocab_size", config.getVocabSize());
        json.addProperty("max_position_embeddings", config.getMaxPositionEmbeddings());
        json.addProperty("rms_norm_eps", config.getRmsNormEps());
        json.addProperty("rope_theta", 10000.0);
        json.addProperty("hidden_act", "silu");
        json.addProperty("tie_word_embeddings", true);
        json.addProperty("attention_bias", false);
        json.addProperty("mlp_bias", false);
        json.addProperty("bos_token_id", ByteLevelBpeTrainer.SPECIAL_TOKENS.indexOf("<s>"));
        json.addProperty("eos_token_id", ByteLevelBpeTrainer.SPECIAL_TOKENS.indexOf("</s>"));
        json.addProperty("torch_dtype", "float32");
        Files.writeString(
                output.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json));
    }
}
