package dev.runplane.server.core;

/** One claimed execution (now RUNNING) and the lease to heartbeat and finish it with. */
public record Assignment(Execution execution, Lease lease) {
}
