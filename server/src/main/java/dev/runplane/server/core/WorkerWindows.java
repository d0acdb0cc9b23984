package dev.runplane.server.core;

import java.time.Duration;

/**
 * How workers are recorded and shown (docs/workers.md, "Who is polling").
 *
 * @param listWindow    ListWorkers shows the workers seen within this
 * @param queueWindow   ListQueues' worker_count counts the workers that polled a pipeline within this
 * @param writeInterval a replica writes a worker's row at most once per this (earlier only when its
 *                      pipelines or key change); shorter than both windows, or a busy worker would
 *                      seem to come and go
 * @param forgetAfter   rows unseen for this long are deleted
 */
public record WorkerWindows(Duration listWindow, Duration queueWindow, Duration writeInterval, Duration forgetAfter) {

    public static final WorkerWindows DEFAULT = new WorkerWindows(Duration.ofMinutes(5), Duration.ofMinutes(1),
            Duration.ofSeconds(5), Duration.ofDays(1));

    public WorkerWindows {
        if (writeInterval.compareTo(listWindow) >= 0 || writeInterval.compareTo(queueWindow) >= 0) {
            throw new IllegalArgumentException("the write interval (" + writeInterval
                    + ") must be shorter than the windows (" + listWindow + ", " + queueWindow + ")");
        }
    }
}
