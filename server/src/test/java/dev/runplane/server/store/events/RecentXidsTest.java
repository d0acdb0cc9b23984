package dev.runplane.server.store.events;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentXidsTest {

    @Test
    void keepsTheLastIdsAddedAndForgetsOlderOnes() {
        RecentXids xids = new RecentXids(3);
        for (long xid = 1; xid <= 4; xid++) {
            xids.add(xid);
        }
        xids.add(4); // again: changes nothing
        assertFalse(xids.contains(1), "the oldest made room");
        assertTrue(xids.contains(2) && xids.contains(3) && xids.contains(4));
        xids.add(5);
        assertFalse(xids.contains(2));
        assertTrue(xids.contains(3) && xids.contains(4) && xids.contains(5));
    }
}
