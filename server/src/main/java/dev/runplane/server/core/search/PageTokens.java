package dev.runplane.server.core.search;

import dev.runplane.server.core.error.InvalidArgumentException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque keyset page tokens. A token holds the position after the last row of a page (the sort
 * key's value and the id), a digest of what the page was for (the "binding": filter, text, order),
 * and an HMAC over both with a key kept in the database. So a token cannot be forged or altered,
 * and a token of one search is refused by another: both are INVALID_ARGUMENT on the token's field.
 * Tokens stay valid across restarts and replicas, since the key lives in the shared database.
 */
public final class PageTokens {

    /**
     * The position after the last row of a page: the sort value (null: the row had none), the
     * tie-break before the id where the order has one (priority: the queue time; null: none), and
     * the id.
     */
    public record Cursor(Long value, Tie tie, UUID id) {
        public Cursor(Long value, UUID id) {
            this(value, null, id);
        }
    }

    /** A tie-break value (null: the row had none). */
    public record Tie(Long value) {
    }

    /** A position without a tie-break: the form of every token before priority ties followed claims. */
    private static final byte VERSION = 1;
    /** A position with a tie-break. */
    private static final byte TIED = 2;
    private static final int BINDING_BYTES = 16;
    private static final int MAC_BYTES = 16;
    private static final int PAYLOAD_BYTES = 1 + BINDING_BYTES + 1 + 8 + 16;
    private static final int TIED_PAYLOAD_BYTES = PAYLOAD_BYTES + 8;
    /** Longer input is never one of ours; refuse it before decoding. */
    private static final int MAX_TOKEN_LENGTH = 128;

    private final SecretKeySpec key;

    public PageTokens(byte[] key) {
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    public String encode(String binding, Cursor cursor) {
        boolean tied = cursor.tie() != null;
        int length = tied ? TIED_PAYLOAD_BYTES : PAYLOAD_BYTES;
        ByteBuffer payload = ByteBuffer.allocate(length + MAC_BYTES);
        payload.put(tied ? TIED : VERSION)
                .put(digest(binding))
                .put((byte) ((cursor.value() == null ? 0 : 1) | (tied && cursor.tie().value() != null ? 2 : 0)))
                .putLong(cursor.value() == null ? 0 : cursor.value());
        if (tied) {
            payload.putLong(cursor.tie().value() == null ? 0 : cursor.tie().value());
        }
        payload.putLong(cursor.id().getMostSignificantBits())
                .putLong(cursor.id().getLeastSignificantBits());
        payload.put(mac(payload.array(), length));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(payload.array());
    }

    /**
     * The cursor of a token that this server issued for the same binding.
     *
     * @throws InvalidArgumentException on {@code field} for anything else
     */
    public Cursor decode(String field, String binding, String token) {
        byte[] bytes;
        try {
            bytes = token.length() > MAX_TOKEN_LENGTH ? null : Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            bytes = null;
        }
        int length = bytes == null || bytes.length == 0 ? -1
                : bytes[0] == VERSION ? PAYLOAD_BYTES : bytes[0] == TIED ? TIED_PAYLOAD_BYTES : -1;
        if (length < 0 || bytes.length != length + MAC_BYTES
                || !MessageDigest.isEqual(mac(bytes, length), Arrays.copyOfRange(bytes, length, length + MAC_BYTES))) {
            throw InvalidArgumentException.of(field, "is not a page token issued by this server");
        }
        ByteBuffer payload = ByteBuffer.wrap(bytes, 0, length);
        boolean tied = payload.get() == TIED;
        byte[] boundTo = new byte[BINDING_BYTES];
        payload.get(boundTo);
        if (!MessageDigest.isEqual(boundTo, digest(binding))) {
            throw InvalidArgumentException.of(field,
                    "belongs to another request: keep the filter, query and order_by of the first page");
        }
        byte present = payload.get();
        long value = payload.getLong();
        Tie tie = null;
        if (tied) {
            long tieValue = payload.getLong();
            tie = new Tie((present & 2) != 0 ? tieValue : null);
        }
        UUID id = new UUID(payload.getLong(), payload.getLong());
        return new Cursor((present & 1) != 0 ? value : null, tie, id);
    }

    private byte[] mac(byte[] bytes, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(bytes, 0, length);
            return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    private static byte[] digest(String binding) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(binding.getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(sha, BINDING_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
