package dev.runplane.server.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import dev.runplane.server.core.Actors;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.auth.ApiKeyTokens;
import dev.runplane.server.core.error.FieldViolation;
import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.AwaitExecutionResponse;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionMode;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResponse;
import dev.runplane.v1.Trigger;
import dev.runplane.v1.TriggerKind;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Webhooks: {@code POST /v1/pipelines/{pipeline}/runs} with a JSON object body queues a Run of that
 * pipeline with the body as its inputs, through the same Run RPC (its validation, limits, scopes,
 * idempotency). {@code Idempotency-Key} becomes request_id; {@code labels=k:v} (repeatable),
 * {@code mode} and {@code priority} come from the query; the trigger is kind EVENT with the calling
 * key as actor. The answer is 202 with the execution; with {@code ?wait=30s} (at most
 * AwaitExecution's maximum) it waits through AwaitExecution: 200 with the ended execution and its
 * outputs, or 202 when it is still running when the wait passes.
 */
final class WebhookHandler {

    static final String PREFIX = "/v1/pipelines/";
    static final String SUFFIX = "/runs";
    /** The actor of a keyless webhook (loopback, or --insecure). */
    static final String KEYLESS_ACTOR = "webhook";
    private static final Set<String> PARAMETERS = Set.of("labels", "mode", "priority", "wait");
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
    /** The call's deadline is the wait and this much more, so that the wait ends first (done=false). */
    private static final Duration DEADLINE_MARGIN = Duration.ofSeconds(10);

    private final Channel door;
    private final Rpc run;
    private final Rpc await;
    private final int maxMessageBytes;

    WebhookHandler(Channel door, Rpcs rpcs, int maxMessageBytes) {
        this.door = door;
        this.run = rpcs.named("runplane.v1.ExecutionService/Run");
        this.await = rpcs.named("runplane.v1.ExecutionService/AwaitExecution");
        this.maxMessageBytes = maxMessageBytes;
    }

    static boolean matches(String path) {
        return path.startsWith(PREFIX) && path.endsWith(SUFFIX) && path.length() > PREFIX.length() + SUFFIX.length();
    }

    Mono<Void> handle(Incoming in, HttpServerResponse response) {
        if (!in.request().method().equals(HttpMethod.POST)) {
            response.header(HttpHeaderNames.ALLOW, "POST");
            return in.discardBody().then(Answers.plain(response, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "a webhook takes POST"));
        }
        ConnectHandler.Codec codec = ConnectHandler.Codec.of(in.header(HttpHeaderNames.CONTENT_TYPE));
        // Not a form: a cross-site page cannot post JSON without the browser asking first (CORS).
        if (codec == null || !codec.json() || codec.streaming()) {
            response.header("Accept-Post", "application/json");
            return in.discardBody().then(Answers.plain(response, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "a webhook takes Content-Type application/json (a JSON object: the run's inputs)"));
        }
        String pipeline = in.path().substring(PREFIX.length(), in.path().length() - SUFFIX.length());
        // The body first, whatever the query says: an answer given before it is read would leave it on
        // the kept-alive connection.
        return in.body(maxMessageBytes, response)
                .flatMap(body -> {
                    Duration wait = wait(in);
                    RunRequest request = query(in, pipeline).setInputs(inputs(body)).build();
                    Metadata metadata = in.metadata();
                    return GrpcCalls.unary(in.channel(door), run.raw(), in.callOptions(), metadata, request.toByteArray())
                            .map(WebhookHandler::execution)
                            .flatMap(queued -> wait.isZero() ? Mono.just(new Outcome(queued, false))
                                    : awaited(in, metadata, queued, wait));
                })
                .flatMap(outcome -> {
                    byte[] body = print(outcome.execution()).getBytes(StandardCharsets.UTF_8);
                    return response.status(outcome.ended() ? 200 : 202)
                            .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                            .sendByteArray(Mono.just(body)).then();
                })
                .onErrorResume(error -> Answers.error(response, error));
    }

    /** The execution, and whether it had ended when answered. */
    private record Outcome(Execution execution, boolean ended) {
    }

    private Mono<Outcome> awaited(Incoming in, Metadata metadata, Execution queued, Duration wait) {
        AwaitExecutionRequest request = AwaitExecutionRequest.newBuilder().setId(queued.getId())
                .setTimeout(Durations.fromMillis(wait.toMillis())).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(wait.plus(DEADLINE_MARGIN).toMillis(),
                TimeUnit.MILLISECONDS);
        return GrpcCalls.unary(in.channel(door), await.raw(), options, metadata, request.toByteArray())
                .map(bytes -> {
                    try {
                        AwaitExecutionResponse answer = AwaitExecutionResponse.parseFrom(bytes);
                        return new Outcome(answer.getExecution(), answer.getDone());
                    } catch (InvalidProtocolBufferException e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    /** The Run that the query and headers describe (the body's inputs come later). */
    private static RunRequest.Builder query(Incoming in, String pipeline) {
        List<FieldViolation> violations = new ArrayList<>();
        RunRequest.Builder request = RunRequest.newBuilder().setPipeline(pipeline);
        for (String name : in.parameters().keySet()) {
            if (!PARAMETERS.contains(name)) {
                violations.add(new FieldViolation(name, "is not a webhook parameter (labels, mode, priority, wait)"));
            }
        }
        for (String label : in.parameters().getOrDefault("labels", List.of())) {
            int colon = label.indexOf(':');
            if (colon <= 0) {
                violations.add(new FieldViolation("labels", "each label is key:value, not '" + label + "'"));
            } else {
                request.putLabels(label.substring(0, colon), label.substring(colon + 1));
            }
        }
        String mode = in.parameter("mode");
        if (mode != null) {
            switch (mode.toLowerCase(Locale.ROOT)) {
                case "production", "execution_mode_production" -> request.setMode(ExecutionMode.EXECUTION_MODE_PRODUCTION);
                case "experiment", "execution_mode_experiment" -> request.setMode(ExecutionMode.EXECUTION_MODE_EXPERIMENT);
                default -> violations.add(new FieldViolation("mode", "is production or experiment"));
            }
        }
        String priority = in.parameter("priority");
        if (priority != null) {
            try {
                request.setPriority(Integer.parseInt(priority.trim())); // its range is Run's to check
            } catch (NumberFormatException e) {
                violations.add(new FieldViolation("priority", "is an integer"));
            }
        }
        if (!violations.isEmpty()) {
            throw new InvalidArgumentException(violations);
        }
        String key = in.header("idempotency-key");
        if (key != null) {
            request.setRequestId(key); // its length is Run's to check
        }
        return request.setTrigger(Trigger.newBuilder().setKind(TriggerKind.TRIGGER_KIND_EVENT).setActor(actor(in)));
    }

    /** The calling key as {@code key:<id>}: the id is not secret (the secret is never recorded). */
    private static String actor(Incoming in) {
        String authorization = in.header(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null) {
            try {
                return Actors.key(ApiKeyTokens.parseAuthorization(authorization).id());
            } catch (RuntimeException malformed) {
                return KEYLESS_ACTOR; // Run refuses the call anyway: the key is not one
            }
        }
        return KEYLESS_ACTOR;
    }

    private static Duration wait(Incoming in) {
        String text = in.parameter("wait");
        if (text == null) {
            return Duration.ZERO;
        }
        Duration wait;
        try {
            wait = dev.runplane.server.cli.Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw InvalidArgumentException.of("wait", e.getMessage());
        }
        if (wait.isNegative() || wait.compareTo(Limits.MAX_AWAIT_TIMEOUT) > 0) {
            throw InvalidArgumentException.of("wait", "is from 0s to " + Limits.MAX_AWAIT_TIMEOUT.toMinutes()
                    + "m (AwaitExecution's maximum)");
        }
        return wait;
    }

    private static Struct inputs(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return Struct.getDefaultInstance();
        }
        if (!text.stripLeading().startsWith("{")) {
            throw InvalidArgumentException.of("inputs", "the body is the run's inputs: a JSON object");
        }
        Struct.Builder inputs = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(text, inputs);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw InvalidArgumentException.of("inputs", "the body is not a JSON object: " + e.getMessage());
        }
        return inputs.build();
    }

    private static Execution execution(byte[] bytes) {
        try {
            return RunResponse.parseFrom(bytes).getExecution();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String print(Execution execution) {
        try {
            return PRINTER.print(execution);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
