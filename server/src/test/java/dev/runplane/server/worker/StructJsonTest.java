package dev.runplane.server.worker;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The JSON a script sees: whole numbers as integers within ±2^53, and nothing lost either way. */
class StructJsonTest {

    private static Value number(double n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    private static Struct one(String name, Value value) {
        return Struct.newBuilder().putFields(name, value).build();
    }

    @Test
    void wholeNumbersWithinTwoToTheFiftyThirdAreIntegers() {
        assertEquals("{\"a\":1}", StructJson.print(one("a", number(1))));
        assertEquals("{\"a\":0}", StructJson.print(one("a", number(0))));
        assertEquals("{\"a\":-42}", StructJson.print(one("a", number(-42))));
        assertEquals("{\"a\":9007199254740992}", StructJson.print(one("a", number(9007199254740992d))));
        assertEquals("{\"a\":-9007199254740992}", StructJson.print(one("a", number(-9007199254740992d))));
    }

    @Test
    void otherNumbersAreDoublesThatReadBackTheSame() throws Exception {
        assertEquals("{\"a\":1.5}", StructJson.print(one("a", number(1.5))));
        assertEquals("{\"a\":-0.0}", StructJson.print(one("a", number(-0.0))));
        // Past 2^53 a double is not every integer: it stays a double rather than pretend to be exact.
        assertEquals("{\"a\":9.007199254740994E15}", StructJson.print(one("a", number(9007199254740994d))));
        for (double n : new double[] {0.1, -0.0, 1e300, Double.MAX_VALUE, Double.MIN_VALUE, -123.456e-200,
                9007199254740994d, 1e21}) {
            Struct struct = one("a", number(n));
            assertEquals(Double.doubleToRawLongBits(n), Double.doubleToRawLongBits(
                    StructJson.parse(StructJson.print(struct)).getFieldsOrThrow("a").getNumberValue()), "for " + n);
        }
    }

    @Test
    void everyKindOfValueAndNestingRoundTrips() throws Exception {
        Struct inner = Struct.newBuilder().putFields("k", number(10)).putFields("t", Value.newBuilder()
                .setStringValue("quote \" backslash \\ <tag> & é \u2028 \u0001").build()).build();
        Struct struct = Struct.newBuilder()
                .putFields("null", Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build())
                .putFields("yes", Value.newBuilder().setBoolValue(true).build())
                .putFields("inner", Value.newBuilder().setStructValue(inner).build())
                .putFields("list", Value.newBuilder().setListValue(ListValue.newBuilder().addValues(number(1))
                        .addValues(number(0.25)).addValues(Value.newBuilder().setListValue(ListValue.newBuilder()
                                .addValues(number(-3))))).build())
                .build();
        String json = StructJson.print(struct);
        assertEquals(struct, StructJson.parse(json));
        assertEquals(true, json.contains("\"list\":[1,0.25,[-3]]"), json);
        assertEquals(true, json.contains("<tag> & é"), "no HTML escaping: " + json);
        assertEquals("{}", StructJson.print(Struct.getDefaultInstance()));
    }

    @Test
    void numbersWithoutAJsonFormAreTheStringsJsonFormatWrites() {
        assertEquals("{\"a\":\"NaN\",\"b\":\"Infinity\",\"c\":\"-Infinity\"}", StructJson.print(Struct.newBuilder()
                .putFields("a", number(Double.NaN)).putFields("b", number(Double.POSITIVE_INFINITY))
                .putFields("c", number(Double.NEGATIVE_INFINITY)).build()));
    }
}
