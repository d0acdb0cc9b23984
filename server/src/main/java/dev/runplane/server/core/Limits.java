package dev.runplane.server.core;

import java.time.Duration;

/**
 * Size and range limits on what clients send. The defaults are what the seeds' platforms allow and
 * what DESIGN.md names; a server may be configured with others.
 */
public record Limits(int maxPayloadBytes, int maxLabels, int maxLabelValueLength, int minPriority, int maxPriority,
                     int maxAttempts) {

    public static final Limits DEFAULT = new Limits(64 * 1024, 64, 256, -1000, 1000, 100);

    /** How long AwaitExecution waits when the request says nothing (or 0). */
    public static final Duration DEFAULT_AWAIT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * The longest wait an AwaitExecution may ask for; a longer one is refused, not lowered (a caller
     * that asked for an hour and got five minutes would take done=false for a failure). A client that
     * waits longer loops, as {@code dev.runplane.client.Executions.awaitExecution} does.
     */
    public static final Duration MAX_AWAIT_TIMEOUT = Duration.ofMinutes(5);
}
