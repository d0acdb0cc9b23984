package dev.runplane.server.security;

import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import dev.runplane.server.testing.Keys;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * One representative RPC per scope: the table of auth cases that {@link AuthTest} runs over gRPC and
 * dev.runplane.server.http.HttpAuthTest runs over HTTP, so that both transports are held to the same
 * table. A request names an execution of a pipeline ("allowed" or "other") through the test's map.
 */
public enum AuthGroup {
    READ(KeyScope.KEY_SCOPE_READ, ExecutionServiceGrpc.getGetExecutionMethod(),
            (executionOf, pipeline) -> GetExecutionRequest.newBuilder().setId(executionOf.get(pipeline)).build()),
    /** AwaitExecution: read, like GetExecution (the executions here are queued: it answers done=false). */
    AWAIT(KeyScope.KEY_SCOPE_READ, ExecutionServiceGrpc.getAwaitExecutionMethod(),
            (executionOf, pipeline) -> AwaitExecutionRequest.newBuilder().setId(executionOf.get(pipeline))
                    .setTimeout(Durations.fromMillis(10)).build()),
    RUN(KeyScope.KEY_SCOPE_RUN, ExecutionServiceGrpc.getRunMethod(),
            (executionOf, pipeline) -> RunRequest.newBuilder().setPipeline(pipeline).build()),
    WORK(KeyScope.KEY_SCOPE_WORK, WorkerServiceGrpc.getPollMethod(),
            (executionOf, pipeline) -> PollRequest.newBuilder().setWorkerId("w").addPipelines(pipeline).build()),
    ADMIN(KeyScope.KEY_SCOPE_ADMIN, KeyServiceGrpc.getListKeysMethod(),
            (executionOf, pipeline) -> ListKeysRequest.getDefaultInstance());

    public final KeyScope scope;
    private final MethodDescriptor<? extends Message, ? extends Message> method;
    private final BiFunction<Map<String, String>, String, Message> request;

    AuthGroup(KeyScope scope, MethodDescriptor<? extends Message, ? extends Message> method,
              BiFunction<Map<String, String>, String, Message> request) {
        this.scope = scope;
        this.method = method;
        this.request = request;
    }

    /** The scope's name as errors spell it ("read"). */
    public String scopeName() {
        return scope.name().substring("KEY_SCOPE_".length()).toLowerCase(Locale.ROOT);
    }

    /** {@code package.Service/Method}: also the HTTP path of the call. */
    public String fullMethodName() {
        return method.getFullMethodName();
    }

    public Message request(Map<String, String> executionOf, String pipeline) {
        return request.apply(executionOf, pipeline);
    }

    /** The call over gRPC, as any client makes it: this authorization header (null: none), 10 s deadline. */
    @SuppressWarnings("unchecked")
    public void call(Channel channel, String authorization, Map<String, String> executionOf, String pipeline) {
        Channel target = channel;
        if (authorization != null) {
            Metadata headers = new Metadata();
            headers.put(Keys.AUTHORIZATION, authorization);
            target = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        ClientCalls.blockingUnaryCall(target, (MethodDescriptor<Message, Message>) method,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request(executionOf, pipeline));
    }
}
