package dev.runplane.server.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses requests where a failure can still be answered. grpc-java parses a request in the method's
 * marshaller before any listener sees it, and a parse failure there (invalid UTF-8, nesting past
 * protobuf's limit of 100, garbage, truncated bytes) ends the call as UNKNOWN "Application error
 * processing RPC" with a stack trace in the log, for every such request. A guarded service takes
 * the bytes as they came and parses them in its listener instead: a failure answers INVALID_ARGUMENT
 * (reason MALFORMED_REQUEST, one short message) and is logged as at most one line per
 * {@link #REPORT_INTERVAL_NANOS}, with the count since the previous line. Interceptors inside the
 * guarded service (auth, the allow-list) see parsed messages, as before.
 */
public final class ParseGuard {

    private static final Logger log = LoggerFactory.getLogger(ParseGuard.class);
    /** A flood of malformed requests costs one log line per 10 s, however many arrive. */
    static final long REPORT_INTERVAL_NANOS = 10_000_000_000L;

    private static final MethodDescriptor.Marshaller<InputStream> AS_RECEIVED = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong nextReport = new AtomicLong(System.nanoTime());

    /**
     * The same service, taking raw requests and parsing them in its own listener. Its descriptor
     * keeps the schema, so reflection still describes it.
     */
    public ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        List<ServerMethodDefinition<?, ?>> methods = service.getMethods().stream()
                .<ServerMethodDefinition<?, ?>>map(this::guard).toList();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder guarded = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(guarded::addMethod);
        return guarded.build();
    }

    private <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> guard(ServerMethodDefinition<ReqT, RespT> definition) {
        MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
        MethodDescriptor<InputStream, RespT> raw = method.toBuilder(AS_RECEIVED, method.getResponseMarshaller()).build();
        ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
        return ServerMethodDefinition.create(raw, (call, headers) -> {
            ParsingCall<ReqT, RespT> typed = new ParsingCall<>(call, method);
            return new ParsingListener<>(handler.startCall(typed, headers), typed, method, this);
        });
    }

    /** Counts a refusal and logs one line if the interval since the last line has passed. */
    void report(String method, String problem) {
        long count = refused.incrementAndGet();
        long now = System.nanoTime();
        long due = nextReport.get();
        if (now - due >= 0 && nextReport.compareAndSet(due, now + REPORT_INTERVAL_NANOS)) {
            refused.addAndGet(-count);
            log.warn("Refused {} malformed request(s) as INVALID_ARGUMENT (at most one line per {} s); latest: {}: {}",
                    count, REPORT_INTERVAL_NANOS / 1_000_000_000L, method, problem);
        }
    }

    /**
     * The call as the inner handler sees it: the method with its real request type. It closes once:
     * a refused request and the auth check that finishes later on another thread may both end it.
     */
    private static final class ParsingCall<ReqT, RespT> extends CloseOnceCall<ReqT, RespT> {

        private final MethodDescriptor<ReqT, RespT> method;

        @SuppressWarnings("unchecked")
        ParsingCall(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method) {
            // Only getMethodDescriptor involves the request type, and it is overridden below.
            super((ServerCall<ReqT, RespT>) (ServerCall<?, RespT>) call);
            this.method = method;
        }

        @Override
        public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
            return method;
        }

        void refuse(StatusRuntimeException status) {
            closeWith(status);
        }
    }

    /**
     * Parses each message; after a failure the call is closed, so the inner listener gets no more
     * messages, and the transport's completion reaches it as a cancel (it never answered).
     */
    private static final class ParsingListener<ReqT, RespT>
            extends ForwardingServerCallListener.SimpleForwardingServerCallListener<InputStream> {

        private final ServerCall.Listener<ReqT> inner;
        private final ParsingCall<ReqT, RespT> call;
        private final MethodDescriptor<ReqT, RespT> method;
        private final ParseGuard guard;
        private boolean refused;

        @SuppressWarnings("unchecked")
        ParsingListener(ServerCall.Listener<ReqT> inner, ParsingCall<ReqT, RespT> call, MethodDescriptor<ReqT, RespT> method,
                        ParseGuard guard) {
            super((ServerCall.Listener<InputStream>) (ServerCall.Listener<?>) inner); // all but onMessage forward as is
            this.inner = inner;
            this.call = call;
            this.method = method;
            this.guard = guard;
        }

        @Override
        public void onMessage(InputStream message) {
            if (refused) {
                return;
            }
            ReqT parsed;
            try {
                parsed = method.parseRequest(message);
            } catch (RuntimeException e) {
                refused = true;
                String problem = problem(e);
                guard.report(method.getFullMethodName(), problem);
                call.refuse(ErrorMapper.malformedRequest(method.getFullMethodName(), problem));
                return;
            }
            inner.onMessage(parsed);
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                inner.onHalfClose();
            }
        }

        @Override
        public void onComplete() {
            if (refused) {
                inner.onCancel();
            } else {
                inner.onComplete();
            }
        }

        /** The parser's own words (e.g. "Protocol message had invalid UTF-8."), never a stack trace. */
        private static String problem(Throwable error) {
            Throwable cause = error;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            String message = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
            message = message.replaceAll("\\s+", " ").trim();
            int sentence = message.indexOf(". ");
            if (sentence > 0) {
                message = message.substring(0, sentence + 1); // protobuf goes on about setRecursionLimit()
            }
            return message.length() > 200 ? message.substring(0, 200) + "..." : message;
        }
    }
}
