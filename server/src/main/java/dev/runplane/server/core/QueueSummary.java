package dev.runplane.server.core;

import java.time.Instant;

/**
 * One pipeline's queue as ListQueues answers it.
 *
 * @param queuedCount     executions in QUEUED, those scheduled for later included
 * @param scheduledCount  of those, the ones whose scheduled_for is still in the future
 * @param runningCount    executions in RUNNING or CANCELLING
 * @param oldestQueueTime the queue time of the longest-queued execution; null when none is queued
 * @param workerCount     workers that polled this pipeline within {@link WorkerWindows#queueWindow()}
 */
public record QueueSummary(String pipeline, long queuedCount, long scheduledCount, long runningCount,
                           Instant oldestQueueTime, int workerCount) {
}
