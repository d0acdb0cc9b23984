package dev.runplane.server.http;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every RPC of every service that the server has, by path ({@code /package.Service/Method}), read
 * from the service descriptors: a new RPC or a new response field reaches HTTP with no change here.
 */
final class Rpcs {

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final Map<String, Rpc> byPath;

    private Rpcs(Map<String, Rpc> byPath) {
        this.byPath = byPath;
    }

    /** The RPCs of these services; a method without a protobuf schema (none today) is left out. */
    static Rpcs of(List<ServerServiceDefinition> services) {
        Map<String, Rpc> byPath = new LinkedHashMap<>();
        for (ServerServiceDefinition service : services) {
            for (ServerMethodDefinition<?, ?> definition : service.getMethods()) {
                MethodDescriptor<?, ?> method = definition.getMethodDescriptor();
                if (!(method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier)) {
                    continue;
                }
                Descriptors.MethodDescriptor schema = supplier.getMethodDescriptor();
                MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(method.getType()).setFullMethodName(method.getFullMethodName())
                        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES)
                        .setSchemaDescriptor(method.getSchemaDescriptor()).build();
                String path = "/" + method.getFullMethodName();
                byPath.put(path, new Rpc(path, method.getType(), schema, raw));
            }
        }
        return new Rpcs(Map.copyOf(byPath));
    }

    Optional<Rpc> at(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** The RPC of this full name ({@code package.Service/Method}). */
    Rpc named(String fullMethodName) {
        Rpc rpc = byPath.get("/" + fullMethodName);
        if (rpc == null) {
            throw new IllegalStateException("the server has no RPC " + fullMethodName);
        }
        return rpc;
    }
}
