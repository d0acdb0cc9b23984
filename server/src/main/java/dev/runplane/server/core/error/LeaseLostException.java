package dev.runplane.server.core.error;

import java.util.UUID;

/**
 * The caller's lease is stale: it expired, another attempt holds the execution, or the execution
 * already ended. Nothing was changed; the worker must drop this attempt.
 */
public final class LeaseLostException extends RunplaneException {

    public LeaseLostException(UUID executionId) {
        super(Kind.LEASE_LOST, "LEASE_LOST", entries("execution_id", executionId.toString()),
                "the lease on execution " + executionId + " is no longer held (expired, or a newer attempt holds it)",
                null);
    }
}
