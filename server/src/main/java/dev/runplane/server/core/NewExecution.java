package dev.runplane.server.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A validated Run request: what the store needs to create an execution. Build one by name with
 * {@link #builder}: the components are many and several share a type, so a positional call mixes
 * them up silently.
 *
 * @param scheduledFor not claimable before; null means now
 * @param requestFingerprint a digest of the whole request, to tell a retry from a conflicting reuse
 *                           of the same request id
 * @param actor who asked for it, as its first event records it ({@link Actors}: {@code key:<key id>}, ...)
 */
public record NewExecution(
        String pipeline,
        Mode mode,
        int priority,
        Map<String, String> labels,
        String inputsJson,
        Trigger trigger,
        UUID parentId,
        UUID rerunOf,
        String requestId,
        String requestFingerprint,
        String dedupKey,
        int maxAttempts,
        Duration maxRuntime,
        Instant scheduledFor,
        String actor) {

    /** A Run of {@code pipeline} with the defaults of a RunRequest that sets nothing else. */
    public static Builder builder(String pipeline) {
        return new Builder(Objects.requireNonNull(pipeline, "pipeline"));
    }

    /** Sets a NewExecution's components by name; each starts as a RunRequest that leaves it out gets it. */
    public static final class Builder {

        private final String pipeline;
        private Mode mode = Mode.PRODUCTION;
        private int priority;
        private Map<String, String> labels = Map.of();
        private String inputsJson = "{}";
        private Trigger trigger = Trigger.api();
        private UUID parentId;
        private UUID rerunOf;
        private String requestId;
        private String requestFingerprint;
        private String dedupKey;
        private int maxAttempts = 1;
        private Duration maxRuntime;
        private Instant scheduledFor;
        private String actor;

        private Builder(String pipeline) {
            this.pipeline = pipeline;
        }

        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            this.labels = labels;
            return this;
        }

        public Builder inputsJson(String inputsJson) {
            this.inputsJson = inputsJson;
            return this;
        }

        public Builder trigger(Trigger trigger) {
            this.trigger = trigger;
            return this;
        }

        public Builder parentId(UUID parentId) {
            this.parentId = parentId;
            return this;
        }

        public Builder rerunOf(UUID rerunOf) {
            this.rerunOf = rerunOf;
            return this;
        }

        /** The request id and the digest of the request that carried it (set together: one checks the other). */
        public Builder request(String requestId, String requestFingerprint) {
            this.requestId = requestId;
            this.requestFingerprint = requestFingerprint;
            return this;
        }

        public Builder dedupKey(String dedupKey) {
            this.dedupKey = dedupKey;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder maxRuntime(Duration maxRuntime) {
            this.maxRuntime = maxRuntime;
            return this;
        }

        public Builder scheduledFor(Instant scheduledFor) {
            this.scheduledFor = scheduledFor;
            return this;
        }

        public Builder actor(String actor) {
            this.actor = actor;
            return this;
        }

        public NewExecution build() {
            return new NewExecution(this.pipeline, this.mode, this.priority, this.labels, this.inputsJson, this.trigger,
                    this.parentId, this.rerunOf, this.requestId, this.requestFingerprint, this.dedupKey,
                    this.maxAttempts, this.maxRuntime, this.scheduledFor, this.actor);
        }
    }
}
