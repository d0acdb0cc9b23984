package dev.runplane.server.store.events;

/**
 * A place in the event log, ordered by the writing transaction's id, then by sequence. Sequences
 * commit out of order; transaction ids below the oldest running transaction do not, so a reader
 * that only moves past settled transactions never leaves a row behind (DESIGN.md, "Event hub").
 */
public record EventPosition(long xid, long sequence) implements Comparable<EventPosition> {

    @Override
    public int compareTo(EventPosition other) {
        int byXid = Long.compareUnsigned(xid, other.xid);
        return byXid != 0 ? byXid : Long.compare(sequence, other.sequence);
    }

    boolean isAfter(EventPosition other) {
        return compareTo(other) > 0;
    }

    /** xid8 travels as text: R2DBC has no codec for it. */
    String xidText() {
        return Long.toUnsignedString(xid);
    }

    /** The position of an xid read as text ({@link #xidText}'s inverse) and a sequence. */
    static EventPosition of(String xidText, long sequence) {
        return new EventPosition(xid(xidText), sequence);
    }

    /** An xid8 read as text. */
    public static long xid(String xidText) {
        return Long.parseUnsignedLong(xidText);
    }
}
