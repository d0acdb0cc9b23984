package dev.runplane.server.testing;

import dev.runplane.server.cli.Main;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The launcher ({@link Main}) in a JVM of its own, as users run it, for tests that send it signals
 * (SIGTERM, SIGKILL) or read what it prints. Its output goes to a log file, so it never blocks on a
 * full pipe. Its class path leaves out the test classes, so it logs with the product's settings
 * (server/src/main/resources/simplelogger.properties), not the tests' quieter ones.
 */
public final class ServerProcess {

    private static final Pattern LISTENING = Pattern.compile("Runplane listening on [^:]+:(\\d+)");

    private final Process process;
    private final Path log;

    private ServerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code java -cp <test class path> Main args...}, logging to {@code log}. */
    public static ServerProcess start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /** Starts {@code java <jvmOptions> -cp <test class path> Main args...} (a log level, say). */
    public static ServerProcess start(Path log, List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", productClassPath(), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Tests never take the HTTP face's default port 8080, so parallel servers never collide.
        builder.environment().putIfAbsent("RUNPLANE_HTTP_PORT", "0");
        Process process = builder.start();
        return new ServerProcess(process, log);
    }

    /** This JVM's class path without the test classes' directory (target/test-classes). */
    private static String productClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** Waits (60 s at most) until the server says which port it listens on. */
    public int awaitPort() throws InterruptedException {
        boolean said = Eventually.within(Duration.ofSeconds(60), () -> {
            if (LISTENING.matcher(log()).find()) {
                return true;
            }
            if (!process.isAlive()) {
                throw new AssertionError("server exited: " + log());
            }
            return false;
        });
        Matcher m = LISTENING.matcher(log());
        if (!said || !m.find()) {
            throw new AssertionError("server did not start: " + log());
        }
        return Integer.parseInt(m.group(1));
    }

    private static final Pattern HTTP = Pattern.compile("HTTP API \\(Connect, SSE, webhooks\\) on (http\\S+/)");

    /** Waits (60 s at most) for the HTTP face's address in the start-up log. */
    public java.net.URI awaitHttp() throws InterruptedException {
        awaitPort();
        // Its own wait: the line comes after the gRPC one, which awaitPort may have seen alone.
        boolean said = Eventually.within(Duration.ofSeconds(60), () -> HTTP.matcher(log()).find()
                || !process.isAlive());
        Matcher m = HTTP.matcher(log());
        if (!said || !m.find()) {
            throw new AssertionError("no HTTP address in the log: " + log());
        }
        return java.net.URI.create(m.group(1));
    }

    /** What the server has printed so far. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Process process() {
        return process;
    }
}
