package dev.runplane.server;

import dev.runplane.server.core.auth.Authenticator;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Refusals and warnings at start-up, before the server listens. */
public final class StartupChecks {

    private static final Logger log = LoggerFactory.getLogger(StartupChecks.class);

    private StartupChecks() {
    }

    /**
     * A non-loopback bind while no API key exists would serve a network with no way to log in (or,
     * with --insecure, openly): refuse unless the operator said --insecure on purpose. Blocking is
     * fine here: this runs on the launcher's thread before any call is served.
     */
    static void refuseOpenNonLoopbackBind(ServerConfig config, OperationsConfig ops, Authenticator authenticator) {
        if (isLoopback(config.bind())) {
            return;
        }
        if (!ops.tls()) {
            log.warn("!!! Listening on {} WITHOUT TLS: API keys and data travel in clear text. "
                    + "Use --tls-cert/--tls-key, or bind 127.0.0.1 behind a TLS-terminating proxy. !!!", config.bind());
        }
        if (ops.insecure()) {
            log.warn("--insecure: while no API key exists, every caller on the network may call every RPC");
            return;
        }
        if (!Boolean.TRUE.equals(authenticator.keysExist().block())) {
            throw new StartupRefusedException("Refusing to listen on " + config.bind()
                    + ": no API key exists yet, so the server would be open to the network. "
                    + "Start it on loopback (--bind 127.0.0.1), create an admin key there with "
                    + "'runplane keys create --server 127.0.0.1:PORT --scopes admin', then restart on " + config.bind()
                    + "; or pass --insecure (env RUNPLANE_INSECURE=true) if an open server is what you want.");
        }
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The server will not start as configured; the message says what to do. */
    public static final class StartupRefusedException extends RuntimeException {
        StartupRefusedException(String message) {
            super(message);
        }
    }
}
