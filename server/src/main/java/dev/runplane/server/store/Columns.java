package dev.runplane.server.store;

import java.time.Instant;
import java.util.UUID;

/**
 * Read access to one stored execution, by column name: from a result row, from an event's state,
 * or from the jsonb snapshot of an older event. One {@link ExecutionReader} then serves all three.
 */
public interface Columns {

    String text(String column);

    UUID uuid(String column);

    Instant time(String column);

    Long int8(String column);

    Integer int4(String column);

    /** A jsonb column as JSON text, or null. */
    String json(String column);
}
