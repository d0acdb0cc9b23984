package dev.runplane.server.store.events;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a WatchExecutions client resumes so that nothing it was sent is sent again and nothing is
 * missed: its heartbeats' sequence, and the metadata of the error that ends its stream.
 *
 * <p>It is the position of the last event sent, or, once the stream is live and has sent or left
 * out every event the hub handed it, the hub's position for it: the last event it CONSIDERED
 * (events of other filters included), so that a quiet stream's resume point moves with the log
 * and a resume replays nothing. Updated in the stream's order, after each item went downstream.
 */
final class ResumePoint {

    /** Before every event: the start of the log. */
    static final EventPosition BEFORE_ALL = new EventPosition(0, 0);

    private final HubWatcher watcher;
    private volatile EventPosition sent;
    private volatile boolean live;
    /** How many events taken from the watcher's queue have gone downstream, sent or left out (in order). */
    private final AtomicLong resolved = new AtomicLong();

    /**
     * @param start where the client stands before anything is sent; null when it has no resume point
     *              yet (a snapshot under way)
     * @param live  whether the stream starts with the hub's live events (no replay, no snapshot)
     */
    ResumePoint(HubWatcher watcher, EventPosition start, boolean live) {
        this.watcher = watcher;
        this.sent = start;
        this.live = live;
    }

    /** Where a resumed stream starts, once the sequence it resumes after has been looked up (before any item). */
    void startAt(EventPosition position) {
        sent = position;
    }

    /** The item went downstream (sent, or bookkeeping). */
    void passed(Outgoing item) {
        if (item.fromQueue()) {
            resolved.incrementAndGet();
        }
        // Never backwards: a resumed stream leaves out the live events it replayed already, which
        // sort before where it stands.
        EventPosition last = sent;
        if (item.position() != null && (last == null || item.position().isAfter(last))) {
            sent = item.position();
        }
        if (item.live()) {
            live = true;
        }
    }

    /** The position to resume after; null when there is none (before a snapshot's end). */
    EventPosition position() {
        EventPosition last = sent;
        if (last == null || !live) {
            return last;
        }
        // Read the hub's side first: if every event handed by then has gone downstream, none after it was.
        HubWatcher.Offered offered = watcher.offered();
        if (offered.handed() != resolved.get()) {
            return last;
        }
        return offered.position().isAfter(last) ? offered.position() : last;
    }

    /** The resume point as clients send it: 0 for none, -1 for "from the start of the log". */
    long sequence() {
        return sequenceOf(position());
    }

    static long sequenceOf(EventPosition position) {
        if (position == null) {
            return 0;
        }
        // No event at or before it (an empty log when the hub started): replay from the start.
        return position.sequence() == 0 ? -1 : position.sequence();
    }
}
