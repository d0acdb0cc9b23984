package dev.runplane.server.testing;

import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;

/** Attaches an Authorization header to a stub, as any gRPC client would. */
public final class Keys {

    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private Keys() {
    }

    /** The stub sending {@code authorization: <value>}; a null value sends none. */
    public static <S extends AbstractStub<S>> S withAuthorization(S stub, String value) {
        if (value == null) {
            return stub;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, value);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** The stub sending {@code authorization: Bearer <token>}. */
    public static <S extends AbstractStub<S>> S withKey(S stub, String token) {
        return withAuthorization(stub, token == null ? null : "Bearer " + token);
    }
}
