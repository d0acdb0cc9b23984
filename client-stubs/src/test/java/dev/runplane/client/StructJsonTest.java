package dev.runplane.client;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The one Struct JSON codec: whole numbers as integers within ±2^53, every finite double read back
 * identical, what JSON cannot hold refused with its path, and strict reading of any layout. The
 * server's use of it (stored Structs) is StructRoundTripTest; the worker's (a script's stdin and
 * stdout) WorkerCommandTest and ProcessOutputsTest.
 */
class StructJsonTest {

    private static Value number(double n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    private static Struct one(String name, Value value) {
        return Struct.newBuilder().putFields(name, value).build();
    }

    @Test
    void wholeNumbersWithinTwoToTheFiftyThirdAreIntegers() throws Exception {
        assertEquals("{\"a\":1}", StructJson.write(one("a", number(1))));
        assertEquals("{\"a\":0}", StructJson.write(one("a", number(0))));
        assertEquals("{\"a\":-42}", StructJson.write(one("a", number(-42))));
        assertEquals("{\"a\":9007199254740992}", StructJson.write(one("a", number(9007199254740992d))));
        assertEquals("{\"a\":-9007199254740992}", StructJson.write(one("a", number(-9007199254740992d))));
    }

    @Test
    void otherNumbersAreDoublesThatReadBackTheSame() throws Exception {
        assertEquals("{\"a\":1.5}", StructJson.write(one("a", number(1.5))));
        // Past 2^53 a double is not every integer: it stays a double rather than pretend to be exact.
        assertEquals("{\"a\":9.007199254740994E15}", StructJson.write(one("a", number(9007199254740994d))));
        for (double n : new double[] {0.1, 1e300, Double.MAX_VALUE, Double.MIN_VALUE, -123.456e-200,
                9007199254740994d, 1e21, -Double.MAX_VALUE, Double.MIN_NORMAL, 1.0 / 3}) {
            Struct struct = one("a", number(n));
            assertEquals(Double.doubleToRawLongBits(n), Double.doubleToRawLongBits(
                    StructJson.read(StructJson.write(struct)).getFieldsOrThrow("a").getNumberValue()), "for " + n);
        }
    }

    /**
     * -0.0 is written as 0, as jsonb stores it (its numbers have no negative zero): so a script sees
     * the same number whether its inputs came straight or through the database. (The worker's codec
     * wrote -0.0 and read it back with its sign; the stored codec wrote 0. One rule now: 0.) Reading
     * keeps the sign of an explicit -0.0.
     */
    @Test
    void negativeZeroIsWrittenAsZero() throws Exception {
        assertEquals("{\"a\":0}", StructJson.write(one("a", number(-0.0))));
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(
                StructJson.read(StructJson.write(one("a", number(-0.0)))).getFieldsOrThrow("a").getNumberValue()));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(
                StructJson.read("{\"a\":-0.0}").getFieldsOrThrow("a").getNumberValue()));
    }

    @Test
    void everyKindOfValueAndNestingRoundTrips() throws Exception {
        Struct inner = Struct.newBuilder().putFields("k", number(10)).putFields("t", Value.newBuilder()
                .setStringValue("quote \" backslash \\ <tag> & é \u2028 \u0001 \b\f\n\r\t / \uD83D\uDE00").build())
                .build();
        Struct struct = Struct.newBuilder()
                .putFields("null", Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build())
                .putFields("yes", Value.newBuilder().setBoolValue(true).build())
                .putFields("no", Value.newBuilder().setBoolValue(false).build())
                .putFields("inner", Value.newBuilder().setStructValue(inner).build())
                .putFields("list", Value.newBuilder().setListValue(ListValue.newBuilder().addValues(number(1))
                        .addValues(number(0.25)).addValues(Value.newBuilder().setListValue(ListValue.newBuilder()
                                .addValues(number(-3))))).build())
                .putFields("empty", Value.newBuilder().setListValue(ListValue.getDefaultInstance()).build())
                .build();
        String json = StructJson.write(struct);
        assertEquals(struct, StructJson.read(json));
        assertEquals(true, json.contains("\"list\":[1,0.25,[-3]]"), json);
        assertEquals(true, json.contains("<tag> & é"), "no HTML escaping: " + json);
        assertEquals(true, json.contains("\\u0001 \\u0008\\u000c\\n\\r\\t"), "control characters escaped: " + json);
        assertEquals("{}", StructJson.write(Struct.getDefaultInstance()));
        assertEquals(Struct.getDefaultInstance(), StructJson.read("{}"));
    }

    /** JSON has no form for a Value without a kind: it is written as null, as JsonFormat prints it. */
    @Test
    void aValueWithoutAKindIsNull() throws Exception {
        assertEquals("{\"k\":null}", StructJson.write(one("k", Value.getDefaultInstance())));
    }

    /**
     * NaN, Infinity and NUL are refused with the value's path. (The worker's codec wrote NaN and
     * Infinity as the strings "NaN", "Infinity", "-Infinity", as JsonFormat does; the server refuses
     * them on every path that stores a Struct, so no script was ever given one.)
     */
    @Test
    void whatJsonCannotHoldIsRefusedWithItsPath() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            Struct deep = Struct.newBuilder().putFields("ok", number(1)).putFields("a", Value.newBuilder()
                    .setStructValue(one("b", Value.newBuilder().setListValue(ListValue.newBuilder()
                            .addValues(number(2)).addValues(number(bad))).build())).build()).build();
            StructJson.NotJson refused = assertThrows(StructJson.NotJson.class, () -> StructJson.write(deep));
            assertEquals("a.b[1]", refused.path());
            assertEquals("must not contain NaN or Infinity (JSON has no form for them)", refused.getMessage());
        }
        StructJson.NotJson nul = assertThrows(StructJson.NotJson.class, () -> StructJson.write(
                one("k", Value.newBuilder().setStringValue("\\u0000 and \0").build())));
        assertEquals("k", nul.path());
        assertEquals("must not contain NUL characters (PostgreSQL cannot store them)", nul.getMessage());
        assertEquals("a\0b", assertThrows(StructJson.NotJson.class, () -> StructJson.write(
                one("a\0b", number(1)))).path(), "a NUL in a key: the path is that key");
        assertEquals("the top level", assertThrows(StructJson.NotJson.class, () -> StructJson.write(
                one("", number(Double.NaN)))).path(), "an empty key has no name to show");
        String longKey = "k".repeat(300);
        assertEquals("k".repeat(200) + "...", assertThrows(StructJson.NotJson.class, () -> StructJson.write(
                one(longKey, number(Double.NaN)))).path());
    }

    /** Any white space, any number of digits, escapes of every kind: ordinary JSON as any tool prints it. */
    @Test
    void readsOrdinaryJsonInAnyLayout() {
        Struct read = StructJson.read(" {\r\n\t\"a\" : [ 1 , -2.5e+3 , 1E2 , 0 ] ,\n"
                + "  \"s\" : \"\\u00e9\\ud83d\\ude00\\/\" ,"
                + " \"n\" : null , \"o\" : { } , \"big\" : 1" + "0".repeat(308) + ", \"tiny\": 1e-400 }\n");
        assertEquals(ListValue.newBuilder().addValues(number(1)).addValues(number(-2500)).addValues(number(100))
                .addValues(number(0)).build(), read.getFieldsOrThrow("a").getListValue());
        assertEquals("é\uD83D\uDE00/", read.getFieldsOrThrow("s").getStringValue());
        assertEquals(NullValue.NULL_VALUE, read.getFieldsOrThrow("n").getNullValue());
        assertEquals(Struct.getDefaultInstance(), read.getFieldsOrThrow("o").getStructValue());
        assertEquals(1e308, read.getFieldsOrThrow("big").getNumberValue());
        assertEquals(0.0, read.getFieldsOrThrow("tiny").getNumberValue(), "rounded to the nearest double");
        assertEquals(number(2), StructJson.read("{\"k\":1,\"k\":2}").getFieldsOrThrow("k"), "the last value wins");
    }

    /** Not JSON, or not an object: refused, saying what was found and where. */
    @Test
    void refusesWhatIsNotAJsonObject() {
        String[][] cases = {
                {"[1]", "expected '{' at offset 0"},
                {"", "the end of the text at offset 0"},
                {"{'a': 1}", "expected '\"' at offset 1"},
                {"{a: 1}", "expected '\"' at offset 1"},
                {"{\"a\": 1,}", "expected '\"' at offset 8"},
                {"{\"a\": [1,]}", "not a value at offset 9"},
                {"{\"a\": 1 \"b\": 2}", "expected ',' or '}' at offset 8"},
                {"{\"a\": 1} {}", "text after the object at offset 9"},
                {"{\"a\": NaN}", "NaN or Infinity (JSON has no form for them) at offset 6"},
                {"{\"a\": -Infinity}", "NaN or Infinity (JSON has no form for them) at offset 6"},
                {"{\"a\": 1e400}", "a number beyond the range of a double at offset 6"},
                {"{\"a\": +1}", "not a value at offset 6"},
                {"{\"a\": .5}", "not a value at offset 6"},
                {"{\"a\": 1.}", "not a number at offset 8"},
                {"{\"a\": 01}", "expected ',' or '}' at offset 7"},
                {"{\"a\": 0x1}", "expected ',' or '}' at offset 7"},
                {"{\"a\": tru}", "not a value at offset 6"},
                {"{\"a\": \"x\ty\"}", "a control character in a string (JSON escapes them) at offset 8"},
                {"{\"a\": \"\\x\"}", "a bad escape at offset 9"},
                {"{\"a\": \"\\u+123\"}", "a bad \\u escape at offset 9"},
                {"{\"a\": \"abc", "an unterminated string at offset 10"},
                {"{\"a\" 1}", "expected ':' at offset 5"},
                {"{\"a\": " + "[".repeat(StructJson.MAX_DEPTH) + "]".repeat(StructJson.MAX_DEPTH) + "}",
                        "more than 100 levels of objects and lists at offset " + (6 + StructJson.MAX_DEPTH)}};
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructJson.read(c[0]),
                    c[0]);
            assertEquals(c[1], e.getMessage(), c[0]);
        }
        // Exactly the limit is fine: the object and 99 lists.
        String deepest = "{\"a\": " + "[".repeat(StructJson.MAX_DEPTH - 1) + "]".repeat(StructJson.MAX_DEPTH - 1) + "}";
        assertEquals(Value.KindCase.LIST_VALUE, StructJson.read(deepest).getFieldsOrThrow("a").getKindCase());
    }

    @Test
    void readValueReadsExactlyOneValueOfAnyKind() {
        assertEquals(number(3), StructJson.readValue("3"));
        assertEquals(number(-2.5e3), StructJson.readValue(" -2.5e3 "));
        assertEquals(Value.newBuilder().setBoolValue(true).build(), StructJson.readValue("true"));
        assertEquals(Value.newBuilder().setStringValue("a").build(), StructJson.readValue("\"a\""));
        assertEquals(Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build(), StructJson.readValue("null"));
        assertEquals(Value.newBuilder().setListValue(ListValue.newBuilder().addValues(number(1))).build(),
                StructJson.readValue("[1]"));
        assertEquals(Value.newBuilder().setStructValue(one("a", number(1))).build(), StructJson.readValue("{\"a\":1}"));
        String[][] refused = {
                {"2026-11-22", "text after the value at offset 4"},
                {"007", "text after the value at offset 1"},
                {"1,2", "text after the value at offset 1"},
                {"[1],[2]", "text after the value at offset 3"},
                {"hello", "not a value at offset 0"},
                {"", "the end of the text at offset 0"}};
        for (String[] c : refused) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructJson.readValue(c[0]),
                    c[0]);
            assertEquals(c[1], e.getMessage(), c[0]);
        }
    }
}
