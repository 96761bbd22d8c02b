package dev.djlmetal.zoo.chat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns parsed JSON into the plain Java values chat templates see, as Python's {@code json.loads}
 * would: objects become ordered maps, arrays lists, integers {@code Long}, other numbers {@code
 * Double}.
 */
public final class JsonValues {

    private JsonValues() {}

    /**
     * Converts a JSON value.
     *
     * @param json the value
     * @return a map, list, string, {@code Long}, {@code Double}, {@code Boolean} or null
     */
    public static Object toJava(JsonElement json) {
        if (json == null || json.isJsonNull()) {
            return null;
        }
        if (json.isJsonObject()) {
            return toMap(json.getAsJsonObject());
        }
        if (json.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonElement e : json.getAsJsonArray()) {
                list.add(toJava(e));
            }
            return list;
        }
        JsonPrimitive primitive = json.getAsJsonPrimitive();
        if (primitive.isBoolean()) {
            return primitive.getAsBoolean();
        }
        if (primitive.isNumber()) {
            BigDecimal number = primitive.getAsBigDecimal();
            String text = primitive.getAsString();
            boolean integral =
                    text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
            return integral ? (Object) number.longValueExact() : (Object) number.doubleValue();
        }
        return primitive.getAsString();
    }

    /**
     * Converts a JSON object.
     *
     * @param json the object
     * @return an ordered map
     */
    public static Map<String, Object> toMap(JsonObject json) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            map.put(e.getKey(), toJava(e.getValue()));
        }
        return map;
    }
}
