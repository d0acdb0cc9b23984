package dev.runplane.server.core;

import java.time.Duration;
import java.util.List;

/**
 * What a worker sends with a lease: a heartbeat, a Complete or a Fail. Fields an operation does not
 * use are null (outputs only on Complete; error, retryable and retryDelay only on Fail).
 *
 * @param leaseDuration how long to extend the lease by (heartbeat); null keeps the claim's duration
 * @param retryDelay the delay before a retry (Fail); null means the exponential backoff
 */
public record WorkerReport(Lease lease, String message, List<Step> steps, Duration leaseDuration, String outputsJson,
                           String error, boolean retryable, Duration retryDelay) {

    public static WorkerReport heartbeat(Lease lease, String message, List<Step> steps, Duration leaseDuration) {
        return new WorkerReport(lease, message, steps, leaseDuration, null, null, false, null);
    }

    public static WorkerReport complete(Lease lease, String outputsJson, String message, List<Step> steps) {
        return new WorkerReport(lease, message, steps, null, outputsJson, null, false, null);
    }

    public static WorkerReport fail(Lease lease, String error, boolean retryable, Duration retryDelay, List<Step> steps) {
        return new WorkerReport(lease, null, steps, null, null, error, retryable, retryDelay);
    }
}
