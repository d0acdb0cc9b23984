package dev.runplane.worker;

import com.google.protobuf.Struct;
import com.google.protobuf.util.Durations;
import dev.runplane.v1.Assignment;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.HeartbeatRequest;
import dev.runplane.v1.HeartbeatResponse;
import dev.runplane.v1.ItemError;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Claims executions of some pipelines and runs their handlers:
 * <pre>{@code
 * Worker worker = Worker.builder(channel)
 *         .concurrency(4)
 *         .handle("nightly", task -> { ...; return outputs; })
 *         .build().start();
 * ...
 * worker.close(); // graceful: stops claiming, lets running handlers finish
 * }</pre>
 * One thread long-polls for as many executions as there are idle slots (at most 100 per Poll) and
 * hands each to an idle slot, so a worker with many slots claims in batches instead of holding one
 * Poll per slot; one thread heartbeats every running task, which extends its lease, sends its
 * progress and steps, and learns of a Cancel. A handler's return value Completes the attempt, an
 * exception Fails it. Completes of slots that finish together go out in one CompleteBatch
 * ({@link CompleteSender}).
 */
public final class Worker implements AutoCloseable {

    private static final System.Logger log = System.getLogger(Worker.class.getName());

    /** The most executions one Poll may claim (the server's limit). */
    private static final int MAX_CLAIM = 100;
    /** Handed to an idle slot to end it: an instance of its own, told apart by identity. */
    private static final Assignment STOP = Assignment.newBuilder().build();

    private final Builder config;
    private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
    /** The slots' Completes, sent together when they finish together. */
    private final CompleteSender completes;
    private final List<Thread> slots = new ArrayList<>();
    private Thread claimer;
    /** One permit per idle slot: the claimer takes them before it claims, so every claim has a slot waiting. */
    private final Semaphore idleSlots = new Semaphore(0);
    /** Claimed executions on their way to the idle slots, then one STOP per slot. */
    private final BlockingQueue<Assignment> handOff = new LinkedBlockingQueue<>();
    private final Set<Task> running = ConcurrentHashMap.newKeySet();
    private final Set<Context.CancellableContext> polls = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService heartbeats;
    private volatile boolean stopping;

    private Worker(Builder config) {
        this.config = config;
        this.stub = WorkerServiceGrpc.newBlockingStub(config.channel);
        this.completes = new CompleteSender(batch -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).completeBatch(batch));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "runplane-worker-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder(Channel channel) {
        return new Builder(channel);
    }

    /** Starts the slots, the claiming thread and the heartbeat thread. */
    public synchronized Worker start() {
        long every = config.heartbeatInterval.toMillis();
        heartbeats.scheduleWithFixedDelay(this::heartbeatAll, every, every, TimeUnit.MILLISECONDS);
        for (int i = 0; i < config.concurrency; i++) {
            Thread slot = new Thread(this::slotLoop, "runplane-worker-" + i);
            slot.start();
            slots.add(slot);
        }
        claimer = new Thread(this::claimLoop, "runplane-worker-claimer");
        claimer.start();
        return this;
    }

    /** How many handlers run right now. */
    public int runningCount() {
        return running.size();
    }

    /** A slot: says it is idle, takes the next execution handed to it, runs it; until told to stop. */
    private void slotLoop() {
        while (true) {
            idleSlots.release();
            Assignment assignment;
            try {
                assignment = handOff.take();
            } catch (InterruptedException e) {
                return;
            }
            if (assignment == STOP) {
                return;
            }
            execute(assignment);
        }
    }

    /** Claims as many executions as there are idle slots, hands them out, and again; then stops the slots. */
    private void claimLoop() {
        long backoff = 100;
        try {
            while (!stopping) {
                idleSlots.acquire();
                int idle = 1 + idleSlots.drainPermits();
                int claim = Math.min(idle, MAX_CLAIM);
                idleSlots.release(idle - claim);
                List<Assignment> claimed = List.of();
                try {
                    claimed = poll(claim).getAssignmentsList();
                    backoff = 100;
                } catch (StatusRuntimeException e) {
                    if (!stopping) {
                        log.log(System.Logger.Level.WARNING, pollFailed(e.getStatus()) + "; retrying in "
                                + backoff + " ms");
                        sleep(backoff);
                        backoff = Math.min(backoff * 2, 5_000);
                    }
                }
                handOff.addAll(claimed); // each goes to a slot that gave its permit and waits
                idleSlots.release(claim - claimed.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (int i = 0; i < slots.size(); i++) {
                handOff.add(STOP); // the idle slots end now, the busy ones when their task is done
            }
        }
    }

    /**
     * What a failed Poll means. A refused key is the usual first-hour trap: once the server has its
     * first API key, a worker without one (or with one that lacks {@code work}) claims nothing, and
     * its log must say what to do.
     */
    static String pollFailed(Status status) {
        String what = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        if (status.getCode() == Status.Code.UNAUTHENTICATED || status.getCode() == Status.Code.PERMISSION_DENIED) {
            return "Poll refused (" + what + "). This worker claims nothing and queued work waits until it calls "
                    + "with an API key that has the `work` scope (for these pipelines): set RUNPLANE_API_KEY to a key "
                    + "with the `work` scope (`runplane keys create --scopes work`) for the worker command, or send "
                    + "'authorization: Bearer <key>' through the channel of a library worker";
        }
        return "Poll failed (" + what + ")";
    }

    /** One long-poll, cancellable by {@link #close()}. */
    private PollResponse poll(int max) {
        Context.CancellableContext context = Context.current().withCancellation();
        polls.add(context);
        try {
            if (stopping) {
                throw Status.CANCELLED.asRuntimeException();
            }
            return context.call(() -> stub.withDeadlineAfter(config.maxWait.toMillis() + 10_000, TimeUnit.MILLISECONDS)
                    .poll(PollRequest.newBuilder()
                            .setWorkerId(config.workerId)
                            .addAllPipelines(config.handlers.keySet())
                            .setMaxExecutions(max)
                            .setMaxWait(Durations.fromMillis(config.maxWait.toMillis()))
                            .setLeaseDuration(Durations.fromMillis(config.leaseDuration.toMillis()))
                            .build()));
        } catch (StatusRuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw Status.INTERNAL.withCause(e).asRuntimeException();
        } finally {
            polls.remove(context);
            context.cancel(null);
        }
    }

    private void execute(Assignment assignment) {
        Task task = new Task(assignment.getExecution(), assignment.getLease());
        Handler handler = config.handlers.get(assignment.getExecution().getPipeline());
        running.add(task);
        Struct outputs = null;
        Exception failure = null;
        try {
            outputs = handler.handle(task);
        } catch (Exception e) {
            failure = e;
        } finally {
            running.remove(task);
            Thread.interrupted(); // a cancel may have interrupted the handler; the reports below must go out
        }
        if (task.leaseLost()) {
            return; // another attempt owns the execution now: nothing to report
        }
        try {
            if (failure == null) {
                CompleteRequest.Builder complete = CompleteRequest.newBuilder().setLease(task.lease())
                        .addAllSteps(task.steps());
                if (outputs != null) {
                    complete.setOutputs(outputs);
                }
                String message = task.takeMessage();
                if (message != null) {
                    complete.setMessage(message);
                }
                ItemError refused = completes.complete(complete.build()).getError();
                if (refused.getCode() == Status.Code.INVALID_ARGUMENT.value()) {
                    // Outputs the server refuses (too large, say) fail the execution with the reason,
                    // rather than leaving it to expire and be retried with the same outputs.
                    stub.withDeadlineAfter(30, TimeUnit.SECONDS).fail(FailRequest.newBuilder().setLease(task.lease())
                            .setError(truncate("the server refused the outputs: " + refused.getMessage(),
                                    16 * 1024)).build());
                } else if (refused.getCode() != Status.Code.OK.value()) {
                    log.log(System.Logger.Level.WARNING, "Could not finish execution " + task.id() + ": "
                            + Status.fromCodeValue(refused.getCode()).getCode() + " " + refused.getMessage());
                }
            } else {
                boolean retryable = !task.cancelRequested()
                        && !(failure instanceof TaskFailure f && !f.retryable());
                String error = task.cancelRequested() && failure instanceof InterruptedException
                        ? "cancelled" : String.valueOf(failure.getMessage() != null ? failure.getMessage() : failure);
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).fail(FailRequest.newBuilder().setLease(task.lease())
                        .setError(truncate(error, 16 * 1024)).setRetryable(retryable).addAllSteps(task.steps()).build());
            }
        } catch (StatusRuntimeException e) {
            // ABORTED: the lease went stale meanwhile; anything else: the lease will expire and the
            // server retries or fails the execution. Either way the server, not this worker, decides.
            log.log(System.Logger.Level.WARNING, "Could not finish execution " + task.id() + ": " + e.getStatus());
        }
    }

    private void heartbeatAll() {
        for (Task task : running) {
            try {
                HeartbeatRequest.Builder beat = HeartbeatRequest.newBuilder().setLease(task.lease())
                        .addAllSteps(task.takeSteps());
                String message = task.takeMessage();
                if (message != null) {
                    beat.setMessage(message);
                }
                HeartbeatResponse response = stub.withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(beat.build());
                task.lease(response.getLease());
                if (response.getCancelRequested()) {
                    task.requestCancel();
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.ABORTED || e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    task.loseLease();
                } else {
                    log.log(System.Logger.Level.WARNING, "Heartbeat failed for " + task.id() + ": " + e.getStatus());
                }
            } catch (RuntimeException e) {
                log.log(System.Logger.Level.WARNING, "Heartbeat failed for " + task.id(), e);
            }
        }
    }

    /**
     * Graceful stop: no new claims; running handlers get {@code drainTime} to finish and report,
     * then they are told to cancel (their executions are retried by the server once leases expire).
     */
    @Override
    public void close() {
        stopping = true;
        polls.forEach(context -> context.cancel(null));
        Thread claiming;
        synchronized (this) {
            claiming = claimer;
        }
        if (claiming != null) {
            claiming.interrupt(); // it may wait for an idle slot; on its way out it stops the slots
        }
        long deadline = System.nanoTime() + config.drainTime.toNanos();
        for (Thread slot : slots) {
            long left = deadline - System.nanoTime();
            try {
                slot.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running.forEach(Task::loseLease);
        for (Thread slot : slots) {
            try {
                slot.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        heartbeats.shutdownNow();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(text.length() - max);
    }

    /** Settings of a {@link Worker}; every one has a default except the handlers. */
    public static final class Builder {

        private final Channel channel;
        private final Map<String, Handler> handlers = new LinkedHashMap<>();
        private String workerId = ManagementFactory.getRuntimeMXBean().getName();
        private int concurrency = 1;
        private Duration leaseDuration = Duration.ofSeconds(30);
        private Duration heartbeatInterval;
        private Duration maxWait = Duration.ofSeconds(30);
        private Duration drainTime = Duration.ofSeconds(30);

        private Builder(Channel channel) {
            this.channel = Objects.requireNonNull(channel, "channel");
        }

        /** Runs {@code handler} for executions of {@code pipeline}. */
        public Builder handle(String pipeline, Handler handler) {
            handlers.put(Objects.requireNonNull(pipeline, "pipeline"), Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /** Kept on each execution this worker claims (default: pid@host). */
        public Builder workerId(String id) {
            this.workerId = id;
            return this;
        }

        /** How many executions run at once (default 1). */
        public Builder concurrency(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
            this.concurrency = n;
            return this;
        }

        /** How long a lease lasts without a heartbeat (default 30 s). */
        public Builder leaseDuration(Duration duration) {
            this.leaseDuration = duration;
            return this;
        }

        /** How often running tasks heartbeat (default a third of the lease). */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = interval;
            return this;
        }

        /** How long one Poll waits for work (default 30 s). */
        public Builder maxWait(Duration wait) {
            this.maxWait = wait;
            return this;
        }

        /** How long {@link Worker#close()} lets running handlers finish (default 30 s). */
        public Builder drainTime(Duration drain) {
            this.drainTime = drain;
            return this;
        }

        public Worker build() {
            if (handlers.isEmpty()) {
                throw new IllegalStateException("no handler: call handle(pipeline, handler)");
            }
            if (heartbeatInterval == null) {
                heartbeatInterval = leaseDuration.dividedBy(3);
            }
            return new Worker(this);
        }
    }
}
