package dev.runplane.client;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;

/**
 * Runplane's one JSON form of a {@link Struct}: the server stores every Struct (inputs, outputs,
 * trigger variables, step metrics) in it, and the process worker writes it to a script's stdin
 * and reads a script's stdout with it. Use it in place of protobuf's {@code JsonFormat}, which
 * prints {@code 1} as {@code 1.0} (Python then reads a float), throws on NaN, reads a long integer
 * (Python prints {@code 10**308} with 309 digits) as a string, and accepts {@code {'a': 1}}.
 *
 * <p>Writing: compact JSON, keys in the Struct's order. A whole number of magnitude up to 2^53 is
 * written as an integer ({@code 1}, not {@code 1.0}); any other number with {@link Double#toString},
 * whose text parses back to the identical double. -0.0 is written as {@code 0}: Runplane stores JSON
 * as PostgreSQL {@code jsonb}, whose numbers have no negative zero, so every path agrees on it. A
 * Value without a kind is written as {@code null}, as JsonFormat does. What JSON or PostgreSQL cannot
 * hold (NaN, Infinity, a NUL character) is refused with {@link NotJson}, naming the value's path.
 *
 * <p>Reading: strict JSON (RFC 8259) whose top level is an object, any white space between tokens.
 * Every number becomes a double (a Struct has no integers), a decimal of any length rounded once to
 * the nearest; a number beyond the range of a double is refused, as are NaN, Infinity, single
 * quotes, trailing commas, text after the object and more than {@link #MAX_DEPTH} levels of
 * nesting, with an {@link IllegalArgumentException} that says what was found and at which offset.
 * A key given twice keeps its last value. So every Struct that {@link #write} accepts reads back
 * identical, except -0.0, which reads back as 0.
 */
public final class StructJson {

    /** The most levels of objects and lists that {@link #read} accepts (JsonFormat's limit too). */
    public static final int MAX_DEPTH = 100;

    /** Up to this magnitude every integer is an exact double: written as an integer, nothing is lost. */
    private static final double EXACT_INTEGERS = 0x1p53;
    private static final int MAX_PATH = 200;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private StructJson() {
    }

    /** Why a Struct has no JSON form: what is wrong ({@link #getMessage}), and where ({@link #path}). */
    public static final class NotJson extends Exception {

        private final String path;

        NotJson(String problem, String path) {
            super(problem, null, false, false); // a data problem, reported to a user: no stack trace
            this.path = path;
        }

        /** The value's path, as {@code a.b[2]}, or {@code the top level}; at most 200 characters and "...". */
        public String path() {
            return path;
        }
    }

    /** The Struct as compact JSON; NotJson if it holds NaN, Infinity or a NUL character. */
    public static String write(Struct struct) throws NotJson {
        if (struct.getFieldsCount() == 0) { // most inputs
            return "{}";
        }
        StringBuilder out = new StringBuilder(64);
        writeStruct(struct, out, new StringBuilder());
        return out.toString();
    }

    /** The Struct of a JSON object; IllegalArgumentException ("expected ':' at offset 7") if it is not one. */
    public static Struct read(String json) {
        if (json.equals("{}")) { // most inputs and outputs, as jsonb prints them: spare the reader
            return Struct.getDefaultInstance();
        }
        return new Reader(json).document();
    }

    /**
     * One JSON value of any kind ({@code 3}, {@code true}, {@code "a"}, {@code [1]}, {@code {"a":1}},
     * {@code null}), read as strictly as {@link #read} reads an object; IllegalArgumentException if
     * the text is not exactly one value. The CLI's {@code -i key=value} decides with it what a value is.
     */
    public static Value readValue(String json) {
        return new Reader(json).single();
    }

    private static void writeStruct(Struct struct, StringBuilder out, StringBuilder path) throws NotJson {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, Value> field : struct.getFieldsMap().entrySet()) {
            int mark = path.length();
            if (mark > 0) {
                path.append('.');
            }
            path.append(field.getKey());
            if (!first) {
                out.append(',');
            }
            first = false;
            writeString(field.getKey(), out, path);
            out.append(':');
            writeValue(field.getValue(), out, path);
            path.setLength(mark);
        }
        out.append('}');
    }

    private static void writeValue(Value value, StringBuilder out, StringBuilder path) throws NotJson {
        switch (value.getKindCase()) {
            case NUMBER_VALUE -> writeNumber(value.getNumberValue(), out, path);
            case STRING_VALUE -> writeString(value.getStringValue(), out, path);
            case BOOL_VALUE -> out.append(value.getBoolValue());
            case STRUCT_VALUE -> writeStruct(value.getStructValue(), out, path);
            case LIST_VALUE -> writeList(value.getListValue(), out, path);
            case NULL_VALUE, KIND_NOT_SET -> out.append("null");
        }
    }

    private static void writeList(ListValue list, StringBuilder out, StringBuilder path) throws NotJson {
        out.append('[');
        for (int i = 0; i < list.getValuesCount(); i++) {
            int mark = path.length();
            path.append('[').append(i).append(']');
            if (i > 0) {
                out.append(',');
            }
            writeValue(list.getValues(i), out, path);
            path.setLength(mark);
        }
        out.append(']');
    }

    private static void writeNumber(double n, StringBuilder out, StringBuilder path) throws NotJson {
        if (!Double.isFinite(n)) {
            throw new NotJson("must not contain NaN or Infinity (JSON has no form for them)", path(path));
        }
        if (n == Math.rint(n) && Math.abs(n) <= EXACT_INTEGERS) {
            out.append((long) n); // 1, not 1.0; -0.0 becomes 0, as jsonb would store it anyway
        } else {
            out.append(Double.toString(n)); // 1.0E308, 4.9E-324: valid JSON that parses back to n
        }
    }

    private static void writeString(String s, StringBuilder out, StringBuilder path) throws NotJson {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\0' -> throw new NotJson("must not contain NUL characters (PostgreSQL cannot store them)",
                        path(path));
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c); // no HTML escaping: "<" stays "<"
                    }
                }
            }
        }
        out.append('"');
    }

    private static String path(StringBuilder path) {
        String text = path.length() == 0 ? "the top level" : path.toString();
        return text.length() <= MAX_PATH ? text : text.substring(0, MAX_PATH) + "...";
    }

    /**
     * A strict reader of one JSON object. Not Gson's JsonReader: strict, it refuses the 309-digit
     * integer that jsonb prints for 1e308; lenient (JsonFormat's mode) it reads it as a string and
     * accepts single quotes, NaN and unquoted keys.
     */
    private static final class Reader {

        private final String s;
        private int i;
        private int depth;

        Reader(String s) {
            this.s = s;
        }

        Struct document() {
            Struct struct = struct();
            space();
            if (i != s.length()) {
                throw error("text after the object");
            }
            return struct;
        }

        Value single() {
            space();
            Value value = value();
            space();
            if (i != s.length()) {
                throw error("text after the value");
            }
            return value;
        }

        private Struct struct() {
            expect('{');
            nest();
            Struct.Builder struct = Struct.newBuilder();
            if (peek() == '}') {
                i++;
            } else {
                do {
                    String key = string();
                    expect(':');
                    struct.putFields(key, value());
                } while (next(',', '}'));
            }
            depth--;
            return struct.build();
        }

        private ListValue list() {
            expect('[');
            nest();
            ListValue.Builder list = ListValue.newBuilder();
            if (peek() == ']') {
                i++;
            } else {
                do {
                    list.addValues(value());
                } while (next(',', ']'));
            }
            depth--;
            return list.build();
        }

        /** One more level of nesting; the limit keeps a hostile text from overflowing the stack. */
        private void nest() {
            if (++depth > MAX_DEPTH) {
                throw error("more than " + MAX_DEPTH + " levels of objects and lists");
            }
        }

        private Value value() {
            Value.Builder value = Value.newBuilder();
            char c = peek();
            switch (c) {
                case '{' -> value.setStructValue(struct());
                case '[' -> value.setListValue(list());
                case '"' -> value.setStringValue(string());
                case 't' -> {
                    word("true");
                    value.setBoolValue(true);
                }
                case 'f' -> {
                    word("false");
                    value.setBoolValue(false);
                }
                case 'n' -> {
                    word("null");
                    value.setNullValue(NullValue.NULL_VALUE);
                }
                default -> {
                    if (s.startsWith("NaN", i) || s.startsWith("Infinity", i) || s.startsWith("-Infinity", i)) {
                        throw error("NaN or Infinity (JSON has no form for them)"); // Python's json.dumps writes them
                    }
                    if (c != '-' && (c < '0' || c > '9')) {
                        throw error("not a value");
                    }
                    value.setNumberValue(number());
                }
            }
            return value.build();
        }

        /**
         * A number of JSON's grammar ({@code -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?}), however
         * many digits, rounded once to the nearest double.
         */
        private double number() {
            int start = i;
            accept('-');
            if (!accept('0')) {
                digits();
            }
            if (accept('.')) {
                digits();
            }
            if (accept('e') || accept('E')) {
                if (!accept('+')) {
                    accept('-');
                }
                digits();
            }
            double n = Double.parseDouble(s.substring(start, i)); // the grammar above is a valid double
            if (Double.isInfinite(n)) {
                i = start;
                throw error("a number beyond the range of a double");
            }
            return n;
        }

        /** One or more digits. */
        private void digits() {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw error(i < s.length() ? "not a number" : "the end of the text");
            }
        }

        private boolean accept(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private String string() {
            expect('"');
            StringBuilder out = null;
            int start = i;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"') {
                    String text = out == null ? s.substring(start, i) : out.append(s, start, i).toString();
                    i++;
                    return text;
                }
                if (c < 0x20) {
                    throw error("a control character in a string (JSON escapes them)");
                }
                if (c != '\\') {
                    i++;
                    continue;
                }
                if (out == null) {
                    out = new StringBuilder();
                }
                out.append(s, start, i);
                out.append(escape());
                start = i;
            }
            throw error("an unterminated string");
        }

        /** The character of the escape at {@code i} (a backslash), leaving {@code i} after it. */
        private char escape() {
            if (i + 1 >= s.length()) {
                throw error("an unterminated escape");
            }
            char c = s.charAt(i + 1);
            i += 2;
            return switch (c) {
                case '"', '\\', '/' -> c;
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error("a short \\u escape");
                    }
                    for (int k = i; k < i + 4; k++) {
                        if (Character.digit(s.charAt(k), 16) < 0) { // parseInt would accept a sign
                            throw error("a bad \\u escape");
                        }
                    }
                    char u = (char) Integer.parseInt(s, i, i + 4, 16);
                    i += 4;
                    yield u; // a surrogate pair is two escapes, each one char
                }
                default -> throw error("a bad escape");
            };
        }

        private void word(String word) {
            if (!s.startsWith(word, i)) {
                throw error("not a value");
            }
            i += word.length();
        }

        /** After a member: true at {@code more}, false at {@code end}, both consumed. */
        private boolean next(char more, char end) {
            char c = peek();
            if (c != more && c != end) {
                throw error("expected '" + more + "' or '" + end + "'");
            }
            i++;
            return c == more;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        /** The next character that is not white space, without consuming it. */
        private char peek() {
            space();
            if (i >= s.length()) {
                throw error("the end of the text");
            }
            return s.charAt(i);
        }

        /** JSON's four white space characters, and no others. */
        private void space() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\r'
                    || s.charAt(i) == '\t')) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at offset " + i);
        }
    }
}
