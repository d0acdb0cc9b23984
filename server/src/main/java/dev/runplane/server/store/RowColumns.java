package dev.runplane.server.store;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.UUID;

/** {@link Columns} over an R2DBC result row. */
final class RowColumns implements Columns {

    private final Row row;

    RowColumns(Row row) {
        this.row = row;
    }

    @Override
    public String text(String column) {
        return row.get(column, String.class);
    }

    @Override
    public UUID uuid(String column) {
        return row.get(column, UUID.class);
    }

    @Override
    public Instant time(String column) {
        return row.get(column, Instant.class);
    }

    @Override
    public Long int8(String column) {
        return row.get(column, Long.class);
    }

    @Override
    public Integer int4(String column) {
        return row.get(column, Integer.class);
    }

    @Override
    public String json(String column) {
        Json json = row.get(column, Json.class);
        return json == null ? null : json.asString();
    }
}
