package dev.runplane.server.http;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The SSE frames of recent messages, by the message's bytes. A change that 1,000 browsers watch
 * reaches the handler 1,000 times as the same bytes; parsing them by descriptor and printing JSON
 * by reflection is the costly part of a delivery (HttpBenchmark: p99 3.1 s at 1,000 clients
 * without this, docs/benchmarks.md), so it is done once per message and the text shared.
 * Bounded: past its size the map starts over (a message repeats within moments or not at all).
 */
final class SseFrames {

    private final int capacity;
    private final Map<ByteBuffer, byte[]> frames = new ConcurrentHashMap<>();

    SseFrames(int capacity) {
        this.capacity = capacity;
    }

    /** The frame of {@code message} (the bytes of one response of one RPC), made at most once while kept. */
    byte[] frame(String rpc, byte[] message, Function<byte[], byte[]> format) {
        ByteBuffer key = ByteBuffer.allocate(rpc.length() * 2 + message.length);
        rpc.chars().forEach(c -> key.putChar((char) c));
        key.put(message).flip();
        byte[] known = frames.get(key);
        if (known != null) {
            return known;
        }
        if (frames.size() >= capacity) {
            frames.clear();
        }
        byte[] made = format.apply(message);
        frames.put(key, made);
        return made;
    }
}
