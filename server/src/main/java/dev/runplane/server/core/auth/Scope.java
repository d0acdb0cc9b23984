package dev.runplane.server.core.auth;

/** What an API key may do; each RPC needs one of these (see the auth package for the table). */
public enum Scope {
    /** GetExecution, Search, ListExecutionEvents, the Watch RPCs. */
    READ,
    /** Run, Cancel, Rerun. */
    RUN,
    /** WorkerService. */
    WORK,
    /** KeyService. */
    ADMIN
}
