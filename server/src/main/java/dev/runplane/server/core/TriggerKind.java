package dev.runplane.server.core;

/** What caused an execution. */
public enum TriggerKind {
    API,
    MANUAL,
    SCHEDULE,
    EVENT,
    RERUN
}
