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
 * @param windows how workers are recorded and shown (ListWorkers, ListQueues)
 */
public record WorkerSettings(Duration reaperInterval, Duration cancelGrace, Duration retryBaseDelay,
                             Duration retryMaxDelay, Duration wakeUpFallback, WorkerWindows windows) {

    public static final WorkerSettings DEFAULT = new WorkerSettings(Duration.ofSeconds(1), Duration.ofSeconds(30),
            Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1));

    /** With the default {@link WorkerWindows}. */
    public WorkerSettings(Duration reaperInterval, Duration cancelGrace, Duration retryBaseDelay,
                          Duration retryMaxDelay, Duration wakeUpFallback) {
        this(reaperInterval, cancelGrace, retryBaseDelay, retryMaxDelay, wakeUpFallback, WorkerWindows.DEFAULT);
    }

    public WorkerSettings withWindows(WorkerWindows newWindows) {
        return new WorkerSettings(reaperInterval, cancelGrace, retryBaseDelay, retryMaxDelay, wakeUpFallback,
                newWindows);
    }
}
