package dev.runplane.server.testing;

import dev.runplane.server.core.WorkSignals;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;

/** {@link WorkSignals} that only records the signals sent, as "pipeline x count", and their threads. */
public final class RecordingSignals implements WorkSignals {

    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    public List<String> sent() {
        return sent;
    }

    /** The name of the thread that sent each signal, in the order of {@link #sent}. */
    public List<String> threads() {
        return threads;
    }

    @Override
    public long generation(Collection<String> pipelines) {
        return 0;
    }

    @Override
    public void signal(String pipeline, int count) {
        threads.add(Thread.currentThread().getName());
        sent.add(pipeline + " x " + count);
    }

    @Override
    public boolean waiting(Collection<String> pipelines) {
        return false;
    }

    @Override
    public void pass(Collection<String> pipelines) {
    }

    @Override
    public Mono<Void> awaitAfter(Collection<String> pipelines, int batchSize, long seen, Duration atMost) {
        return Mono.empty();
    }
}
