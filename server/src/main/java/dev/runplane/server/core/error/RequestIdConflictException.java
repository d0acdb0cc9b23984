package dev.runplane.server.core.error;

import java.util.Optional;
import java.util.UUID;

/**
 * A request id was reused for a different request (AIP-155): the earlier execution keeps the id,
 * and the new request is refused without changing anything.
 */
public final class RequestIdConflictException extends RunplaneException {

    private final String requestId;
    private final UUID executionId;

    public RequestIdConflictException(String requestId, UUID executionId) {
        super(Kind.REQUEST_ID_CONFLICT, "REQUEST_ID_REUSED",
                entries("request_id", requestId, "execution_id", executionId.toString()),
                "request_id '" + requestId + "' was already used by execution " + executionId
                        + " with a different request; use a new request_id for a new request", null);
        this.requestId = requestId;
        this.executionId = executionId;
    }

    @Override
    public Optional<Resource> resource() {
        return Optional.of(new Resource("execution", this.executionId.toString(), "holds request_id " + this.requestId));
    }
}
