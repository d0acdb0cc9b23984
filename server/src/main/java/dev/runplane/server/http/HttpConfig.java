package dev.runplane.server.http;

import java.util.List;

/**
 * The HTTP face's settings (issue 20): its port, the origins that CORS lets in, and the class-path
 * folder of the static files.
 *
 * @param port null: no HTTP port; 0 picks a free one
 * @param corsOrigins the only origins that get CORS headers (and preflight answers); empty: no CORS at all
 * @param staticRoot class-path folder of the static files served at {@code /} (the dashboard)
 */
public record HttpConfig(Integer port, List<String> corsOrigins, String staticRoot) {

    /** The folder that the jar's dashboard lives in. */
    public static final String DASHBOARD = "dashboard/";

    /** What tests get unless they ask: no HTTP port, so parallel servers never collide on 8080. */
    public static final HttpConfig OFF = new HttpConfig(null, List.of(), DASHBOARD);

    public HttpConfig {
        corsOrigins = List.copyOf(corsOrigins);
        if (!staticRoot.endsWith("/")) {
            staticRoot = staticRoot + "/";
        }
    }

    /** The HTTP face on this port (0: a free one), no CORS, the dashboard. */
    public static HttpConfig onPort(int port) {
        return new HttpConfig(port, List.of(), DASHBOARD);
    }

    public boolean enabled() {
        return port != null;
    }

    public HttpConfig withCorsOrigins(List<String> origins) {
        return new HttpConfig(port, origins, staticRoot);
    }

    public HttpConfig withStaticRoot(String root) {
        return new HttpConfig(port, corsOrigins, root);
    }

    /**
     * The value of {@code --http-port}: a port number, 0, or {@code off}.
     *
     * @throws IllegalArgumentException for anything else, with a message that says what is accepted
     */
    public static Integer parsePort(String text) {
        String value = text == null ? "" : text.trim();
        if (value.equalsIgnoreCase("off")) {
            return null;
        }
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("--http-port takes a port (0 to 65535; 0 picks a free one) or 'off', not '"
                + text + "'");
    }
}
