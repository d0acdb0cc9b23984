package dev.runplane.server.core;

import java.util.UUID;

/**
 * One state change asked of the store: the action, who asks and why. Actions that carry data (a
 * worker's outputs, an error) add it in the optional fields; the store ignores the ones an action
 * does not use.
 */
public record TransitionRequest(UUID executionId, Action action, String actor, String reason,
                                String workerId, String outputsJson, String message, String error) {

    public static TransitionRequest of(UUID executionId, Action action, String actor, String reason) {
        return new TransitionRequest(executionId, action, actor, reason, null, null, null, null);
    }
}
