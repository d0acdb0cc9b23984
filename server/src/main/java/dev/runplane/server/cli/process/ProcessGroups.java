package dev.runplane.server.cli.process;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Makes a worker's scripts die with it, whatever kills it (SIGKILL included), and lets a stop reach
 * a script's children too.
 * <ul>
 * <li>Each script runs in a process group of its own ({@code setsid}), so one signal reaches it
 *     and everything it started; a terminal's Ctrl-C reaches only the worker, which drains.</li>
 * <li>A watchdog ({@code sh}, one per worker) holds the list of running groups and reads its stdin
 *     from this JVM. However the JVM dies, the kernel closes that pipe: the watchdog reads end of
 *     file, SIGKILLs every group still listed, and exits. It also sends the stop signals, since Java
 *     cannot signal a group.</li>
 * <li>{@code setpriv --pdeathsig KILL} is a second line for the script itself, in case the watchdog
 *     was killed too. It follows the thread that started the process, so scripts must be started
 *     from long-lived threads (the worker library's slots are).</li>
 * </ul>
 * Without {@code setsid} or {@code sh} (not Linux, or a bare image) scripts run as before — signals
 * to the script and its descendants, nothing when the worker is killed — and {@link #warning()}
 * says so, once, at start.
 */
final class ProcessGroups implements AutoCloseable {

    private static final System.Logger log = System.getLogger(ProcessGroups.class.getName());

    /**
     * The watchdog. Lines "add PGID", "remove PGID", "TERM PGID", "KILL PGID"; at end of file (or a
     * SIGTERM of its own) it kills every group still added. It ignores INT and HUP, which a terminal
     * sends to the worker's whole foreground group.
     */
    static final String WATCHDOG = """
            groups=""
            killall() { for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done; exit 0; }
            trap '' INT HUP
            trap killall TERM
            while read -r op pgid; do
              case "$op" in
                add) groups="$groups $pgid" ;;
                remove) rest=""; for g in $groups; do [ "$g" = "$pgid" ] || rest="$rest $g"; done; groups="$rest" ;;
                TERM|KILL) kill -s "$op" -- "-$pgid" 2>/dev/null ;;
              esac
            done
            killall
            """;

    private final List<String> prefix;
    private final String warning;
    /** The watchdog's stdin, or null without one. */
    private final OutputStream orders;

    private ProcessGroups(List<String> prefix, String warning, Process watchdog) {
        this.prefix = List.copyOf(prefix);
        this.warning = warning;
        this.orders = watchdog == null ? null : watchdog.getOutputStream();
    }

    /** Finds the tools on the PATH and starts the watchdog; falls back (with a warning) if they are missing. */
    static ProcessGroups start() {
        return start(System.getenv().getOrDefault("PATH", ""));
    }

    static ProcessGroups start(String path) {
        Optional<Path> setsid = find(path, "setsid");
        Optional<Path> sh = find(path, "sh");
        if (setsid.isEmpty() || sh.isEmpty()) {
            return new ProcessGroups(List.of(), "setsid or sh is not on the PATH: a script's children are not "
                    + "stopped with it, and scripts outlive a worker that is killed (SIGKILL)", null);
        }
        Process watchdog;
        try {
            // setsid: out of the worker's own process group, so that nothing aimed at it reaches the watchdog.
            watchdog = new ProcessBuilder(setsid.get().toString(), sh.get().toString(), "-c", WATCHDOG)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            return new ProcessGroups(List.of(), "cannot start the watchdog (" + e.getMessage() + "): scripts "
                    + "outlive a worker that is killed (SIGKILL)", null);
        }
        List<String> prefix = new ArrayList<>();
        Optional<Path> setpriv = find(path, "setpriv");
        setpriv.ifPresent(p -> prefix.addAll(List.of(p.toString(), "--pdeathsig", "KILL", "--")));
        // The script is not a group leader (it is in the JVM's group), so setsid execs it, no fork:
        // its pid is its process group's id.
        prefix.add(setsid.get().toString());
        return new ProcessGroups(prefix, null, watchdog);
    }

    /** Why scripts are not in groups of their own, or null if they are. */
    String warning() {
        return warning;
    }

    /** The command as it must be started. */
    List<String> command(List<String> command) {
        List<String> wrapped = new ArrayList<>(prefix);
        wrapped.addAll(command);
        return wrapped;
    }

    /** Call right after start: from now on the watchdog kills its group if this JVM dies. */
    void started(Process process) {
        order("add", process);
    }

    /** SIGTERM to the script and everything in its group. */
    void terminate(Process process) {
        if (!order("TERM", process)) {
            process.destroy();
        }
    }

    /** SIGKILL to the script and everything in its group. */
    void kill(Process process) {
        if (!order("KILL", process)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /**
     * Call once the script has exited: whatever it left running in its group is killed (an attempt
     * leaves nothing behind), and the group is forgotten.
     */
    void ended(Process process) {
        if (order("KILL", process)) {
            order("remove", process);
        }
    }

    /** Sends one order to the watchdog; false without one (or if it is gone), so that the caller falls back. */
    private synchronized boolean order(String op, Process process) {
        if (orders == null) {
            return false;
        }
        try {
            orders.write((op + " " + process.pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            orders.flush();
            return true;
        } catch (IOException e) {
            log.log(System.Logger.Level.WARNING, "the process-group watchdog is gone (" + e.getMessage()
                    + "): signalling the script directly");
            return false;
        }
    }

    /** Ends the watchdog: any group still running is killed. */
    @Override
    public synchronized void close() {
        if (orders == null) {
            return;
        }
        try {
            orders.close();
        } catch (IOException e) {
            // it is gone already
        }
    }

    private static Optional<Path> find(String path, String name) {
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
