package dev.runplane.server.core;

/** The status of one step inside an execution. */
public enum StepState {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    SKIPPED,
    CANCELLED
}
