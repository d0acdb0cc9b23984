package dev.runplane.server.core;

/** What happens to an execution. The transition table says which status each action leads to. */
public enum Action {
    /** Run accepted a new execution. */
    ENQUEUE,
    /** Run found an active execution with the same dedup key. */
    SKIP,
    /** A worker claimed a queued execution. */
    CLAIM,
    /** A client asked to stop it. */
    CANCEL,
    /** The worker acknowledged a cancel, or the cancel grace period passed. */
    CONFIRM_CANCEL,
    /** The worker finished it. */
    COMPLETE,
    /** The worker failed it for good, or its attempts ran out. */
    FAIL,
    /** A retryable failure or an expired lease with attempts left: back to the queue. */
    RETRY,
    /** It ran longer than its max runtime. */
    TIME_OUT
}
