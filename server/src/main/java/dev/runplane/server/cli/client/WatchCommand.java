package dev.runplane.server.cli.client;

import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code runplane watch ID} (one execution's progress until it ends) and {@code runplane watch
 * --pipeline P [filters]} (every change of a set of executions, live, until interrupted).
 */
@Command(name = "watch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"watch ID: show an execution's progress (status, current step, message, elapsed) until it "
                + "ends, redrawn in place on a terminal, a line per change elsewhere; the exit code says how it "
                + "ended, as for await.",
                "watch --pipeline P [filters]: print every change of the matching executions as it is committed, "
                + "starting with each one as it is now (when the server offers a snapshot), until Ctrl-C. A "
                + "stream that the server ends (a replica stopping, a reader too slow) resumes where it was, "
                + "without gaps or repeats. -o jsonl prints each WatchExecutions message ({\"snapshot\":...}, "
                + "{\"snapshotComplete\":...}, {\"event\":...}) as a line."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane watch 0b5e2f4c-...",
                "  runplane watch --pipeline nightly --status failed",
                "  runplane watch --pipeline nightly -l team=red -o jsonl | jq -c .event.toStatus"})
public final class WatchCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "The execution to follow.")
    String id;

    @Mixin
    FilterOptions filters;

    @Option(names = "--no-snapshot", description = "With filters: only changes from now on, not the current state first.")
    boolean noSnapshot;

    @Override
    public Integer call() {
        if (id != null && !filters.isEmpty()) {
            throw context.usage("watch ID follows one execution: filters go with watch --pipeline P (no ID)");
        }
        if (id == null && filters.isEmpty()) {
            throw context.usage("name an execution (watch ID) or a filter (watch --pipeline P)");
        }
        if (id != null) {
            return context.call(connection -> Progress.watch(context, connection, id, null));
        }
        return context.call(this::watchSet);
    }

    private int watchSet(Connection connection) throws InterruptedException {
        WatchExecutionsRequest.Builder request = WatchExecutionsRequest.newBuilder().setFilter(filters.toFilter())
                .setSnapshot(!noSnapshot);
        long after = 0;
        while (true) {
            boolean received = false;
            long started = System.nanoTime();
            try {
                Iterator<WatchExecutionsResponse> stream = connection.waiting().watchExecutions(request.build());
                while (stream.hasNext()) {
                    WatchExecutionsResponse message = stream.next();
                    received = true;
                    after = position(message, after);
                    show(message);
                }
                return ExitCodes.OK; // the server ended the stream without an error
            } catch (StatusRuntimeException e) {
                // Resumable as one execution's watch is, and only once there is a point to resume from.
                if (after == 0 || !Waiting.resumable(e, received, started)) {
                    throw e;
                }
                context.note("(the stream ended: " + e.getStatus().getCode() + "; resuming after sequence " + after + ")");
                // Resume from the last position seen: no snapshot again, nothing missed, nothing repeated.
                request.setSnapshot(false).setAfterSequence(after);
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }

    /** The resume point that a message carries, else the one before. */
    private static long position(WatchExecutionsResponse message, long after) {
        if (message.hasEvent()) {
            return message.getEvent().getSequence();
        }
        if (message.hasSnapshotComplete() && message.getSnapshotComplete().getSequence() > 0) {
            return message.getSnapshotComplete().getSequence();
        }
        if (message.hasHeartbeat() && message.getHeartbeat().getSequence() > 0) {
            return message.getHeartbeat().getSequence();
        }
        return after;
    }

    private void show(WatchExecutionsResponse message) {
        if (message.hasHeartbeat()) {
            return; // a sign of life: nothing to show
        }
        if (context.format() != Format.TABLE) {
            context.line(message); // a stream has no one document: a line per message in json too
            return;
        }
        if (message.hasEvent()) {
            context.out().println(Views.change(message.getEvent(), context.style()));
        } else if (message.hasSnapshot()) {
            context.out().println(Views.current(message.getSnapshot(), context.style()));
        } else if (message.hasSnapshotComplete()) {
            context.note("(" + message.getSnapshotComplete().getCount() + " executions as they are now"
                    + (message.getSnapshotComplete().getTruncated() ? ", the most recent only" : "")
                    + "; changes follow)");
        }
        context.out().flush();
    }
}
