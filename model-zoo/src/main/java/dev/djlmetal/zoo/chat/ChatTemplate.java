package dev.djlmetal.zoo.chat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ResourceBundleELResolver;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template(messages,
 * tools=..., add_generation_prompt=..., tokenize=False, **kwargs)} renders it.
 *
 * <p>The template comes from {@code chat_template.jinja} in the model directory when present (as in
 * transformers, it takes precedence), else from the {@code chat_template} of {@code
 * tokenizer_config.json} (a string, or a list of named templates of which {@code default} is used).
 * It is rendered by HubSpot's Jinjava with transformers' settings ({@code trim_blocks}, {@code
 * lstrip_blocks}) and what transformers gives templates: the special tokens of {@code
 * tokenizer_config.json} ({@code bos_token}, {@code eos_token}, ...), {@code raise_exception},
 * {@code strftime_now}, a {@code tojson} filter that writes as Python's {@code json.dumps}, and the
 * Python string and dict methods templates call ({@code startswith}, {@code split}, {@code
 * strip('\n')}, {@code items()}, ...).
 *
 * <p>Checked against transformers' own renderings of the Llama 3, Llama 3.1/3.2, Qwen2.5, Qwen3,
 * Mistral (Nemo) and Gemma 3 templates.
 */
public final class ChatTemplate {

    /** The template file that takes precedence over {@code tokenizer_config.json}. */
    public static final String TEMPLATE_FILE = "chat_template.jinja";

    /** The tokenizer configuration file. */
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private static final List<String> SPECIAL_TOKENS =
            List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token");

    private final String source;
    private final String jinjavaSource;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinjava;

    private ChatTemplate(String source, Map<String, Object> specialTokens) {
        this.source = Objects.requireNonNull(source, "source");
        this.jinjavaSource = JinjaSyntax.rewrite(source);
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.jinjava = newJinjava();
    }

    /**
     * Creates a template from its source and the special tokens it may refer to.
     *
     * @param source the Jinja source
     * @param specialTokens for example {@code bos_token -> "<s>"}
     * @return the template
     */
    public static ChatTemplate of(String source, Map<String, ?> specialTokens) {
        return new ChatTemplate(source, new LinkedHashMap<>(specialTokens));
    }

    /**
     * Reads the chat template of a model directory.
     *
     * @param modelDir the directory
     * @return the template, or null when the model has none
     * @throws IOException when a file exists but cannot be read or parsed
     */
    public static ChatTemplate load(Path modelDir) throws IOException {
        Path configFile = modelDir.resolve(TOKENIZER_CONFIG);
        JsonObject config = new JsonObject();
        if (Files.isRegularFile(configFile)) {
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                config = JsonParser.parseReader(reader).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new IOException("Cannot parse " + configFile + ": " + e.getMessage(), e);
            }
        }
        String source = null;
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        if (Files.isRegularFile(templateFile)) {
            source = Files.readString(templateFile, StandardCharsets.UTF_8);
        } else {
            source = templateOf(config.get("chat_template"), configFile);
        }
        if (source == null) {
            return null;
        }
        return new ChatTemplate(source, specialTokensOf(config));
    }

    /**
     * Returns the special tokens a {@code tokenizer_config.json} gives its chat template.
     *
     * @param config the parsed {@code tokenizer_config.json}
     * @return the tokens by name ({@code bos_token}, ..., {@code additional_special_tokens})
     */
    public static Map<String, Object> specialTokensOf(JsonObject config) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKENS) {
            String content = tokenContent(config.get(name));
            if (content != null) {
                tokens.put(name, content);
            }
        }
        JsonElement additional = config.get("additional_special_tokens");
        if (additional != null && additional.isJsonArray()) {
            List<String> list = new ArrayList<>();
            for (JsonElement e : additional.getAsJsonArray()) {
                String content = tokenContent(e);
                if (content != null) {
                    list.add(content);
                }
            }
            tokens.put("additional_special_tokens", list);
        }
        return tokens;
    }

    /**
     * Returns the Jinja source of the template.
     *
     * @return the source
     */
    public String getSource() {
        return source;
    }

    /**
     * Returns the special tokens the template sees.
     *
     * @return the tokens by name
     */
    public Map<String, Object> getSpecialTokens() {
        return specialTokens;
    }

    /**
     * Renders a conversation.
     *
     * @param messages the messages ({@code role}, {@code content}, ...)
     * @param tools the tools, or null
     * @param addGenerationPrompt whether to end with the start of an assistant turn
     * @param arguments more template variables (for example {@code enable_thinking}), may be null
     * @return the rendered prompt
     * @throws ChatTemplateException when the template raises an exception or fails
     */
    public String render(
            List<? extends Map<String, ?>> messages,
            List<? extends Map<String, ?>> tools,
            boolean addGenerationPrompt,
            Map<String, ?> arguments) {
        Map<String, Object> bindings = new LinkedHashMap<>(specialTokens);
        if (arguments != null) {
            bindings.putAll(arguments);
        }
        bindings.put("messages", messages);
        if (tools != null) {
            bindings.put("tools", tools);
        }
        bindings.put("add_generation_prompt", addGenerationPrompt);
        // Jinja's globals are variables too: templates test "strftime_now is defined"
        bindings.putIfAbsent("strftime_now", "strftime_now");
        bindings.putIfAbsent("raise_exception", "raise_exception");
        RenderResult result;
        try {
            result = jinjava.renderForResult(jinjavaSource, bindings);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            ChatTemplateException raised = find(e);
            throw raised != null ? raised : new ChatTemplateException(e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                ChatTemplateException raised = find(error.getException());
                if (raised != null) {
                    throw raised;
                }
                throw new ChatTemplateException(
                        "The chat template failed: " + error.getMessage(), error.getException());
            }
        }
        return result.getOutput();
    }

    private static ChatTemplateException find(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException) {
                return new ChatTemplateException(t.getMessage());
            }
        }
        return null;
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(new ArrayELResolver(true));
        resolver.add(new JinjavaListELResolver(true));
        resolver.add(new TypeConvertingMapELResolver(true));
        resolver.add(new ResourceBundleELResolver());
        resolver.add(new JinjavaBeanELResolver(true));
        JinjavaConfig config =
                JinjavaConfig.newBuilder()
                        .withTrimBlocks(true)
                        .withLstripBlocks(false)
                        .withElResolver(resolver)
                        .withLegacyOverrides(
                                LegacyOverrides.newBuilder()
                                        .withUseTrimmingForNotesAndExpressions(true)
                                        .withParseWhitespaceControlStrictly(true)
                                        .withUseNaturalOperatorPrecedence(true)
                                        .withIterateOverMapKeys(true)
                                        .build())
                        .withFailOnUnknownTokens(false)
                        .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition(
                                "", "raise_exception", TemplateFunctions.method("raiseException")));
        jinjava.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition(
                                "", "strftime_now", TemplateFunctions.method("strftimeNow")));
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
        return jinjava;
    }

    private static String templateOf(JsonElement template, Path file) throws IOException {
        if (template == null || template.isJsonNull()) {
            return null;
        }
        if (template.isJsonPrimitive()) {
            return template.getAsString();
        }
        if (template.isJsonArray()) {
            JsonArray named = template.getAsJsonArray();
            for (JsonElement e : named) {
                JsonObject entry = e.getAsJsonObject();
                if ("default".equals(entry.get("name").getAsString())) {
                    return entry.get("template").getAsString();
                }
            }
            throw new IOException(file + " has named chat templates but none named default");
        }
        throw new IOException(file + ": chat_template must be a string or a list of templates");
    }

    private static String tokenContent(JsonElement token) {
        if (token == null || token.isJsonNull()) {
            return null;
        }
        if (token.isJsonObject()) {
            JsonElement content = token.getAsJsonObject().get("content");
            return content == null || content.isJsonNull() ? null : content.getAsString();
        }
        return token.getAsString();
    }
}
