package dev.runplane.server.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The use cases of WorkerService: long-poll claims and the calls that carry a lease. */
public final class Workers {

    private final WorkerStore store;
    private final WorkSignals signals;
    private final WorkerSettings settings;
    /** Records the workers that poll, for ListWorkers; null records none. */
    private final SeenWorkers seen;
    /** Completes when the server stops: waiting polls then answer empty instead of holding up the drain. */
    private final Sinks.Empty<Void> stopping = Sinks.empty();
    private volatile boolean stopped;

    public Workers(WorkerStore store, WorkSignals signals, WorkerSettings settings) {
        this(store, signals, settings, null);
    }

    /** @param seen where the workers that poll are recorded (ListWorkers); null records none */
    public Workers(WorkerStore store, WorkSignals signals, WorkerSettings settings, SeenWorkers seen) {
        this.store = store;
        this.signals = signals;
        this.settings = settings;
        this.seen = seen;
    }

    /**
     * {@link #poll(ClaimRequest, Duration)} by a worker that calls with this key ("" without keys):
     * it is recorded as seen when the Poll arrives and again when it answers, since a long Poll is a
     * sign of life for as long as it waits (both coalesced by {@link SeenWorkers}, and neither waits
     * for the write).
     */
    public Mono<List<Assignment>> poll(ClaimRequest request, Duration maxWait, String keyId) {
        if (this.seen == null) {
            return poll(request, maxWait);
        }
        return Mono.defer(() -> {
            this.seen.seen(request.workerId(), request.pipelines(), keyId);
            return poll(request, maxWait)
                    .doOnNext(answer -> this.seen.seen(request.workerId(), request.pipelines(), keyId));
        });
    }

    /**
     * Claims at once if work is queued; otherwise waits for a signal (or the fallback re-check) and
     * tries again, until {@code maxWait} has passed: then an empty list. A poll that may wait and
     * finds pollers of its group already waiting waits behind them without looking at the queue:
     * their last look found it empty, and work queued since wakes them (measured under
     * WorkerBenchmark with 16 workers: most claim statements found nothing, a third of them on arrival).
     */
    public Mono<List<Assignment>> poll(ClaimRequest request, Duration maxWait) {
        return Mono.defer(() -> {
            Instant deadline = Instant.now().plus(maxWait);
            long seen = signals.generation(request.pipelines());
            if (!maxWait.isNegative() && !maxWait.isZero() && signals.waiting(request.pipelines())) {
                return waitThenPoll(request, deadline, seen);
            }
            return pollUntil(request, deadline);
        });
    }

    private Mono<List<Assignment>> pollUntil(ClaimRequest request, Instant deadline) {
        long seen = signals.generation(request.pipelines());
        return store.claim(request).flatMap(claimed -> {
            if (!claimed.isEmpty()) {
                if (claimed.size() == request.maxExecutions()) {
                    signals.pass(request.pipelines()); // a full batch: there may be more, wake the next waiter
                }
                return Mono.just(claimed);
            }
            return waitThenPoll(request, deadline, seen);
        });
    }

    /** Waits for a signal after {@code seen} (or the fallback re-check), then claims; empty at the deadline. */
    private Mono<List<Assignment>> waitThenPoll(ClaimRequest request, Instant deadline, long seen) {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative() || left.isZero() || isStopping()) {
            return Mono.just(List.of());
        }
        Duration wait = left.compareTo(settings.wakeUpFallback()) < 0 ? left : settings.wakeUpFallback();
        return Mono.firstWithSignal(signals.awaitAfter(request.pipelines(), request.maxExecutions(), seen, wait),
                        stopping.asMono())
                .then(Mono.defer(() -> isStopping() ? Mono.just(List.<Assignment>of()) : pollUntil(request, deadline)));
    }

    /** Ends every waiting poll with an empty answer; called when the server starts to stop. */
    public void stopWaiting() {
        stopped = true;
        stopping.tryEmitEmpty();
    }

    private boolean isStopping() {
        return stopped;
    }

    public Mono<HeartbeatOutcome> heartbeat(WorkerReport report) {
        return heartbeat(report, "");
    }

    /** A heartbeat by a worker that calls with this key: it is seen (the lease says which worker it is). */
    public Mono<HeartbeatOutcome> heartbeat(WorkerReport report, String keyId) {
        return store.heartbeat(report).doOnNext(outcome -> active(outcome.workerId(), keyId));
    }

    public Mono<Execution> complete(WorkerReport report) {
        return complete(report, "");
    }

    /** A Complete by a worker that calls with this key: it is seen. */
    public Mono<Execution> complete(WorkerReport report, String keyId) {
        return store.complete(report).doOnNext(done -> active(done.workerId(), keyId));
    }

    /** Each report's own answer, in order; see {@link WorkerStore#completeAll}. */
    public List<Mono<Execution>> completeAll(List<WorkerReport> reports) {
        return completeAll(reports, "");
    }

    /** {@link #completeAll(List)} by a worker that calls with this key: it is seen. */
    public List<Mono<Execution>> completeAll(List<WorkerReport> reports, String keyId) {
        return store.completeAll(reports).stream()
                .map(answer -> answer.doOnNext(done -> active(done.workerId(), keyId)))
                .toList();
    }

    /** Fails the attempt; when it goes back to the queue, the store tells the waiting pollers. */
    public Mono<Execution> fail(WorkerReport report) {
        return fail(report, "");
    }

    /** A Fail by a worker that calls with this key: it is seen. */
    public Mono<Execution> fail(WorkerReport report, String keyId) {
        return store.fail(report, settings).doOnNext(failed -> active(failed.workerId(), keyId));
    }

    private void active(String workerId, String keyId) {
        if (this.seen != null) {
            this.seen.active(workerId, keyId);
        }
    }
}
