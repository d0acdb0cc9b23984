package dev.runplane.server.grpc;

import dev.runplane.server.core.auth.ApiKey;
import dev.runplane.server.core.auth.Scope;
import dev.runplane.v1.CompleteRequest;
import dev.runplane.v1.Execution;
import dev.runplane.v1.FailRequest;
import dev.runplane.v1.RerunRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.Trigger;

/**
 * What a caller without the {@code read} scope receives of an execution in an answer (Run, RunBatch,
 * Cancel, Rerun, Complete, Fail, CompleteBatch): the rule is that it never receives data that it did
 * not send itself (docs/security.md, "What an answer contains"). So an answer keeps the execution's
 * identity and state (an allow-list: a field added later stays hidden until someone decides
 * otherwise), plus the data fields that this very request sent, copied from the request. A worker's
 * Poll is not reduced: the execution it claims is its work.
 */
final class WithoutRead {

    private WithoutRead() {
    }

    /** Whether answers to this caller are reduced: a key without read (the loopback bootstrap has no key). */
    static boolean applies(ApiKey caller) {
        return caller != null && !caller.scopes().contains(Scope.READ);
    }

    /** Identity and state only: no inputs, outputs, labels, steps, message, error, variables or keys. */
    static Execution state(Execution e) {
        Execution.Builder state = Execution.newBuilder()
                .setId(e.getId()).setPipeline(e.getPipeline()).setStatus(e.getStatus()).setMode(e.getMode())
                .setPriority(e.getPriority()).setParentId(e.getParentId()).setRerunOf(e.getRerunOf())
                .setDuplicateOf(e.getDuplicateOf()).setAttempt(e.getAttempt()).setMaxAttempts(e.getMaxAttempts())
                .setRevision(e.getRevision());
        if (e.hasTrigger()) {
            state.setTrigger(Trigger.newBuilder().setKind(e.getTrigger().getKind()).setActor(e.getTrigger().getActor()));
        }
        if (e.hasMaxRuntime()) {
            state.setMaxRuntime(e.getMaxRuntime());
        }
        if (e.hasScheduledFor()) {
            state.setScheduledFor(e.getScheduledFor());
        }
        if (e.hasCreateTime()) {
            state.setCreateTime(e.getCreateTime());
        }
        if (e.hasQueueTime()) {
            state.setQueueTime(e.getQueueTime());
        }
        if (e.hasStartTime()) {
            state.setStartTime(e.getStartTime());
        }
        if (e.hasEndTime()) {
            state.setEndTime(e.getEndTime());
        }
        if (e.hasUpdateTime()) {
            state.setUpdateTime(e.getUpdateTime());
        }
        if (e.hasWaitingTime()) {
            state.setWaitingTime(e.getWaitingTime());
        }
        if (e.hasExecutionTime()) {
            state.setExecutionTime(e.getExecutionTime());
        }
        return state.build();
    }

    /** A Run's answer: the state, and the inputs, labels, variables and keys that the Run sent. */
    static Execution run(Execution e, RunRequest sent) {
        Execution.Builder answer = state(e).toBuilder().putAllLabels(sent.getLabelsMap())
                .setRequestId(sent.getRequestId()).setDedupKey(sent.getDedupKey());
        if (sent.hasInputs()) {
            answer.setInputs(sent.getInputs());
        }
        if (sent.getTrigger().hasVariables() && answer.hasTrigger()) {
            answer.getTriggerBuilder().setVariables(sent.getTrigger().getVariables());
        }
        return answer.build();
    }

    /** A Rerun's answer: the state, and the inputs and request_id that the Rerun sent (not the original's). */
    static Execution rerun(Execution e, RerunRequest sent) {
        Execution.Builder answer = state(e).toBuilder().setRequestId(sent.getRequestId());
        if (sent.hasInputs()) {
            answer.setInputs(sent.getInputs());
        }
        return answer.build();
    }

    /** A Complete's answer: the state, and the outputs and message that the worker sent. */
    static Execution complete(Execution e, CompleteRequest sent) {
        Execution.Builder answer = state(e).toBuilder().setMessage(sent.getMessage());
        if (sent.hasOutputs()) {
            answer.setOutputs(sent.getOutputs());
        }
        return answer.build();
    }

    /** A Fail's answer: the state, and the error that the worker sent. */
    static Execution fail(Execution e, FailRequest sent) {
        return state(e).toBuilder().setError(sent.getError()).build();
    }
}
