package dev.runplane.server.core;

/** The extended lease, and whether the worker should stop because Cancel was asked. */
public record HeartbeatOutcome(Lease lease, boolean cancelRequested) {
}
