package dev.runplane.worker;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import dev.runplane.v1.Execution;
import dev.runplane.v1.Lease;
import dev.runplane.v1.Step;
import dev.runplane.v1.StepStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One claimed attempt, as its handler sees it: the execution and its inputs, progress and step
 * reporting (sent with the next heartbeat), and cooperative cancellation.
 */
public final class Task {

    private final Execution execution;
    private volatile Lease lease;
    private volatile boolean cancelRequested;
    private volatile boolean leaseLost;
    private final List<Runnable> cancelListeners = new CopyOnWriteArrayList<>();
    private final Map<String, Step> pendingSteps = new LinkedHashMap<>();
    private final Map<String, Step> allSteps = new LinkedHashMap<>();
    private String pendingMessage;

    Task(Execution execution, Lease lease) {
        this.execution = execution;
        this.lease = lease;
    }

    /** The execution as claimed (RUNNING), with its inputs. */
    public Execution execution() {
        return execution;
    }

    public String id() {
        return execution.getId();
    }

    public Struct inputs() {
        return execution.getInputs();
    }

    /** This attempt's number (1 for the first). */
    public int attempt() {
        return lease.getAttempt();
    }

    /** True once Cancel was asked: stop soon, then return or throw (the execution ends CANCELLED). */
    public boolean cancelRequested() {
        return cancelRequested;
    }

    /** True once the server gave this attempt to someone else: whatever this handler does is dropped. */
    public boolean leaseLost() {
        return leaseLost;
    }

    /** Runs when Cancel is asked (or the lease is lost), on the heartbeat thread; keep it short. */
    public void onCancel(Runnable listener) {
        cancelListeners.add(listener);
        if (cancelRequested || leaseLost) {
            listener.run();
        }
    }

    /** A progress message, sent with the next heartbeat. */
    public synchronized void progress(String message) {
        pendingMessage = message;
    }

    /** Reports a step as started. */
    public void stepStarted(String name) {
        step(Step.newBuilder().setName(name).setStatus(StepStatus.STEP_STATUS_RUNNING).setStartTime(now()).build());
    }

    /** Reports a step as ended with this status and message. */
    public void stepEnded(String name, StepStatus status, String message) {
        step(Step.newBuilder().setName(name).setStatus(status).setEndTime(now()).setMessage(message).build());
    }

    /** Reports a step as given (status, times, message, metrics). */
    public synchronized void step(Step step) {
        pendingSteps.put(step.getName(), step);
        allSteps.put(step.getName(), step);
    }

    synchronized String takeMessage() {
        String message = pendingMessage;
        pendingMessage = null;
        return message;
    }

    synchronized List<Step> takeSteps() {
        List<Step> steps = new ArrayList<>(pendingSteps.values());
        pendingSteps.clear();
        return steps;
    }

    /** Every step reported, in their latest state: sent with Complete or Fail. */
    synchronized List<Step> steps() {
        pendingSteps.clear();
        return new ArrayList<>(allSteps.values());
    }

    Lease lease() {
        return lease;
    }

    void lease(Lease newLease) {
        this.lease = newLease;
    }

    void requestCancel() {
        if (!cancelRequested) {
            cancelRequested = true;
            cancelListeners.forEach(Runnable::run);
        }
    }

    void loseLease() {
        if (!leaseLost) {
            leaseLost = true;
            cancelListeners.forEach(Runnable::run);
        }
    }

    private static Timestamp now() {
        Instant now = Instant.now();
        return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    }
}
