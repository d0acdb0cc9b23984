package dev.runplane.server.grpc.auth;

import dev.runplane.server.core.Actors;
import dev.runplane.server.core.auth.ApiKey;
import io.grpc.Context;

/**
 * Who is calling, in the form the history records as an event's actor ({@link Actors}): the
 * {@link AuthInterceptor} puts it in the call's Context, and a service method reads it there, on the
 * gRPC thread, before anything moves to Reactor's threads (where the Context is not visible).
 */
public final class Callers {

    /** The actor of the current call; set by {@link AuthInterceptor} for every call that it lets pass. */
    static final Context.Key<String> ACTOR = Context.key("runplane-actor");

    private Callers() {
    }

    /** {@code key:<key id>} for a call with a key; otherwise where the keyless call came from. */
    static String actor(ApiKey key, boolean local) {
        if (key != null) {
            return Actors.key(key.id());
        }
        return local ? Actors.LOOPBACK : Actors.ANONYMOUS;
    }

    /** The current call's actor. Read it in the service method itself, on the gRPC thread. */
    public static String current() {
        String actor = ACTOR.get();
        // Every Runplane server has the interceptor in front; a call that did not pass it is nobody's.
        return actor != null ? actor : Actors.ANONYMOUS;
    }
}
