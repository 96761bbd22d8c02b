package dev.djlmetal.zoo.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real chat templates of Llama 3, Llama 3.1/3.2, Qwen2.5, Qwen3, Mistral Nemo and Gemma 3
 * render as transformers renders them: the expected texts were computed by transformers'
 * apply_chat_template (see resources dev/djlmetal/zoo/generate/chat/SOURCES.md).
 */
class ChatTemplateTest {

    private static final String ROOT = "/dev/djlmetal/zoo/generate/chat/";

    private static JsonElement resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(ROOT + name);
                Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(reader);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(JsonElement json) {
        return json == null ? null : (List<Map<String, Object>>) JsonValues.toJava(json);
    }

    private static ChatTemplate template(String name) throws IOException {
        JsonObject config = resource("templates/" + name + ".json").getAsJsonObject();
        return ChatTemplate.of(
                config.get("chat_template").getAsString(), ChatTemplate.specialTokensOf(config));
    }

    @TestFactory
    Stream<DynamicTest> rendersAsTransformers() throws IOException {
        JsonArray cases = resource("cases.json").getAsJsonArray();
        JsonArray expected =
                resource("expected.json").getAsJsonObject().getAsJsonArray("renderings");
        assertEquals(cases.size(), expected.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            JsonObject e = expected.get(i).getAsJsonObject();
            String name = c.get("template").getAsString() + "/" + c.get("case").getAsString();
            assertEquals(name, e.get("template").getAsString() + "/" + e.get("case").getAsString());
            tests.add(
                    DynamicTest.dynamicTest(
                            name,
                            () -> {
                                ChatTemplate template = template(c.get("template").getAsString());
                                List<Map<String, Object>> messages = maps(c.get("messages"));
                                List<Map<String, Object>> tools = maps(c.get("tools"));
                                boolean generation = c.get("add_generation_prompt").getAsBoolean();
                                Map<String, Object> kwargs =
                                        c.has("kwargs")
                                                ? JsonValues.toMap(c.getAsJsonObject("kwargs"))
                                                : Map.of();
                                if (e.has("output")) {
                                    assertEquals(
                                            e.get("output").getAsString(),
                                            template.render(messages, tools, generation, kwargs));
                                } else {
                                    String error = e.get("error").getAsString();
                                    ChatTemplateException thrown =
                                            assertThrows(
                                                    ChatTemplateException.class,
                                                    () ->
                                                            template.render(
                                                                    messages,
                                                                    tools,
                                                                    generation,
                                                                    kwargs));
                                    assertEquals(
                                            error.substring(error.indexOf(": ") + 2),
                                            thrown.getMessage());
                                }
                            }));
        }
        return tests.stream();
    }

    @Test
    void strftimeNowGivesTodaysDate() throws IOException {
        ChatTemplate template = template("llama3_2");
        DateTimeFormatter format = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);
        String before = LocalDate.now().format(format);
        String rendered =
                template.render(
                        List.of(Map.of("role", "user", "content", "hi")), null, false, null);
        String after = LocalDate.now().format(format);
        assertTrue(
                rendered.contains("Today Date: " + before + "\n")
                        || rendered.contains("Today Date: " + after + "\n"),
                rendered);
    }

    @Test
    void loadsFromTheModelDirectory(@TempDir Path dir) throws IOException {
        assertNull(ChatTemplate.load(dir));
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\"}, \"chat_template\": [{\"name\":"
                    + " \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\":"
                    + " \"{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{%"
                    + " endfor %}\"}]}");
        ChatTemplate fromConfig = ChatTemplate.load(dir);
        assertNotNull(fromConfig);
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "x"));
        assertEquals("<s>[user]x", fromConfig.render(messages, null, true, null));
        Files.writeString(
                dir.resolve("chat_template.jinja"), "{{ messages | length }}|{{ bos_token }}");
        assertEquals("1|<s>", ChatTemplate.load(dir).render(messages, null, true, null));
    }

    @Test
    void pythonJsonMatchesJsonDumps() {
        // json.dumps([1, 2.5, 1e-05, 0.0001, 1e16, "é\n", None, True, {}], ensure_ascii=False)
        Object value =
                List.of(
                        1L,
                        2.5,
                        1e-05,
                        0.0001,
                        1e16,
                        "é\n",
                        new java.util.ArrayList<>(java.util.Collections.singleton(null)),
                        true,
                        Map.of());
        assertEquals(
                "[1, 2.5, 1e-05, 0.0001, 1e+16, \"é\\n\", [null], true, {}]",
                PythonJson.dumps(value, -1));
    }

    @Test
    void whitespaceFollowsJinjaTrimAndLstripBlocks() {
        // jinja2 3.1.6, Environment(trim_blocks=True, lstrip_blocks=True): 'a  bc'; spaces are
        // stripped from a line's start to a block tag only, not after text on the same line
        ChatTemplate template =
                ChatTemplate.of(
                        "a  {% if add_generation_prompt %}b{% endif %}\n"
                                + "  {% if add_generation_prompt %}c{% endif %}",
                        Map.of());
        assertEquals("a  bc", template.render(List.of(), null, true, null));
        ChatTemplate words =
                ChatTemplate.of(
                        "{{ bos_token }}{% for m in messages %}{{ m['content'] }} {% endfor %}",
                        Map.of("bos_token", "<s>"));
        assertEquals(
                "<s>w10 w20 ",
                words.render(
                        List.of(Map.of("role", "user", "content", "w10 w20")), null, false, null));
    }
}
