package dev.runplane.worker;

import com.google.protobuf.Struct;

/**
 * Executes one attempt of one execution. Return the outputs (or null for none) to Complete it;
 * throw to Fail it ({@link TaskFailure#permanent} for a failure that retrying cannot fix, anything
 * else is retryable while the execution has attempts left).
 */
@FunctionalInterface
public interface Handler {

    Struct handle(Task task) throws Exception;
}
