package dev.runplane.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/** OS processes as /proc shows them, for tests that check what outlives what. */
public final class Processes {

    private Processes() {
    }

    /**
     * True while {@code pid} runs. A zombie (state Z: dead, waiting to be reaped by a parent that may
     * never do it, such as a container's init) counts as gone.
     */
    public static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": the state follows the last ')', since comm may hold any character.
            String afterName = stat.substring(stat.lastIndexOf(')') + 1).strip();
            return !afterName.startsWith("Z") && !afterName.startsWith("X");
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false; // it went away while we read it
        }
    }

    /** Waits until {@code pid} is gone; false if it still runs at the deadline. */
    public static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
        return Eventually.within(timeout, () -> !alive(pid));
    }
}
