package dev.runplane.server.api;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;

/**
 * The one JSON codec of every stored Struct (inputs, outputs, trigger variables, step metrics), in
 * place of JsonFormat, whose reader turns a long integer (jsonb prints 1e308 as 309 digits) into a
 * string_value and whose printer throws on NaN. Numbers are written in a form that parses back to
 * the identical double (whole numbers below 2^53 as integers, others as {@link Double#toString},
 * which round-trips) and read with {@link Double#parseDouble}, which rounds any decimal, however
 * long, to the nearest double: so every finite double survives jsonb's {@code numeric}, except -0.0,
 * which {@code numeric} stores as 0. What JSON cannot hold (NaN, Infinity, a NUL character, which
 * jsonb refuses) is refused with the path of the value.
 */
final class StructJson {

    /** Integers of magnitude below this are exact doubles; they are written without a fraction. */
    private static final double EXACT_INTEGERS = 0x1p53;
    private static final int MAX_PATH = 200;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private StructJson() {
    }

    /** Why a Struct has no JSON form: what is wrong, and where ({@code a.b[2]}). */
    static final class NotJson extends Exception {

        private final String path;

        NotJson(String problem, String path) {
            super(problem, null, false, false);
            this.path = path;
        }

        String path() {
            return path;
        }
    }

    /** The Struct as compact JSON; a Value without a kind becomes null, as JsonFormat prints it. */
    static String write(Struct struct) throws NotJson {
        if (struct.getFieldsCount() == 0) { // most inputs
            return "{}";
        }
        StringBuilder out = new StringBuilder(64);
        writeStruct(struct, out, new StringBuilder());
        return out.toString();
    }

    /** The Struct of a JSON object as jsonb prints it; IllegalStateException if it is not one. */
    static Struct read(String json) {
        return new Reader(json).document();
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
        if (n == Math.rint(n) && Math.abs(n) < EXACT_INTEGERS) {
            out.append((long) n); // 1, not 1.0; -0.0 becomes 0, as numeric would store it anyway
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
                        out.append(c);
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
     * A reader of jsonb's output. Not Gson's JsonReader: it refuses (strict) or reads as a string
     * (lenient, JsonFormat's mode) the 309-digit integer that jsonb prints for 1e308.
     */
    private static final class Reader {

        private final String s;
        private int i;

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

        private Struct struct() {
            expect('{');
            Struct.Builder struct = Struct.newBuilder();
            if (peek() == '}') {
                i++;
                return struct.build();
            }
            do {
                String key = string();
                expect(':');
                struct.putFields(key, value());
            } while (next(',', '}'));
            return struct.build();
        }

        private Value value() {
            Value.Builder value = Value.newBuilder();
            switch (peek()) {
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
                default -> value.setNumberValue(number());
            }
            return value.build();
        }

        private ListValue list() {
            expect('[');
            ListValue.Builder list = ListValue.newBuilder();
            if (peek() == ']') {
                i++;
                return list.build();
            }
            do {
                list.addValues(value());
            } while (next(',', ']'));
            return list.build();
        }

        /** Any decimal, however many digits, rounded once to the nearest double. */
        private double number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            try {
                return Double.parseDouble(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw error("not a number");
            }
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
                    try {
                        char u = (char) Integer.parseInt(s, i, i + 4, 16);
                        i += 4;
                        yield u;
                    } catch (NumberFormatException e) {
                        throw error("a bad \\u escape");
                    }
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

        /** After a member: true at {@code more}, false at {@code end}. */
        private boolean next(char more, char end) {
            char c = peek();
            i++;
            if (c == more) {
                return true;
            }
            if (c == end) {
                return false;
            }
            throw error("expected '" + more + "' or '" + end + "'");
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

        private void space() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\r'
                    || s.charAt(i) == '\t')) {
                i++;
            }
        }

        private IllegalStateException error(String what) {
            return new IllegalStateException("stored JSON is not an object: " + what + " at offset " + i);
        }
    }
}
