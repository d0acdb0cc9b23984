package dev.runplane.server.store.db;

import io.netty.buffer.ByteBuf;
import io.r2dbc.postgresql.client.EncodedParameter;
import io.r2dbc.postgresql.codec.Codec;
import io.r2dbc.postgresql.codec.CodecMetadata;
import io.r2dbc.postgresql.codec.PostgresTypeIdentifier;
import io.r2dbc.postgresql.codec.PostgresqlObjectId;
import io.r2dbc.postgresql.extension.CodecRegistrar;
import io.r2dbc.postgresql.message.Format;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Decodes text {@code timestamptz} columns read as {@link Instant} with {@link PgTimestamps}, ahead
 * of the driver's own codec, which still decodes whatever that does not recognise and encodes every
 * Instant parameter.
 */
final class TimestampCodec implements Codec<Instant>, CodecMetadata {

    private static final int OID = PostgresqlObjectId.TIMESTAMPTZ.getObjectId();

    /** Puts the codec first in each new connection's registry, with the driver's codec behind it. */
    static final CodecRegistrar REGISTRAR = (connection, allocator, registry) -> {
        Codec<Instant> fallback = null;
        for (Codec<?> codec : registry) {
            if (fallback == null && codec.canDecode(OID, Format.FORMAT_TEXT, Instant.class)) {
                @SuppressWarnings("unchecked")
                Codec<Instant> instants = (Codec<Instant>) codec;
                fallback = instants;
            }
        }
        if (fallback != null) {
            registry.addFirst(new TimestampCodec(fallback));
        }
        return Mono.empty();
    };

    private final Codec<Instant> fallback;

    private TimestampCodec(Codec<Instant> fallback) {
        this.fallback = fallback;
    }

    @Override
    public boolean canDecode(int dataType, Format format, Class<?> type) {
        return dataType == OID && format == Format.FORMAT_TEXT && type == Instant.class;
    }

    @Override
    public Instant decode(ByteBuf buffer, int dataType, Format format, Class<? extends Instant> type) {
        if (buffer == null) {
            return null;
        }
        Instant parsed = PgTimestamps.parse(buffer.toString(buffer.readerIndex(), buffer.readableBytes(),
                StandardCharsets.US_ASCII));
        if (parsed == null) {
            return fallback.decode(buffer, dataType, format, type);
        }
        buffer.skipBytes(buffer.readableBytes());
        return parsed;
    }

    /** What the driver's lookup cache files the codec under (it consults only cached codecs first). */
    @Override
    public Class<?> type() {
        return Instant.class;
    }

    @Override
    public Iterable<Format> getFormats() {
        return List.of(Format.FORMAT_TEXT);
    }

    @Override
    public Iterable<? extends PostgresTypeIdentifier> getDataTypes() {
        return List.of(PostgresqlObjectId.TIMESTAMPTZ);
    }

    /** Encoding stays the driver's: the lookup cache sends Instant parameters here too. */
    @Override
    public boolean canEncode(Object value) {
        return fallback.canEncode(value);
    }

    @Override
    public boolean canEncodeNull(Class<?> type) {
        return fallback.canEncodeNull(type);
    }

    @Override
    public EncodedParameter encode(Object value) {
        return fallback.encode(value);
    }

    @Override
    public EncodedParameter encode(Object value, int dataType) {
        return fallback.encode(value, dataType);
    }

    @Override
    public EncodedParameter encodeNull() {
        return fallback.encodeNull();
    }
}
