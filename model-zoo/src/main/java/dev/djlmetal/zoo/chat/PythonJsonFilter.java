package dev.djlmetal.zoo.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * The {@code tojson} filter of transformers' chat templates: Python's {@code json.dumps} with
 * {@code ensure_ascii=False} and an optional {@code indent} (see {@link PythonJson}).
 */
final class PythonJsonFilter implements Filter {

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "tojson";
    }

    /** {@inheritDoc} */
    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        int indent = args.length > 0 && args[0] != null ? Integer.parseInt(args[0].trim()) : -1;
        return PythonJson.dumps(var, indent);
    }

    /** {@inheritDoc} */
    @Override
    public Object filter(
            Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.get("indent");
        if (indent == null && args.length > 0) {
            indent = args[0];
        }
        int width = indent == null ? -1 : Integer.parseInt(indent.toString().trim());
        return PythonJson.dumps(var, width);
    }
}
