package dev.runplane.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The dashboard's files, from a class-path folder (in the jar: no build step, no CDN), with the
 * security headers of a page that runs no inline script and may not be framed. Only names of the
 * known file types are served (so a folder is never listed); anything else is 404. A file is read
 * once, off the event loop, and kept.
 */
final class StaticFiles {

    /**
     * The page's policy: everything from this origin only, no inline script or style, no plugins, not
     * framed, forms only to itself.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("woff2", "font/woff2"));
    /** Path segments of letters, digits, dot, dash and underscore, not starting with a dot. */
    private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+");

    private final String root;
    private final ClassLoader loader;
    private final Map<String, Optional<byte[]>> cache = new ConcurrentHashMap<>();

    StaticFiles(String root) {
        this.root = root;
        this.loader = StaticFiles.class.getClassLoader();
    }

    Mono<Void> handle(Incoming in, HttpServerResponse response) {
        HttpMethod method = in.request().method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return Answers.plain(response, HttpResponseStatus.NOT_FOUND, "not found: " + in.path());
        }
        String path = in.path().equals("/") ? "/index.html" : in.path();
        String type = SAFE_PATH.matcher(path).matches() ? TYPES.get(extension(path)) : null;
        if (type == null) {
            return Answers.plain(response, HttpResponseStatus.NOT_FOUND, "not found: " + in.path());
        }
        return read(path).flatMap(file -> {
            if (file.isEmpty()) {
                return Answers.plain(response, HttpResponseStatus.NOT_FOUND, "not found: " + in.path());
            }
            byte[] body = file.get();
            securityHeaders(response);
            response.status(200).header(HttpHeaderNames.CONTENT_TYPE, type)
                    .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                    // The jar's files change only with a new jar: revalidate, never serve a stale page.
                    .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            return method.equals(HttpMethod.HEAD) ? response.send().then()
                    : response.sendByteArray(Mono.just(body)).then();
        });
    }

    static void securityHeaders(HttpServerResponse response) {
        response.header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("X-Frame-Options", "DENY")
                .header("Cross-Origin-Opener-Policy", "same-origin");
    }

    private Mono<Optional<byte[]>> read(String path) {
        Optional<byte[]> cached = cache.get(path);
        if (cached != null) {
            return Mono.just(cached);
        }
        // Only files found are kept: a miss kept too would let a client fill the map with made-up paths.
        return Mono.fromCallable(() -> {
            Optional<byte[]> file = load(path);
            file.ifPresent(body -> cache.putIfAbsent(path, file));
            return file;
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private Optional<byte[]> load(String path) {
        try (InputStream in = loader.getResourceAsStream(root + path.substring(1))) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String extension(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(dot + 1);
    }
}
