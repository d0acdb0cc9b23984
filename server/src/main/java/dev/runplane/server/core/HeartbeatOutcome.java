package dev.runplane.server.core;

/**
 * The extended lease, and whether the worker should stop because Cancel was asked.
 *
 * @param workerId the worker that holds the lease (the worker_id of its Poll), for ListWorkers
 */
public record HeartbeatOutcome(Lease lease, boolean cancelRequested, String workerId) {
}
