package dev.runplane.server.testing;

import dev.runplane.server.core.WorkSignals;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;

/** {@link WorkSignals} that only records the signals sent, as "pipeline x count". */
public final class RecordingSignals implements WorkSignals {

    private final List<String> sent = new CopyOnWriteArrayList<>();

    public List<String> sent() {
        return sent;
    }

    @Override
    public long generation(Collection<String> pipelines) {
        return 0;
    }

    @Override
    public void signal(String pipeline, int count) {
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
