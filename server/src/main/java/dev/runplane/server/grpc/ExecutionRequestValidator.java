package dev.runplane.server.grpc;

import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Rerun;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.RerunRequest;
import java.time.Duration;
import java.util.UUID;

/**
 * Checks the ExecutionService requests about one execution that exists (GetExecution, Cancel,
 * Rerun, ListExecutionEvents, AwaitExecution); every bad field is named. Run has {@link RunRequestValidator}, Search
 * {@link SearchRequestValidator}, the watches {@link WatchRequestValidator}.
 */
final class ExecutionRequestValidator {

    static final int MAX_REASON = 1024;
    static final int DEFAULT_EVENTS_PAGE_SIZE = 100;

    /** A page of one execution's events. */
    record EventsPage(UUID id, int pageSize, String pageToken) {
    }

    /** An AwaitExecution: the id, and how long the server waits for the end. */
    record ValidAwait(UUID id, Duration timeout) {
    }

    private final Limits limits;

    ExecutionRequestValidator(Limits limits) {
        this.limits = limits;
    }

    UUID get(GetExecutionRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        checks.throwIfInvalid();
        return id;
    }

    /** The id as GetExecution takes it, and the timeout (default and maximum in {@link Limits}). */
    ValidAwait await(AwaitExecutionRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        Duration timeout = checks.waitOrDefault("timeout", request.hasTimeout(), request.getTimeout(),
                Limits.DEFAULT_AWAIT_TIMEOUT, Limits.MAX_AWAIT_TIMEOUT);
        checks.throwIfInvalid();
        return new ValidAwait(id, timeout);
    }

    /** The id to cancel; the reason is checked here and recorded as sent. */
    UUID cancel(CancelRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        checks.text("reason", request.getReason(), MAX_REASON);
        checks.throwIfInvalid();
        return id;
    }

    Rerun rerun(RerunRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        String inputs = checks.json("inputs", request.hasInputs(), request.getInputs(), limits.maxPayloadBytes(), null);
        Integer priority = request.hasPriority()
                ? checks.range("priority", request.getPriority(), limits.minPriority(), limits.maxPriority())
                : null;
        String requestId = checks.text("request_id", request.getRequestId(), 128);
        checks.throwIfInvalid();
        return new Rerun(id, inputs, priority, requestId,
                requestId == null ? null : RunRequestValidator.fingerprint(request));
    }

    /** page_size and page_token as Search takes them (its default page is smaller). */
    EventsPage events(ListExecutionEventsRequest request) {
        RequestChecks checks = new RequestChecks();
        UUID id = checks.id("id", request.getId());
        int pageSize = SearchRequestValidator.pageSize(checks, request.getPageSize(), DEFAULT_EVENTS_PAGE_SIZE);
        String token = checks.text("page_token", request.getPageToken(), SearchRequestValidator.MAX_PAGE_TOKEN_LENGTH);
        checks.throwIfInvalid();
        return new EventsPage(id, pageSize, token);
    }
}
