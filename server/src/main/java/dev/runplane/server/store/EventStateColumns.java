package dev.runplane.server.store;

import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * {@link Columns} over an event row read with its state expanded ({@code (state).*}, V9): an
 * execution's column is the state attribute of that name, or the event row's own column for those
 * it holds ({@link ExecutionReader#IN_THE_EVENT_ROW}, e.g. status is to_status). Columns an event
 * leaves out (inputs, outputs) read as NULL.
 */
public final class EventStateColumns implements Columns {

    private static final Set<String> STATE = Set.copyOf(ExecutionReader.STATE_COLUMNS);

    private final Columns row;

    public EventStateColumns(Row row) {
        this.row = new RowColumns(row);
    }

    /**
     * Whether the row holds a state, rather than a jsonb snapshot written before V9: a row has exactly
     * one of the two (a check constraint), and a NULL is read without decoding anything.
     */
    public static boolean hasState(Row row) {
        return row.get("snapshot") == null;
    }

    /** The name of the row's column that holds an execution's column; null if the event leaves it out. */
    private static String column(String executionColumn) {
        String own = ExecutionReader.IN_THE_EVENT_ROW.get(executionColumn);
        if (own != null) {
            return own;
        }
        return STATE.contains(executionColumn) ? executionColumn : null;
    }

    /** Reads an execution's column through {@code get}, from the row's column that holds it. */
    private <T> T read(String executionColumn, BiFunction<Columns, String, T> get) {
        String name = column(executionColumn);
        return name == null ? null : get.apply(row, name);
    }

    @Override
    public String text(String column) {
        return read(column, Columns::text);
    }

    @Override
    public UUID uuid(String column) {
        return read(column, Columns::uuid);
    }

    @Override
    public Instant time(String column) {
        return read(column, Columns::time);
    }

    @Override
    public Long int8(String column) {
        return read(column, Columns::int8);
    }

    @Override
    public Integer int4(String column) {
        return read(column, Columns::int4);
    }

    @Override
    public String json(String column) {
        return read(column, Columns::json);
    }
}
