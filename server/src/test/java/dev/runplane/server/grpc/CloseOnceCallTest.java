package dev.runplane.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A call that two parties end at once (a refused parse on the transport's thread, an auth refusal on
 * the driver's) reaches the transport once: grpc-java's own call throws "call already closed" on a
 * second close, and a message after the close must not be sent.
 */
class CloseOnceCallTest {

    /** The transport's side: it records what reaches it and refuses a second close as grpc-java does. */
    private static final class Transport extends ServerCall<String, String> {
        final List<Status> closes = new ArrayList<>();
        final List<String> sent = new ArrayList<>();

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public synchronized void sendMessage(String message) {
            if (!closes.isEmpty()) {
                throw new IllegalStateException("call is closed");
            }
            sent.add(message);
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closes.isEmpty()) {
                throw new IllegalStateException("call already closed");
            }
            closes.add(status);
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void theFirstCloseWinsAndWhatFollowsIsDropped() {
        Transport transport = new Transport();
        CloseOnceCall<String, String> call = new CloseOnceCall<>(transport);
        call.sendMessage("answer");
        assertTrue(call.closeWith(Status.INVALID_ARGUMENT.withDescription("malformed").asRuntimeException()));
        assertFalse(call.closeWith(new StatusRuntimeException(Status.UNAUTHENTICATED)), "already ended");
        call.close(Status.OK, new Metadata());
        call.sendMessage("late");
        assertEquals(List.of("answer"), transport.sent);
        assertEquals(1, transport.closes.size());
        assertEquals(Status.Code.INVALID_ARGUMENT, transport.closes.get(0).getCode());
    }

    @RepeatedTest(20)
    void twoThreadsClosingAtOnceReachTheTransportOnce() throws InterruptedException {
        Transport transport = new Transport();
        CloseOnceCall<String, String> call = new CloseOnceCall<>(transport);
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> failures = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (Status status : List.of(Status.INVALID_ARGUMENT, Status.UNAUTHENTICATED)) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    call.closeWith(status.asRuntimeException());
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(List.of(), failures);
        assertEquals(1, transport.closes.size());
    }
}
