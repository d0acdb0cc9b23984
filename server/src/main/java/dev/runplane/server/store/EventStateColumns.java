package dev.runplane.server.store;

import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * {@link Columns} over an event row read with its state expanded ({@code (state).*}, V9): an
 * execution's column is the state attribute of that name, or the event row's own column for those
 * it holds ({@link ExecutionReader#IN_THE_EVENT_ROW}, e.g. status is to_status). Columns an event
 * leaves out (inputs, outputs) read as NULL.
 */
final class EventStateColumns implements Columns {

    private static final Set<String> STATE = Set.copyOf(ExecutionReader.STATE_COLUMNS);

    private final Columns row;

    EventStateColumns(Row row) {
        this.row = new RowColumns(row);
    }

    /** Whether the row holds a state, rather than a jsonb snapshot written before V9. */
    static boolean hasState(Row row) {
        return row.get("create_time") != null; // NOT NULL in every execution
    }

    /** The name of the row's column that holds an execution's column; null if the event leaves it out. */
    private static String column(String executionColumn) {
        String own = ExecutionReader.IN_THE_EVENT_ROW.get(executionColumn);
        if (own != null) {
            return own;
        }
        return STATE.contains(executionColumn) ? executionColumn : null;
    }

    @Override
    public String text(String column) {
        String name = column(column);
        return name == null ? null : row.text(name);
    }

    @Override
    public UUID uuid(String column) {
        String name = column(column);
        return name == null ? null : row.uuid(name);
    }

    @Override
    public Instant time(String column) {
        String name = column(column);
        return name == null ? null : row.time(name);
    }

    @Override
    public Long int8(String column) {
        String name = column(column);
        return name == null ? null : row.int8(name);
    }

    @Override
    public Integer int4(String column) {
        String name = column(column);
        return name == null ? null : row.int4(name);
    }

    @Override
    public String json(String column) {
        String name = column(column);
        return name == null ? null : row.json(name);
    }
}
