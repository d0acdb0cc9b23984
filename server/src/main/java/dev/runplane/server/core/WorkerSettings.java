package dev.runplane.server.core;

import java.time.Duration;

/**
 * Timings of the worker protocol and of the reaper.
 *
 * @param reaperInterval how often each replica looks for expired leases, timeouts and stuck cancels
 * @param cancelGrace how long a CANCELLING execution waits for its worker before it is CANCELLED anyway
 * @param retryBaseDelay the first retry's delay; each later attempt doubles it
 * @param retryMaxDelay the longest retry delay
 * @param wakeUpFallback how often a waiting Poll re-checks the queue even without a signal
 */
public record WorkerSettings(Duration reaperInterval, Duration cancelGrace, Duration retryBaseDelay,
                             Duration retryMaxDelay, Duration wakeUpFallback) {

    public static final WorkerSettings DEFAULT = new WorkerSettings(Duration.ofSeconds(1), Duration.ofSeconds(30),
            Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1));
}
