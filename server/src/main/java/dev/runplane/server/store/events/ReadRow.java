package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionState;
import io.r2dbc.spi.Row;

/**
 * One row of a hub read: its position, the event (null in a light read) and the pipeline of an
 * execution it queued (null for any other status).
 */
record ReadRow(EventPosition position, LoggedEvent logged, String queuedPipeline) {

    /** A row of a later transaction than the settled ones: the read must look again soon. */
    static final ReadRow PENDING = new ReadRow(new EventPosition(0, 0), null, null);

    static ReadRow full(LoggedEvent logged) {
        Event event = logged.event();
        return new ReadRow(logged.position(), logged,
                event.toStatus() == ExecutionState.QUEUED && event.execution() != null
                        ? event.execution().pipeline() : null);
    }

    static ReadRow light(Row row) {
        return new ReadRow(EventPosition.of(row.get("xid_text", String.class), row.get("sequence", Long.class)),
                null, row.get("queued_pipeline", String.class));
    }
}
