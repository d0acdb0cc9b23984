package dev.runplane.server.cli;

import dev.runplane.server.Application;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.ServerConfig;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real launcher script (bin/runplane) on the jar that this build packaged: an *IT class, which
 * the build runs after {@code package} (server/pom.xml), so the jar is never stale. Run alone with
 * {@code mvn -o -pl server -am verify -Dtest=none -Dit.test=LauncherIT -Dsurefire.failIfNoSpecifiedTests=false}
 * (not {@code -Dtest=LauncherIT}, which runs it before {@code package}: it then fails on the stale jar).
 */
class LauncherIT {

    private static final Pattern LISTENING = Pattern.compile("Runplane listening on [^:]+:(\\d+)");

    private static Path root;
    private static Path launcher;

    @BeforeAll
    static void findTheJar() throws IOException {
        root = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent(); // surefire runs in server/
        launcher = root.resolve("bin/runplane");
        Path jar = root.resolve("server/target/runplane.jar");
        assumeTrue(Files.isRegularFile(jar), "server/target/runplane.jar is built by mvn package (verify runs this test after it)");
        // A jar older than the classes would test yesterday's code: refuse it loudly.
        FileTime built = Files.getLastModifiedTime(jar);
        try (Stream<Path> classes = Files.walk(root.resolve("server/target/classes"))) {
            List<Path> newer = classes.filter(Files::isRegularFile)
                    .filter(f -> readTime(f).compareTo(built) > 0).limit(3).toList();
            assertTrue(newer.isEmpty(), "server/target/runplane.jar is older than " + newer
                    + ": run this test through mvn verify, which packages the jar first");
        }
    }

    private static FileTime readTime(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A process of the launcher (or a shell line) in {@code dir}, output to {@code log}. */
    private static Process start(Path dir, Path log, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("RUNPLANE_"));
        builder.environment().put("PATH", root.resolve("bin") + ":" + System.getenv("PATH"));
        builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString()); // the launcher's archive
        builder.environment().putAll(env);
        return builder.start();
    }

    private record Finished(int code, String output) {
    }

    private static Finished run(Path dir, Map<String, String> env, String... command) throws Exception {
        Path log = Files.createTempFile(dir, "out", ".log");
        Process process = start(dir, log, env, command);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished: " + String.join(" ", command));
        return new Finished(process.exitValue(), Files.readString(log));
    }

    /** Stops a process and everything it started (bash, then the java it ran). */
    private static void stop(Process process) throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : all) {
            handle.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    private static int awaitPort(Process process, Path log) throws InterruptedException {
        Eventually.await(Duration.ofSeconds(90), "the server says its port", () -> {
            if (!process.isAlive()) {
                throw new AssertionError("server exited: " + Files.readString(log));
            }
            return LISTENING.matcher(Files.readString(log)).find();
        });
        Matcher m = LISTENING.matcher(readQuietly(log));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The README's quick start, its lines as written: terminal 1 (the server), terminal 2 (a Python
     * script as a worker), terminal 3 ({@code runplane run nightly -i day=2026-11-22 --wait}), which
     * must print the outputs. Its first lines (build the jar, put bin/ on PATH) are what this build
     * and {@link #start} did; the server gets a free port and a test database through the environment
     * (RUNPLANE_PORT, RUNPLANE_DATABASE_URL), which the lines themselves do not set.
     */
    @Test
    void theReadmeQuickStartRunsAsWritten(@TempDir Path dir) throws Exception {
        Map<String, List<String>> terminals = quickStart(Files.readString(root.resolve("README.md")));
        assertEquals(List.of("mvn -q -DskipTests package", "export PATH=\"$PWD/bin:$PATH\""), terminals.get("once"),
                "the set-up lines that this test stands in for");
        Process server = null;
        Process worker = null;
        try {
            Path serverLog = dir.resolve("server.log");
            server = start(dir, serverLog, Map.of("RUNPLANE_PORT", "0",
                    "RUNPLANE_DATABASE_URL", TestPostgres.url(TestPostgres.newDatabase())),
                    "bash", "-euo", "pipefail", "-c", String.join("\n", terminals.get("terminal 1")));
            Map<String, String> client = Map.of("RUNPLANE_SERVER", "127.0.0.1:" + awaitPort(server, serverLog));
            Path workerLog = dir.resolve("worker.log");
            worker = start(dir, workerLog, client, "bash", "-euo", "pipefail", "-c",
                    String.join("\n", terminals.get("terminal 2")));
            Finished result = run(dir, client, "bash", "-euo", "pipefail", "-c",
                    String.join("\n", terminals.get("terminal 3")));
            assertEquals(0, result.code(), result.output() + "\nworker: " + readQuietly(workerLog));
            assertTrue(Pattern.compile("(?m)^status +SUCCEEDED$").matcher(result.output()).find(), result.output());
            assertTrue(Pattern.compile("(?m)^outputs +\\{\"greeting\":\"hello 2026-11-22\"}$").matcher(result.output())
                    .find(), result.output());
        } finally {
            stop(worker);
            stop(server);
        }
    }

    /** The quick start's sh block, as lines under each "# terminal N" comment ("once" before the first). */
    static Map<String, List<String>> quickStart(String readme) {
        int section = readme.indexOf("## Quick start");
        assertTrue(section >= 0, "README has a quick start");
        int open = readme.indexOf("```sh\n", section) + "```sh\n".length();
        String block = readme.substring(open, readme.indexOf("\n```", open));
        Map<String, List<String>> terminals = new HashMap<>();
        String current = null;
        for (String line : block.split("\n")) {
            Matcher heading = Pattern.compile("# (once|terminal \\d)\\b.*").matcher(line);
            if (heading.matches()) {
                current = heading.group(1);
                terminals.put(current, new ArrayList<>());
            } else if (current != null && !line.isBlank()) {
                terminals.get(current).add(line);
            }
        }
        assertEquals(List.of("runplane run nightly -i day=2026-11-22 --wait"), terminals.get("terminal 3"));
        return terminals;
    }

    /**
     * {@code runplane get ID} through the script: the first short command of a build records a
     * class-data archive in the cache, the next ones use it; JAVA_OPTS reach the JVM; the exit
     * codes are the command's.
     */
    @Test
    void theLauncherRunsShortCommandsWithAClassDataArchive(@TempDir Path dir) throws Exception {
        ServerConfig config = ServerConfig.defaults().withDatabaseUrl(TestPostgres.url(TestPostgres.newDatabase()))
                .withPort(0);
        Application app = Application.start(config, OperationsConfig.defaults());
        try {
            Map<String, String> env = Map.of("RUNPLANE_SERVER", "127.0.0.1:" + app.port(),
                    "JAVA_OPTS", "-Duser.name=launcher-test");
            Finished run = run(dir, env, launcher.toString(), "run", "idle", "-o", "jsonl");
            assertEquals(0, run.code(), run.output());
            assertTrue(run.output().contains("\"actor\":\"launcher-test\""), "JAVA_OPTS reached the JVM: " + run.output());
            String id = run.output().replaceAll("(?s).*?\"id\":\"([^\"]+)\".*", "$1");
            List<Path> archives;
            try (Stream<Path> files = Files.list(dir.resolve("cache/runplane"))) {
                archives = files.toList();
            }
            assertEquals(1, archives.size(), archives.toString());
            assertTrue(archives.get(0).getFileName().toString().matches("cli-\\d+-\\d+\\.jsa"), archives.toString());
            Finished get = run(dir, env, launcher.toString(), "get", id);
            assertEquals(0, get.code(), get.output());
            assertTrue(Pattern.compile("(?m)^status +QUEUED$").matcher(get.output()).find(), get.output());
            assertTrue(Pattern.compile("(?m)^id +" + id + "$").matcher(get.output()).find(), get.output());
            // What keeps it short: no class of the server itself (only cli and what gRPC needs) is loaded.
            Path loaded = dir.resolve("classes.txt");
            Finished traced = run(dir, Map.of("RUNPLANE_SERVER", "127.0.0.1:" + app.port(),
                    "JAVA_OPTS", "-Xlog:class+load:file=" + loaded), launcher.toString(), "get", id);
            assertEquals(0, traced.code(), traced.output());
            List<String> serverClasses = Files.readAllLines(loaded).stream()
                    .filter(line -> line.matches(".* dev\\.runplane\\.server\\.(?!cli\\.).*")).toList();
            assertEquals(List.of(), serverClasses, "a client command loads none of the server's classes");
            assertTrue(Files.readString(loaded).contains("dev.runplane.server.cli.client.GetCommand"));
            Finished missing = run(dir, env, launcher.toString(), "get", "01a24305-6360-7052-ac61-ced1f2fb4fae");
            assertEquals(1, missing.code(), missing.output());
            assertTrue(missing.output().startsWith("error: NOT_FOUND: "), missing.output());
            assertEquals(2, run(dir, env, launcher.toString(), "get").code());
            Finished version = run(dir, env, launcher.toString(), "--version");
            assertEquals(0, version.code());
            assertEquals(Main.VERSION, version.output().strip());
        } finally {
            app.close();
        }
    }
}
