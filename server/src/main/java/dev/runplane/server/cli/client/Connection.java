package dev.runplane.server.cli.client;

import dev.runplane.server.cli.ClientOptions;
import dev.runplane.v1.ExecutionServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/** One command's channel to the server, with its API key on every call; closed when the command ends. */
final class Connection implements AutoCloseable {

    /** A unary call that takes longer than this is given up (DEADLINE_EXCEEDED). */
    static final long CALL_SECONDS = 30;

    private final ManagedChannel channel;
    private final Channel withKey;

    Connection(ClientOptions client) {
        this.channel = client.channel();
        this.withKey = ClientInterceptors.intercept(channel, client.keyInterceptor());
    }

    /** For one unary call: its deadline starts now. */
    ExecutionServiceGrpc.ExecutionServiceBlockingStub executions() {
        return ExecutionServiceGrpc.newBlockingStub(withKey).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    /** For calls that wait (streams, AwaitExecution): the caller sets the deadline, if any. */
    ExecutionServiceGrpc.ExecutionServiceBlockingStub waiting() {
        return ExecutionServiceGrpc.newBlockingStub(withKey);
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
