package dev.djlmetal.backend.metal.emulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns Metal Shading Language into C++20 for the emulator, keeping every line where it was (so
 * compiler messages point at the {@code .metal} source), and reads the binding of every kernel
 * parameter from its attribute. What it rewrites:
 *
 * <ul>
 *   <li>{@code device T*} and {@code constant T*} become {@code ::djlm::device_ptr<T>} (the latter
 *       of {@code const T}): a pointer that knows its buffer and checks every access against the
 *       bound length;
 *   <li>{@code device T&} and {@code constant T&} become plain references (the runtime checks once
 *       per dispatch that the bound data is large enough); {@code constant} elsewhere becomes
 *       {@code const};
 *   <li>a {@code threadgroup} variable becomes a reference into the threadgroup's memory, which the
 *       runtime poisons before each threadgroup uses it; {@code threadgroup T*} and every {@code
 *       thread} qualifier lose the qualifier;
 *   <li>the {@code kernel} keyword is dropped (the {@code [[kernel]]} attribute is left in place).
 * </ul>
 *
 * <p>Every kernel ({@code [[kernel]] void name(...)}) is listed with the attribute of each
 * parameter: {@code [[buffer(i)]]} or one of the thread-position attributes. A parameter without a
 * supported attribute, a repeated or out-of-range buffer index, a preprocessor directive that uses
 * an address-space qualifier, or a declaration the rewriting does not cover is rejected with the
 * line number, instead of being compiled into an emulator that would not behave like a GPU.
 */
final class MslTranslator {

    /** The largest buffer index of Metal's argument table (31 entries). */
    static final int MAX_BUFFER_INDEX = 30;

    private static final Set<String> QUALIFIERS =
            Set.of("device", "constant", "threadgroup", "thread");

    /** The address spaces whose rewriting the emulator's checks rely on. */
    private static final Set<String> ADDRESS_SPACES = Set.of("device", "constant", "threadgroup");

    /** MSL attribute name to the runtime's {@code djlm::ParamKind} enumerator. */
    private static final Map<String, String> POSITION_ATTRIBUTES =
            Map.ofEntries(
                    Map.entry("threadgroup_position_in_grid", "threadgroup_position_in_grid"),
                    Map.entry("thread_position_in_threadgroup", "thread_position_in_threadgroup"),
                    Map.entry("thread_index_in_threadgroup", "thread_index_in_threadgroup"),
                    Map.entry("thread_position_in_grid", "thread_position_in_grid"),
                    Map.entry("threads_per_threadgroup", "threads_per_threadgroup"),
                    Map.entry("threadgroups_per_grid", "threadgroups_per_grid"),
                    Map.entry("simdgroup_index_in_threadgroup", "simdgroup_index_in_threadgroup"),
                    Map.entry("thread_index_in_simdgroup", "thread_index_in_simdgroup"),
                    Map.entry("simdgroups_per_threadgroup", "simdgroups_per_threadgroup"),
                    Map.entry("threads_per_simdgroup", "threads_per_simdgroup"),
                    Map.entry("thread_execution_width", "threads_per_simdgroup"));

    private final String fileName;
    private final List<Token> tokens;
    private int threadgroupSites;

    private MslTranslator(String fileName, String source) {
        this.fileName = fileName;
        this.tokens = new Lexer(source).tokens();
    }

    /**
     * Translates one MSL source.
     *
     * @param fileName the name compiler messages use for the source
     * @param source the MSL text
     * @return the C++ text and the kernels found
     * @throws IllegalStateException naming the file and line of what cannot be translated
     */
    static Translation translate(String fileName, String source) {
        MslTranslator translator = new MslTranslator(fileName, source);
        List<Kernel> kernels = translator.findKernels();
        String cxx = translator.rewrite();
        return new Translation(cxx, kernels, translator.threadgroupSites);
    }

    // ---------------------------------------------------------------------------------------
    // Kernels and their parameters

    private List<Kernel> findKernels() {
        List<Kernel> kernels = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            int afterMarker = kernelMarkerEnd(i);
            if (afterMarker < 0) {
                continue;
            }
            boolean template = precededByTemplateHeader(i);
            int voidToken = next(afterMarker - 1);
            if (voidToken < 0 || !tokens.get(voidToken).is("void")) {
                // An explicit instantiation ([[kernel]] decltype(...)) or an attribute on
                // something else: not a kernel definition.
                continue;
            }
            int nameToken = next(voidToken);
            int open = nameToken < 0 ? -1 : next(nameToken);
            if (nameToken < 0
                    || tokens.get(nameToken).kind != Kind.IDENT
                    || open < 0
                    || !tokens.get(open).is("(")) {
                throw error(tokens.get(i), "a kernel must be declared as `void name(...)`");
            }
            String name = tokens.get(nameToken).text;
            if (!names.add(name)) {
                throw error(tokens.get(nameToken), "kernel " + name + " is defined twice");
            }
            int close = matching(open, "(", ")", "the parameters of kernel " + name);
            kernels.add(new Kernel(name, template, parameters(name, open, close), line(nameToken)));
            i = close;
        }
        return kernels;
    }

    /** Returns the index after `[[kernel]]` or the `kernel` keyword at i, or -1. */
    private int kernelMarkerEnd(int i) {
        Token t = tokens.get(i);
        if (t.is("kernel") && t.kind == Kind.IDENT) {
            int n = next(i);
            return n >= 0 && tokens.get(n).is("void") ? i + 1 : -1;
        }
        if (!t.is("[")) {
            return -1;
        }
        int second = i + 1 < tokens.size() ? i + 1 : -1;
        if (second < 0 || !tokens.get(second).is("[")) {
            return -1;
        }
        int word = next(second);
        int close1 = word < 0 ? -1 : next(word);
        if (word < 0 || !tokens.get(word).is("kernel") || close1 < 0) {
            return -1;
        }
        if (!tokens.get(close1).is("]")
                || close1 + 1 >= tokens.size()
                || !tokens.get(close1 + 1).is("]")) {
            return -1;
        }
        return close1 + 2;
    }

    private boolean precededByTemplateHeader(int i) {
        int p = previous(i);
        if (p < 0 || !tokens.get(p).is(">")) {
            return false;
        }
        int depth = 0;
        for (int j = p; j >= 0; j--) {
            Token t = tokens.get(j);
            if (t.is(">")) {
                depth++;
            } else if (t.is("<")) {
                depth--;
                if (depth == 0) {
                    int before = previous(j);
                    return before >= 0 && tokens.get(before).is("template");
                }
            } else if (t.is(";") || t.is("{") || t.is("}")) {
                return false;
            }
        }
        return false;
    }

    private List<Parameter> parameters(String kernel, int open, int close) {
        List<List<Integer>> split = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int depth = 0;
        for (int i = open + 1; i < close; i++) {
            Token t = tokens.get(i);
            if (t.isTrivia()) {
                continue;
            }
            if (t.is("(") || t.is("[") || t.is("{") || t.is("<")) {
                depth++;
            } else if (t.is(")") || t.is("]") || t.is("}") || t.is(">")) {
                depth--;
            } else if (t.is(",") && depth == 0) {
                split.add(current);
                current = new ArrayList<>();
                continue;
            }
            current.add(i);
        }
        if (!current.isEmpty()) {
            split.add(current);
        }
        List<Parameter> parameters = new ArrayList<>();
        Set<Integer> buffers = new HashSet<>();
        for (List<Integer> parameter : split) {
            parameters.add(parameter(kernel, parameter, buffers));
        }
        return parameters;
    }

    private Parameter parameter(String kernel, List<Integer> indices, Set<Integer> buffers) {
        int attributeStart = -1;
        for (int k = 0; k + 1 < indices.size(); k++) {
            if (tokens.get(indices.get(k)).is("[")
                    && tokens.get(indices.get(k + 1)).is("[")
                    && indices.get(k + 1).intValue() == indices.get(k).intValue() + 1) {
                attributeStart = k;
                break;
            }
        }
        Token first = tokens.get(indices.get(0));
        String name = null;
        int nameEnd = attributeStart < 0 ? indices.size() : attributeStart;
        for (int k = nameEnd - 1; k >= 0; k--) {
            Token t = tokens.get(indices.get(k));
            if (t.kind == Kind.IDENT) {
                name = t.text;
                break;
            }
        }
        if (name == null) {
            throw error(first, "a parameter of kernel " + kernel + " has no name");
        }
        if (attributeStart < 0) {
            throw error(
                    first,
                    "parameter `"
                            + name
                            + "` of kernel "
                            + kernel
                            + " has no attribute; the emulator binds every kernel argument by"
                            + " its [[buffer(i)]] or thread-position attribute");
        }
        StringBuilder attribute = new StringBuilder();
        int k = attributeStart + 2;
        for (; k < indices.size(); k++) {
            Token t = tokens.get(indices.get(k));
            if (t.is("]")) {
                break;
            }
            if (!t.isTrivia()) {
                attribute.append(t.text);
            }
        }
        String text = attribute.toString();
        String where = "parameter `" + name + "` of kernel " + kernel;
        if (text.startsWith("buffer(") && text.endsWith(")")) {
            String digits = text.substring("buffer(".length(), text.length() - 1);
            if (!digits.matches("\\d{1,3}")) {
                throw error(
                        first,
                        where + ": [[" + text + "]] must name the index with an integer literal");
            }
            int index = Integer.parseInt(digits);
            if (index > MAX_BUFFER_INDEX) {
                throw error(
                        first,
                        where
                                + ": buffer index "
                                + index
                                + " is above Metal's limit of "
                                + MAX_BUFFER_INDEX);
            }
            if (!buffers.add(index)) {
                throw error(first, where + ": buffer(" + index + ") is bound twice");
            }
            return new Parameter(name, "buffer", index);
        }
        String kind = POSITION_ATTRIBUTES.get(text);
        if (kind == null) {
            throw error(
                    first,
                    where
                            + ": attribute [["
                            + text
                            + "]] is not supported by the emulator (supported: buffer(i), "
                            + String.join(
                                    ", ", new java.util.TreeSet<>(POSITION_ATTRIBUTES.keySet()))
                            + ")");
        }
        return new Parameter(name, kind, 0);
    }

    // ---------------------------------------------------------------------------------------
    // Rewriting

    private String rewrite() {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < tokens.size()) {
            Token t = tokens.get(i);
            if (t.kind == Kind.DIRECTIVE) {
                for (Token word : new Lexer(t.text.substring(1)).tokens()) {
                    if (word.kind == Kind.IDENT && ADDRESS_SPACES.contains(word.text)) {
                        throw error(
                                t,
                                "a preprocessor directive uses the address space `"
                                        + word.text
                                        + "`, which the emulator cannot rewrite there; declare"
                                        + " it outside the macro");
                    }
                }
                out.append(t.text);
                i++;
                continue;
            }
            if (t.kind == Kind.IDENT && t.is("kernel")) {
                int n = next(i);
                if (n >= 0 && tokens.get(n).is("void")) {
                    i++;
                    continue;
                }
            }
            if (t.kind == Kind.IDENT && (t.is("const") || t.is("volatile"))) {
                int q = next(i);
                while (q >= 0 && (tokens.get(q).is("const") || tokens.get(q).is("volatile"))) {
                    q = next(q);
                }
                if (q >= 0
                        && tokens.get(q).kind == Kind.IDENT
                        && QUALIFIERS.contains(tokens.get(q).text)) {
                    i = qualified(i, q, out);
                    continue;
                }
            }
            if (t.kind == Kind.IDENT && QUALIFIERS.contains(t.text)) {
                i = qualified(i, i, out);
                continue;
            }
            out.append(t.text);
            i++;
        }
        return out.toString();
    }

    /**
     * Rewrites one declaration that uses an address space: {@code start} is its first token (a
     * leading cv-qualifier or the qualifier), {@code q} the qualifier. Appends the replacement and
     * returns the index of the first token not consumed.
     */
    private int qualified(int start, int q, StringBuilder out) {
        Token qualifier = tokens.get(q);
        String space = qualifier.text;
        String prefix = text(start, q).trim();
        // The type: identifiers, ::, and balanced template arguments.
        int i = q + 1;
        int typeStart = -1;
        int typeEnd = -1;
        List<Integer> words = new ArrayList<>();
        while (i < tokens.size()) {
            Token t = tokens.get(i);
            if (t.isTrivia()) {
                i++;
                continue;
            }
            if (t.kind == Kind.IDENT || t.is("::")) {
                if (typeStart < 0) {
                    typeStart = i;
                }
                if (t.kind == Kind.IDENT) {
                    words.add(i);
                }
                typeEnd = i + 1;
                i++;
            } else if (t.is("<") && typeStart >= 0) {
                i = matching(i, "<", ">", "the template arguments of a `" + space + "` type") + 1;
                typeEnd = i;
            } else {
                break;
            }
        }
        if (typeStart < 0 || i >= tokens.size()) {
            throw error(qualifier, "`" + space + "` must be followed by a type");
        }
        Token after = tokens.get(i);
        String type = (prefix.isEmpty() ? "" : prefix + " ") + flatten(text(typeStart, typeEnd));
        int newlines = newlines(start, i);
        if (after.is("*")) {
            int afterStar = next(i);
            if (afterStar >= 0 && tokens.get(afterStar).is("*")) {
                throw error(qualifier, "pointers to pointers in `" + space + "` are not supported");
            }
            switch (space) {
                case "device":
                    out.append("::djlm::device_ptr<").append(type).append(">");
                    break;
                case "constant":
                    out.append("::djlm::device_ptr<::djlm::as_const<").append(type).append(">>");
                    break;
                default:
                    out.append(type).append("*");
                    break;
            }
            appendNewlines(out, newlines);
            return i + 1;
        }
        if (after.is("&")) {
            switch (space) {
                case "constant":
                    out.append("::djlm::as_const<").append(type).append(">&");
                    break;
                default:
                    out.append(type).append("&");
                    break;
            }
            appendNewlines(out, newlines);
            return i + 1;
        }
        switch (space) {
            case "constant":
                out.append(prefix.isEmpty() ? "" : prefix + " ").append("const");
                return q + 1;
            case "thread":
                out.append(prefix);
                return q + 1;
            case "threadgroup":
                return threadgroupVariable(qualifier, prefix, words, typeStart, i, start, out);
            default:
                throw error(
                        qualifier,
                        "a `device` declaration must be a pointer or a reference (`device T*` or"
                                + " `device T&`)");
        }
    }

    /** Rewrites {@code threadgroup T name[dims];} into a reference to poisoned memory. */
    private int threadgroupVariable(
            Token qualifier,
            String prefix,
            List<Integer> words,
            int typeStart,
            int i,
            int start,
            StringBuilder out) {
        if (words.size() < 2) {
            throw error(qualifier, "a `threadgroup` variable needs a type and a name");
        }
        int nameToken = words.get(words.size() - 1);
        String name = tokens.get(nameToken).text;
        String type = (prefix.isEmpty() ? "" : prefix + " ") + flatten(text(typeStart, nameToken));
        StringBuilder dims = new StringBuilder();
        while (i < tokens.size() && tokens.get(i).is("[")) {
            int close = matching(i, "[", "]", "the size of threadgroup variable " + name);
            dims.append(flatten(text(i, close + 1)));
            i = next(close);
            if (i < 0) {
                throw error(qualifier, "threadgroup variable " + name + " is not terminated");
            }
        }
        if (!tokens.get(i).is(";")) {
            throw error(
                    tokens.get(i),
                    "threadgroup variable "
                            + name
                            + " must be declared alone, without an initializer (`threadgroup T"
                            + " name[N];`)");
        }
        int site = threadgroupSites++;
        String alias = "djlm_threadgroup_t" + site;
        out.append("using ")
                .append(alias)
                .append(" = ")
                .append(type)
                .append(dims)
                .append("; ")
                .append(alias)
                .append("& ")
                .append(name)
                .append(" = ::djlm::threadgroup_memory<")
                .append(alias)
                .append(", ")
                .append(site)
                .append(">();");
        appendNewlines(out, newlines(start, i + 1));
        return i + 1;
    }

    // ---------------------------------------------------------------------------------------
    // Token helpers

    private int next(int i) {
        for (int j = i + 1; j < tokens.size(); j++) {
            if (!tokens.get(j).isTrivia()) {
                return j;
            }
        }
        return -1;
    }

    private int previous(int i) {
        for (int j = i - 1; j >= 0; j--) {
            if (!tokens.get(j).isTrivia()) {
                return j;
            }
        }
        return -1;
    }

    private int matching(int open, String opening, String closing, String what) {
        int depth = 0;
        for (int j = open; j < tokens.size(); j++) {
            Token t = tokens.get(j);
            if (t.is(opening)) {
                depth++;
            } else if (t.is(closing)) {
                depth--;
                if (depth == 0) {
                    return j;
                }
            }
        }
        throw error(tokens.get(open), "unbalanced `" + opening + "` in " + what);
    }

    /** The text of tokens [from, to), comments dropped. */
    private String text(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int j = from; j < to; j++) {
            Token t = tokens.get(j);
            b.append(t.kind == Kind.COMMENT ? " " : t.text);
        }
        return b.toString();
    }

    private int newlines(int from, int to) {
        int n = 0;
        for (int j = from; j < to; j++) {
            String s = tokens.get(j).text;
            for (int c = 0; c < s.length(); c++) {
                if (s.charAt(c) == '\n') {
                    n++;
                }
            }
        }
        return n;
    }

    private static String flatten(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }

    private static void appendNewlines(StringBuilder out, int count) {
        for (int n = 0; n < count; n++) {
            out.append('\n');
        }
    }

    private int line(int tokenIndex) {
        return tokens.get(tokenIndex).line;
    }

    private IllegalStateException error(Token at, String message) {
        return new IllegalStateException(fileName + ":" + at.line + ": " + message);
    }

    // ---------------------------------------------------------------------------------------
    // Results

    /** A translated source. */
    static final class Translation {

        private final String source;
        private final List<Kernel> kernels;
        private final int threadgroupSites;

        Translation(String source, List<Kernel> kernels, int threadgroupSites) {
            this.source = source;
            this.kernels = Collections.unmodifiableList(kernels);
            this.threadgroupSites = threadgroupSites;
        }

        /** The C++ text, line for line the MSL source. */
        String source() {
            return source;
        }

        /** The kernels, in source order. */
        List<Kernel> kernels() {
            return kernels;
        }

        /** The number of threadgroup variables (allocation sites). */
        int threadgroupSites() {
            return threadgroupSites;
        }

        /**
         * The generated header that describes every kernel's parameters to the runtime: one struct
         * {@code djlm_binding_<kernel>} per kernel.
         */
        String bindingsHeader() {
            StringBuilder b = new StringBuilder();
            b.append("// Generated from the kernels' parameter attributes: how each argument")
                    .append(" is bound.\n#pragma once\n\n");
            for (Kernel kernel : kernels) {
                b.append("struct djlm_binding_").append(kernel.name).append(" {\n");
                b.append("    static constexpr ::djlm::Param params[] = {\n");
                for (Parameter p : kernel.parameters) {
                    b.append("        {::djlm::ParamKind::")
                            .append(p.kind)
                            .append(", ")
                            .append(p.index)
                            .append("u, \"")
                            .append(p.name)
                            .append("\"},\n");
                }
                if (kernel.parameters.isEmpty()) {
                    b.append("        {::djlm::ParamKind::none, 0u, \"\"},\n");
                }
                b.append("    };\n");
                b.append("    static constexpr unsigned count = ")
                        .append(kernel.parameters.size())
                        .append(";\n};\n\n");
            }
            return b.toString();
        }

        /**
         * The generated exports of the kernels that are not templates (templates are exported where
         * they are instantiated, by the shim's {@code DJLM_INSTANTIATE}).
         */
        String exportsSource() {
            StringBuilder b = new StringBuilder();
            b.append("// Generated: one C entry point per kernel that is not a template.\n\n");
            for (Kernel kernel : kernels) {
                if (kernel.template) {
                    continue;
                }
                b.append(
                        String.format(
                                Locale.ROOT,
                                "extern \"C\" int djlm_%1$s(const ::djlm::Binding* bindings,"
                                        + " unsigned count, const unsigned* dims, char* message,"
                                        + " unsigned capacity) {%n"
                                        + "    return ::djlm::run_kernel<djlm_binding_%1$s,"
                                        + " &%1$s>(\"%1$s\", bindings, count, dims, message,"
                                        + " capacity);%n"
                                        + "}%n%n",
                                kernel.name));
            }
            return b.toString();
        }
    }

    /** One kernel function. */
    static final class Kernel {

        private final String name;
        private final boolean template;
        private final List<Parameter> parameters;
        private final int line;

        Kernel(String name, boolean template, List<Parameter> parameters, int line) {
            this.name = name;
            this.template = template;
            this.parameters = Collections.unmodifiableList(parameters);
            this.line = line;
        }

        String name() {
            return name;
        }

        boolean isTemplate() {
            return template;
        }

        List<Parameter> parameters() {
            return parameters;
        }

        int line() {
            return line;
        }
    }

    /** One kernel parameter and its binding. */
    static final class Parameter {

        private final String name;
        private final String kind;
        private final int index;

        Parameter(String name, String kind, int index) {
            this.name = name;
            this.kind = kind;
            this.index = index;
        }

        String name() {
            return name;
        }

        /** {@code buffer} or a thread-position attribute (the runtime's enumerator name). */
        String kind() {
            return kind;
        }

        /** The buffer index ({@code buffer} parameters only). */
        int index() {
            return index;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return name
                    + ("buffer".equals(kind) ? " [[buffer(" + index + ")]]" : " [[" + kind + "]]");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Lexer

    private enum Kind {
        SPACE,
        COMMENT,
        DIRECTIVE,
        STRING,
        IDENT,
        NUMBER,
        PUNCT
    }

    private static final class Token {

        final Kind kind;
        final String text;
        final int line;

        Token(Kind kind, String text, int line) {
            this.kind = kind;
            this.text = text;
            this.line = line;
        }

        boolean isTrivia() {
            return kind == Kind.SPACE || kind == Kind.COMMENT;
        }

        boolean is(String s) {
            return text.equals(s) && kind != Kind.STRING && kind != Kind.COMMENT;
        }
    }

    private static final class Lexer {

        private final String s;
        private int pos;
        private int line = 1;
        private boolean lineStart = true;

        Lexer(String s) {
            this.s = s;
        }

        List<Token> tokens() {
            List<Token> out = new ArrayList<>();
            while (pos < s.length()) {
                int startLine = line;
                int start = pos;
                char c = s.charAt(pos);
                Kind kind;
                if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                        if (s.charAt(pos) == '\n') {
                            lineStart = true;
                        }
                        pos++;
                    }
                    kind = Kind.SPACE;
                } else if (c == '/' && peek(1) == '/') {
                    while (pos < s.length() && s.charAt(pos) != '\n') {
                        pos++;
                    }
                    kind = Kind.COMMENT;
                } else if (c == '/' && peek(1) == '*') {
                    int end = s.indexOf("*/", pos + 2);
                    pos = end < 0 ? s.length() : end + 2;
                    kind = Kind.COMMENT;
                } else if (c == '#' && lineStart) {
                    while (pos < s.length() && s.charAt(pos) != '\n') {
                        if (s.charAt(pos) == '\\' && peek(1) == '\n') {
                            pos += 2;
                        } else {
                            pos++;
                        }
                    }
                    kind = Kind.DIRECTIVE;
                } else if (c == '"' || c == '\'') {
                    pos++;
                    while (pos < s.length() && s.charAt(pos) != c && s.charAt(pos) != '\n') {
                        pos += s.charAt(pos) == '\\' ? 2 : 1;
                    }
                    pos = Math.min(s.length(), pos + 1);
                    kind = Kind.STRING;
                } else if (Character.isLetter(c) || c == '_') {
                    while (pos < s.length()
                            && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                        pos++;
                    }
                    kind = Kind.IDENT;
                } else if (Character.isDigit(c) || (c == '.' && Character.isDigit(peek(1)))) {
                    while (pos < s.length()) {
                        char d = s.charAt(pos);
                        boolean exponentSign =
                                (d == '+' || d == '-')
                                        && "eEpP".indexOf(s.charAt(pos - 1)) >= 0
                                        && !s.substring(start, pos).startsWith("0x");
                        if (Character.isLetterOrDigit(d) || d == '.' || d == '\'' || exponentSign) {
                            pos++;
                        } else {
                            break;
                        }
                    }
                    kind = Kind.NUMBER;
                } else if (c == ':' && peek(1) == ':') {
                    pos += 2;
                    kind = Kind.PUNCT;
                } else if (c == '-' && peek(1) == '>') {
                    pos += 2;
                    kind = Kind.PUNCT;
                } else {
                    pos++;
                    kind = Kind.PUNCT;
                }
                String text = s.substring(start, pos);
                if (kind != Kind.SPACE) {
                    lineStart = false;
                }
                for (int k = 0; k < text.length(); k++) {
                    if (text.charAt(k) == '\n') {
                        line++;
                    }
                }
                out.add(new Token(kind, text, startLine));
            }
            return out;
        }

        private char peek(int offset) {
            return pos + offset < s.length() ? s.charAt(pos + offset) : '\0';
        }
    }
}
