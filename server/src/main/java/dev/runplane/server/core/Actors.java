package dev.runplane.server.core;

/**
 * The forms of an event's actor, who made the change (docs/events.md). Every writer of the history
 * takes its form from here, so that the history speaks one language.
 */
public final class Actors {

    /** A keyless call from loopback or in-process, possible only before the first key exists. */
    public static final String LOOPBACK = "loopback";
    /** A keyless call from another address: only a server started with --insecure lets it pass. */
    public static final String ANONYMOUS = "anonymous";
    /** The sweep that ends expired leases, cancels past their grace period and runs past their max runtime. */
    public static final String REAPER = "reaper";
    /** Followed by the worker id that the worker sent in its Poll. */
    public static final String WORKER_PREFIX = "worker:";
    /** Followed by the id of the API key that made the call. */
    public static final String KEY_PREFIX = "key:";

    private Actors() {
    }

    public static String key(String keyId) {
        return KEY_PREFIX + keyId;
    }

    public static String worker(String workerId) {
        return WORKER_PREFIX + workerId;
    }
}
