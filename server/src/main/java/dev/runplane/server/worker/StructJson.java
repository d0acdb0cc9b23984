package dev.runplane.server.worker;

import com.google.gson.stream.JsonWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The JSON that a script reads and writes, for inputs, trigger variables and outputs alike.
 * A Struct holds every number as a double, and {@link JsonFormat} prints them so: {@code 1} became
 * {@code 1.0}, which a script reads as a float ({@code range(inputs["n"])} fails in Python). Here a
 * whole number within ±2^53 (where every integer is exact as a double) is written as an integer;
 * any other finite number as the shortest double that reads back the same. -0.0 keeps its sign.
 */
final class StructJson {

    /** 2^53: up to here every integer has an exact double, so writing it as an integer loses nothing. */
    static final double MAX_EXACT_INTEGER = 9007199254740992d;

    private StructJson() {
    }

    /** The Struct as compact JSON, whole numbers as integers. */
    static String print(Struct struct) {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setHtmlSafe(false);
            write(json, struct);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return text.toString();
    }

    /** A JSON object as a Struct (every number a double, as the Struct type has it). */
    static Struct parse(String json) throws InvalidProtocolBufferException {
        Struct.Builder struct = Struct.newBuilder();
        JsonFormat.parser().merge(json, struct);
        return struct.build();
    }

    private static void write(JsonWriter json, Struct struct) throws IOException {
        json.beginObject();
        for (Map.Entry<String, Value> field : struct.getFieldsMap().entrySet()) {
            json.name(field.getKey());
            write(json, field.getValue());
        }
        json.endObject();
    }

    private static void write(JsonWriter json, ListValue list) throws IOException {
        json.beginArray();
        for (Value value : list.getValuesList()) {
            write(json, value);
        }
        json.endArray();
    }

    private static void write(JsonWriter json, Value value) throws IOException {
        switch (value.getKindCase()) {
            case NUMBER_VALUE -> writeNumber(json, value.getNumberValue());
            case STRING_VALUE -> json.value(value.getStringValue());
            case BOOL_VALUE -> json.value(value.getBoolValue());
            case STRUCT_VALUE -> write(json, value.getStructValue());
            case LIST_VALUE -> write(json, value.getListValue());
            case NULL_VALUE, KIND_NOT_SET -> json.nullValue();
        }
    }

    private static void writeNumber(JsonWriter json, double n) throws IOException {
        if (Double.isNaN(n) || Double.isInfinite(n)) {
            // JSON has no form for them; JsonFormat writes them as these strings, so do we.
            json.value(Double.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity");
        } else if (isExactInteger(n)) {
            json.value((long) n);
        } else {
            json.value(n);
        }
    }

    /** A whole number within ±2^53, other than -0.0 (which a long would turn into 0). */
    static boolean isExactInteger(double n) {
        return n == Math.rint(n) && Math.abs(n) <= MAX_EXACT_INTEGER
                && Double.doubleToRawLongBits(n) != Double.doubleToRawLongBits(-0.0d);
    }
}
