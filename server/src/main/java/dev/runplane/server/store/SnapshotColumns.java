package dev.runplane.server.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;

/** {@link Columns} over an event's snapshot: the row as PostgreSQL's {@code jsonb_build_object} wrote it. */
final class SnapshotColumns implements Columns {

    private final JsonObject snapshot;

    SnapshotColumns(String snapshotJson) {
        this.snapshot = JsonParser.parseString(snapshotJson).getAsJsonObject();
    }

    private JsonElement get(String column) {
        JsonElement value = snapshot.get(column);
        return value == null || value.isJsonNull() ? null : value;
    }

    @Override
    public String text(String column) {
        JsonElement value = get(column);
        return value == null ? null : value.getAsString();
    }

    @Override
    public UUID uuid(String column) {
        String value = text(column);
        return value == null ? null : UUID.fromString(value);
    }

    @Override
    public Instant time(String column) {
        String value = text(column);
        if (value == null) {
            return null;
        }
        Instant parsed = PgTimestamps.parse(value);
        return parsed != null ? parsed : OffsetDateTime.parse(value).toInstant();
    }

    @Override
    public Long int8(String column) {
        JsonElement value = get(column);
        return value == null ? null : value.getAsLong();
    }

    @Override
    public Integer int4(String column) {
        JsonElement value = get(column);
        return value == null ? null : value.getAsInt();
    }

    @Override
    public String json(String column) {
        JsonElement value = get(column);
        return value == null ? null : value.toString();
    }
}
