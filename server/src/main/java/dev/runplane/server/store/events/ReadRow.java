package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionState;
import io.r2dbc.spi.Row;

/**
 * One row of a hub read: its position, the event (null in a light read) and the pipeline of an
 * execution it queued (null for any other status); or one of the two rows that are no event
 * ({@link #PENDING}, {@link #horizon}).
 */
record ReadRow(Kind kind, EventPosition position, LoggedEvent logged, String queuedPipeline) {

    enum Kind {
        /** An event of a transaction below the read's xmin. */
        SETTLED,
        /** A row of a later transaction than the settled ones: the read must look again soon. */
        PENDING,
        /** The read's xmin (as the position's xid): every transaction below it had ended. */
        HORIZON
    }

    static final ReadRow PENDING = new ReadRow(Kind.PENDING, new EventPosition(0, 0), null, null);

    static ReadRow full(LoggedEvent logged) {
        Event event = logged.event();
        return new ReadRow(Kind.SETTLED, logged.position(), logged,
                event.toStatus() == ExecutionState.QUEUED && event.execution() != null
                        ? event.execution().pipeline() : null);
    }

    static ReadRow light(Row row) {
        return new ReadRow(Kind.SETTLED,
                EventPosition.of(row.get("xid_text", String.class), row.get("sequence", Long.class)),
                null, row.get("queued_pipeline", String.class));
    }

    static ReadRow horizon(Row row) {
        return new ReadRow(Kind.HORIZON, EventPosition.of(row.get("horizon", String.class), 0), null, null);
    }
}
