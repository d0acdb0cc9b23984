package dev.runplane.server.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bearer token format {@code rpk_<id>_<secret>}: ids and secrets use only [A-Za-z0-9], so the
 * id is the text between {@code rpk_} and the next {@code _}. The secret carries 256 random bits
 * (43 characters of 62). Only its SHA-256 is stored: a slow password hash buys nothing for a
 * random 256-bit secret, and a fast one keeps the per-call check cheap.
 */
public final class ApiKeyTokens {

    public static final String PREFIX = "rpk_";
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int ID_LENGTH = 16;
    /** 43 × log2(62) ≈ 256.03 bits. */
    private static final int SECRET_LENGTH = 43;
    private static final Pattern TOKEN = Pattern.compile("rpk_([A-Za-z0-9]{1,64})_([A-Za-z0-9]{1,128})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeyTokens() {
    }

    /** A token's two parts. */
    public record Token(String id, String secret) {
        public String text() {
            return PREFIX + id + "_" + secret;
        }

        @Override
        public String toString() {
            return PREFIX + id + "_***"; // never log a secret
        }
    }

    public static Token generate() {
        return new Token(random(ID_LENGTH), random(SECRET_LENGTH));
    }

    /** Parses {@code Bearer rpk_<id>_<secret>} (the scheme is case-insensitive); null if malformed. */
    public static Token parseAuthorization(String header) {
        if (header == null) {
            return null;
        }
        String value = header.strip();
        if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        Matcher m = TOKEN.matcher(value.substring(7).strip());
        return m.matches() ? new Token(m.group(1), m.group(2)) : null;
    }

    public static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Constant-time comparison of a presented secret with a stored hash. */
    public static boolean matches(String secret, byte[] storedSha256) {
        return MessageDigest.isEqual(sha256(secret), storedSha256);
    }

    private static String random(int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }
}
