package dev.djlmetal.zoo.generate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One generation request: a prompt, or chat messages rendered with the model's chat template, and
 * the generation parameters of this request alone (see {@link GenerationParameter}; they override
 * the model's defaults and the {@code Criteria} arguments).
 *
 * <pre>
 * GenerationRequest request =
 *         GenerationRequest.builder()
 *                 .setPrompt("Once upon a time")
 *                 .optParameter("max_new_tokens", 32)
 *                 .optParameter("temperature", 0.7)
 *                 .optParameter("stop", List.of("\n\n"))
 *                 .build();
 * </pre>
 *
 * <p>A chat request gives messages as maps with the keys of the OpenAI and transformers chat format
 * ({@code role}, {@code content}, and whatever else the template reads), optionally tools and
 * template arguments such as Qwen3's {@code enable_thinking}.
 */
public final class GenerationRequest {

    private final String prompt;
    private final List<Map<String, Object>> messages;
    private final List<Map<String, Object>> tools;
    private final Map<String, Object> templateArguments;
    private final Map<String, Object> parameters;

    private GenerationRequest(Builder builder) {
        prompt = builder.prompt;
        messages = builder.messages == null ? null : List.copyOf(builder.messages);
        tools = builder.tools == null ? null : List.copyOf(builder.tools);
        templateArguments =
                Collections.unmodifiableMap(new LinkedHashMap<>(builder.templateArguments));
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(builder.parameters));
    }

    /**
     * Returns a request for a prompt with the default parameters.
     *
     * @param prompt the prompt
     * @return the request
     */
    public static GenerationRequest of(String prompt) {
        return builder().setPrompt(prompt).build();
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the prompt.
     *
     * @return the prompt, or null for a chat request
     */
    public String getPrompt() {
        return prompt;
    }

    /**
     * Returns the chat messages.
     *
     * @return the messages, or null for a prompt request
     */
    public List<Map<String, Object>> getMessages() {
        return messages;
    }

    /**
     * Returns whether this is a chat request.
     *
     * @return {@code true} when the request holds messages
     */
    public boolean isChat() {
        return messages != null;
    }

    /**
     * Returns the tools the chat template may describe to the model.
     *
     * @return the tools, or null
     */
    public List<Map<String, Object>> getTools() {
        return tools;
    }

    /**
     * Returns the extra variables of the chat template.
     *
     * @return the variables, possibly empty
     */
    public Map<String, Object> getTemplateArguments() {
        return templateArguments;
    }

    /**
     * Returns the generation parameters of this request.
     *
     * @return the parameters, possibly empty
     */
    public Map<String, Object> getParameters() {
        return parameters;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GenerationRequest{"
                + (prompt != null ? "prompt='" + prompt + "'" : "messages=" + messages)
                + ", parameters="
                + parameters
                + '}';
    }

    /** Builds {@link GenerationRequest}s. */
    public static final class Builder {

        private String prompt;
        private List<Map<String, Object>> messages;
        private List<Map<String, Object>> tools;
        private final Map<String, Object> templateArguments = new LinkedHashMap<>();
        private final Map<String, Object> parameters = new LinkedHashMap<>();

        Builder() {}

        /**
         * Sets the prompt (a prompt request).
         *
         * @param prompt the prompt
         * @return this builder
         */
        public Builder setPrompt(String prompt) {
            this.prompt = Objects.requireNonNull(prompt, "prompt");
            return this;
        }

        /**
         * Sets the chat messages (a chat request).
         *
         * @param messages maps with at least {@code role} and {@code content}
         * @return this builder
         */
        public Builder setMessages(List<? extends Map<String, ?>> messages) {
            List<Map<String, Object>> copy = new ArrayList<>();
            for (Map<String, ?> message : messages) {
                copy.add(new LinkedHashMap<>(message));
            }
            this.messages = copy;
            return this;
        }

        /**
         * Sets the tools of a chat request.
         *
         * @param tools the tools, in the OpenAI function format
         * @return this builder
         */
        public Builder optTools(List<? extends Map<String, ?>> tools) {
            List<Map<String, Object>> copy = new ArrayList<>();
            for (Map<String, ?> tool : tools) {
                copy.add(new LinkedHashMap<>(tool));
            }
            this.tools = copy;
            return this;
        }

        /**
         * Adds a variable of the chat template, such as {@code enable_thinking}.
         *
         * @param name the variable
         * @param value its value
         * @return this builder
         */
        public Builder optTemplateArgument(String name, Object value) {
            templateArguments.put(name, value);
            return this;
        }

        /**
         * Adds a generation parameter of this request.
         *
         * @param name the parameter, in camelCase or snake_case
         * @param value its value
         * @return this builder
         */
        public Builder optParameter(String name, Object value) {
            parameters.put(name, value);
            return this;
        }

        /**
         * Adds generation parameters of this request.
         *
         * @param values the parameters
         * @return this builder
         */
        public Builder optParameters(Map<String, ?> values) {
            parameters.putAll(values);
            return this;
        }

        /**
         * Builds the request.
         *
         * @return the request
         * @throws IllegalArgumentException when neither or both of prompt and messages are set
         */
        public GenerationRequest build() {
            if ((prompt == null) == (messages == null)) {
                throw new IllegalArgumentException(
                        "A generation request has either a prompt or chat messages");
            }
            return new GenerationRequest(this);
        }
    }
}
