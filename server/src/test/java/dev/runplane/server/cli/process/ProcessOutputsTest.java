package dev.runplane.server.cli.process;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.runplane.worker.TaskFailure;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a script's stdout becomes: ordinary JSON in any layout is read with the codec of stored
 * Structs; anything else fails the execution (not retryable) with a message that says why.
 */
class ProcessOutputsTest {

    private static Value number(double n) {
        return Value.newBuilder().setNumberValue(n).build();
    }

    @Test
    void anyWhitespaceAndTheLastLineThatIsAnObject() throws Exception {
        Struct expected = Struct.newBuilder().putFields("a", Value.newBuilder().setListValue(ListValue.newBuilder()
                .addValues(number(1)).addValues(number(2))).build()).putFields("b", Value.newBuilder()
                .setStructValue(Struct.getDefaultInstance()).build()).build();
        assertEquals(expected, ProcessHandler.outputs("{\r\n\t\"a\" : [ 1 , 2 ],\r\n\t\"b\" : { }\r\n}\r\n"));
        assertEquals(expected, ProcessHandler.outputs("a log line\n{\"a\": [1, 2], \"b\": {}}\n\n"));
        assertEquals(Struct.getDefaultInstance(), ProcessHandler.outputs(" \n"));
    }

    /** Python prints big ints with every digit (10**23, or 309 digits for 1e308): each is a number. */
    @Test
    void longIntegersAreNumbers() throws Exception {
        Struct outputs = ProcessHandler.outputs("{\"big\": 100000000000000000000000, \"max\": 17976931348623157"
                + "0".repeat(292) + "}");
        assertEquals(number(1e23), outputs.getFieldsOrThrow("big"));
        assertEquals(number(Double.MAX_VALUE), outputs.getFieldsOrThrow("max"));
    }

    @Test
    void noObjectOnStdoutFails() {
        TaskFailure failure = assertThrows(TaskFailure.class, () -> ProcessHandler.outputs("hello\n[1, 2]\n42\n"));
        assertEquals("the process printed no JSON object on stdout", failure.getMessage());
        assertFalse(failure.retryable());
    }

    /** Python's print(dict) and json.dumps(float("nan")) look like JSON objects but are not. */
    @Test
    void whatLooksLikeAnObjectButIsNotJsonFailsSayingWhereAndWhy() {
        for (String[] bad : new String[][] {
                {"log\n{'a': 1}\n", "expected '\"' at offset 1"},
                {"{\"x\": NaN}", "NaN"},
                {"{\"x\": 1e400}", "beyond the range of a double"},
                {"{\"x\": 1,}", "expected '\"' at offset 8"},
                {"{\n  \"x\": 1\n  \"y\": 2\n}", "expected ',' or '}' at offset 13"}}) {
            TaskFailure failure = assertThrows(TaskFailure.class, () -> ProcessHandler.outputs(bad[0]), bad[0]);
            assertTrue(failure.getMessage().startsWith("stdout is not a JSON object: "), failure.getMessage());
            assertTrue(failure.getMessage().contains(bad[1]), failure.getMessage() + " should say " + bad[1]);
            assertFalse(failure.retryable());
        }
    }
}
