package dev.runplane.server.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.store.db.PgTimestamps;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@link Columns} over the jsonb snapshot of an event written before V9 (newer events hold a typed
 * state instead, {@link EventStateColumns}): an array (the format number 1, then the
 * {@link ExecutionReader#SNAPSHOT_COLUMNS} by position), or an object keyed by column name (before
 * the array format). A column that the snapshot lacks reads as NULL.
 */
public final class SnapshotColumns implements Columns {

    /** Each column's index in a format-1 snapshot array (0 holds the format). */
    private static final Map<String, Integer> POSITIONS = positions();

    private final JsonArray positional;
    private final JsonObject named;

    public SnapshotColumns(String snapshotJson) {
        JsonElement snapshot = JsonParser.parseString(snapshotJson);
        if (snapshot.isJsonArray()) {
            this.positional = snapshot.getAsJsonArray();
            this.named = null;
            int format = positional.get(0).getAsInt();
            if (format != ExecutionReader.SNAPSHOT_FORMAT) {
                throw new IllegalStateException("unknown snapshot format " + format + " (this server reads "
                        + ExecutionReader.SNAPSHOT_FORMAT + "; a newer server wrote it?)");
            }
        } else {
            this.positional = null;
            this.named = snapshot.getAsJsonObject();
        }
    }

    private JsonElement get(String column) {
        JsonElement value;
        if (positional != null) {
            Integer position = POSITIONS.get(column);
            value = position == null || position >= positional.size() ? null : positional.get(position);
        } else {
            value = named.get(column);
        }
        return value == null || value.isJsonNull() ? null : value;
    }

    private static Map<String, Integer> positions() {
        Map<String, Integer> positions = new HashMap<>();
        for (int i = 0; i < ExecutionReader.SNAPSHOT_COLUMNS.size(); i++) {
            positions.put(ExecutionReader.SNAPSHOT_COLUMNS.get(i), i + 1);
        }
        return Map.copyOf(positions);
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
