package dev.runplane.server.store.events;

import dev.runplane.server.core.WatchMessage;

/**
 * One item on its way to a WatchExecutions client, with what sending it means for the stream's
 * resume point ({@link ResumePoint}).
 *
 * @param message   what the client receives; null for bookkeeping that is not sent
 * @param position  the log position the client holds once this is sent; null when it moves nothing
 * @param fromQueue taken from the watcher's hub queue (sent, or considered and left out)
 * @param live      from here on every event the hub hands the watcher is either sent or left out
 */
record Outgoing(WatchMessage message, EventPosition position, boolean fromQueue, boolean live) {

    /** Where the history replay ends and the queued live events begin. */
    static final Outgoing LIVE = new Outgoing(null, null, false, true);

    static Outgoing replayed(LoggedEvent event) {
        return new Outgoing(new WatchMessage.Change(event.event()), event.position(), false, false);
    }

    static Outgoing queued(LoggedEvent event) {
        return new Outgoing(new WatchMessage.Change(event.event()), event.position(), true, false);
    }

    /** A queued event that this stream leaves out (its client has it already): considered, not sent. */
    static Outgoing leftOut(LoggedEvent event) {
        return new Outgoing(null, event.position(), true, false);
    }

    /**
     * The same item without its position: before a snapshot's end the stream has no resume point
     * (the end gives it), whatever it sends of the events that committed while the rows were read.
     */
    Outgoing beforeSnapshotEnd() {
        return new Outgoing(message, null, fromQueue, false);
    }

    static Outgoing message(WatchMessage message) {
        return new Outgoing(message, null, false, false);
    }

    /** The end of a snapshot at the hub's position {@code at}: the live part begins. */
    static Outgoing snapshotEnd(WatchMessage.SnapshotEnd end, EventPosition at) {
        return new Outgoing(end, at, false, true);
    }

    boolean sent() {
        return message != null;
    }
}
