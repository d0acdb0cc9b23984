package dev.runplane.server.cli.process;

import dev.runplane.server.testing.Processes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripts in process groups of their own, and the fallback where the tools are missing. */
class ProcessGroupsTest {

    /** The process group of a running process, from /proc/PID/stat (the field after ppid). */
    private static long processGroup(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[2]);
    }

    @Test
    void aScriptLeadsItsOwnGroupAndATerminateReachesItsChildren() throws Exception {
        try (ProcessGroups groups = ProcessGroups.start()) {
            assertNull(groups.warning(), "setsid and sh are in this image");
            Process script = new ProcessBuilder(groups.command(List.of("sh", "-c", "sleep 600 & echo $!; wait")))
                    .redirectErrorStream(true).start();
            groups.started(script);
            long child = Long.parseLong(new BufferedReader(new InputStreamReader(script.getInputStream(),
                    StandardCharsets.UTF_8)).readLine().strip());
            try {
                assertEquals(script.pid(), processGroup(script.pid()), "the script leads its group");
                assertEquals(script.pid(), processGroup(child), "its child is in that group");
                groups.terminate(script);
                assertTrue(Processes.awaitGone(child, Duration.ofSeconds(5)), "SIGTERM reached the child");
                assertTrue(Processes.awaitGone(script.pid(), Duration.ofSeconds(5)), "and the script");
            } finally {
                groups.ended(script);
                ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
                script.destroyForcibly();
            }
        }
    }

    @Test
    void withoutSetsidScriptsRunAsTheyAreAndTheWarningSaysWhatIsLost() throws Exception {
        try (ProcessGroups groups = ProcessGroups.start("/nonexistent")) {
            assertTrue(groups.warning().contains("setsid"), groups.warning());
            assertTrue(groups.warning().contains("outlive a worker that is killed"), groups.warning());
            assertEquals(List.of("sleep", "600"), groups.command(List.of("sleep", "600")));
            Process script = new ProcessBuilder("/bin/sleep", "600").start();
            groups.started(script);
            groups.kill(script); // falls back to signalling the process itself
            assertTrue(Processes.awaitGone(script.pid(), Duration.ofSeconds(5)));
            groups.ended(script);
        }
    }
}
