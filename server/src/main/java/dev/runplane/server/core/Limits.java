package dev.runplane.server.core;

/**
 * Size and range limits on what clients send. The defaults are what the seeds' platforms allow and
 * what DESIGN.md names; a server may be configured with others.
 */
public record Limits(int maxPayloadBytes, int maxLabels, int maxLabelValueLength, int minPriority, int maxPriority,
                     int maxAttempts) {

    public static final Limits DEFAULT = new Limits(64 * 1024, 64, 256, -1000, 1000, 100);
}
