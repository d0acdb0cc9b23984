package dev.runplane.server.store.events;

import java.util.HashSet;
import java.util.Set;

/** The last {@code capacity} transaction ids added, for membership tests; older ones are forgotten. */
final class RecentXids {

    private final long[] ring;
    private final Set<Long> members = new HashSet<>();
    private int next;
    private int size;

    RecentXids(int capacity) {
        this.ring = new long[capacity];
    }

    synchronized void add(long xid) {
        if (!members.add(xid)) {
            return;
        }
        if (size == ring.length) {
            members.remove(ring[next]);
        } else {
            size++;
        }
        ring[next] = xid;
        next = (next + 1) % ring.length;
    }

    synchronized boolean contains(long xid) {
        return members.contains(xid);
    }
}
