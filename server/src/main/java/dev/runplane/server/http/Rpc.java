package dev.runplane.server.http;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;

/**
 * One RPC as the HTTP face sees it: its path, its kind, its schema (for JSON), and a descriptor that
 * carries the serialized messages as bytes across the in-process hop (the server parses them as a gRPC
 * request, with the same guard and limits).
 */
record Rpc(String path, MethodDescriptor.MethodType type, Descriptors.MethodDescriptor schema,
           MethodDescriptor<byte[], byte[]> raw) {

    boolean unary() {
        return type == MethodDescriptor.MethodType.UNARY;
    }

    boolean serverStreaming() {
        return type == MethodDescriptor.MethodType.SERVER_STREAMING;
    }

    String fullName() {
        return raw.getFullMethodName();
    }
}
