package dev.runplane.server.testing;

import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/** Records what a server stream delivers, and how it ended; waits for conditions with a deadline. */
public final class StreamRecorder<T> implements StreamObserver<T> {

    private final List<T> values = new ArrayList<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    @Override
    public synchronized void onNext(T value) {
        values.add(value);
        notifyAll();
    }

    @Override
    public synchronized void onError(Throwable error) {
        done.completeExceptionally(error);
        notifyAll();
    }

    @Override
    public synchronized void onCompleted() {
        done.complete(null);
        notifyAll();
    }

    public synchronized List<T> values() {
        return List.copyOf(values);
    }

    /** Waits until the stream ends; returns its error, or null when it completed. */
    public Throwable awaitEnd(Duration timeout) throws InterruptedException, TimeoutException {
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    public boolean ended() {
        return done.isDone();
    }

    /** Waits until the values satisfy the condition (or the stream ends, or the deadline passes). */
    public synchronized List<T> awaitValues(Predicate<List<T>> condition, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(values)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("condition not met; have " + values.size() + " values, ended=" + ended());
            }
            if (done.isDone()) {
                throw new AssertionError("stream ended before the condition was met; have " + values.size()
                        + " values, end: " + done);
            }
            // re-checked at least every 50 ms: a condition may also depend on things outside the stream
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
        return List.copyOf(values);
    }

    public synchronized List<T> awaitCount(int count, Duration timeout) throws InterruptedException, TimeoutException {
        return awaitValues(v -> v.size() >= count, timeout);
    }
}
