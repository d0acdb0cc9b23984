package dev.runplane.server.store.events;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.ExecutionWatch;
import dev.runplane.server.core.WatchFilter;
import dev.runplane.server.core.WatchMessage;
import dev.runplane.server.core.error.WatcherTooSlowException;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.Transitioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshot's cap (10,000 in the server, lowered here through the package-private constructor):
 * past it the most recently created executions are sent and the end says truncated. And its time
 * limit: a client that stops taking the rows is ended, and lets its snapshot read go.
 */
class SnapshotCapTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static PostgresExecutionWatch watch(int cap) {
        return watch(cap, PostgresExecutionWatch.SNAPSHOT_TIME_LIMIT);
    }

    private static PostgresExecutionWatch watch(int cap, Duration timeLimit) {
        return new PostgresExecutionWatch(server.get().app().eventHub(), server.get().app().database().pool(),
                server.get().app().database().customPlans(), cap, timeLimit);
    }

    private static WatchFilter pipeline(String name) {
        return new WatchFilter(new SearchFilter(List.of(), List.of(name), List.of(), List.of(), Map.of(), null, null,
                SearchFilter.TimeRange.ANY, SearchFilter.TimeRange.ANY, SearchFilter.TimeRange.ANY, null, null));
    }

    /** The snapshot's messages, up to and including its end. */
    private static List<WatchMessage> snapshot(int cap, String pipeline) {
        return watch(cap).followExecutions(new ExecutionWatch.FilteredWatch(pipeline(pipeline), 0, true, null))
                .takeUntil(m -> m instanceof WatchMessage.SnapshotEnd)
                .collectList().block(Duration.ofSeconds(30));
    }

    private static List<UUID> createSome(String pipeline, int count) {
        Transitioner transitions = new Transitioner(server.get().app().database().pool());
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            created.add(transitions.create(pipeline, Map.of()).map(Execution::id).block());
        }
        return created;
    }

    private static List<UUID> rows(List<WatchMessage> messages) {
        return messages.stream().filter(m -> m instanceof WatchMessage.SnapshotRow)
                .map(m -> ((WatchMessage.SnapshotRow) m).execution().id()).toList();
    }

    @Test
    void pastTheCapTheMostRecentlyCreatedAreSentAndTheEndSaysTruncated() {
        List<UUID> created = createSome("capped", 5);
        List<WatchMessage> messages = snapshot(3, "capped");
        assertEquals(List.of(created.get(4), created.get(3), created.get(2)), rows(messages),
                "the three most recently created, most recent first");
        WatchMessage.SnapshotEnd end = (WatchMessage.SnapshotEnd) messages.get(messages.size() - 1);
        assertEquals(3, end.count());
        assertTrue(end.truncated());
        assertTrue(end.sequence() > 0, "a resume point: " + end.sequence());
    }

    @Test
    void atTheCapNothingIsTruncated() {
        List<UUID> created = createSome("exactly", 3);
        List<WatchMessage> messages = snapshot(3, "exactly");
        assertEquals(List.of(created.get(2), created.get(1), created.get(0)), rows(messages));
        WatchMessage.SnapshotEnd end = (WatchMessage.SnapshotEnd) messages.get(messages.size() - 1);
        assertEquals(3, end.count());
        assertFalse(end.truncated());
    }

    @Test
    void aClientThatStopsTakingTheRowsIsEndedAsTooSlow() throws Exception {
        createSome("stalled", 4);
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        List<WatchMessage> taken = new CopyOnWriteArrayList<>();
        watch(10, Duration.ofMillis(300))
                .followExecutions(new ExecutionWatch.FilteredWatch(pipeline("stalled"), 0, true, null))
                .subscribe(new BaseSubscriber<>() {
                    @Override
                    protected void hookOnSubscribe(Subscription subscription) {
                        request(1); // one row, then nothing: a client that stopped reading
                    }

                    @Override
                    protected void hookOnNext(WatchMessage value) {
                        taken.add(value);
                    }

                    @Override
                    protected void hookOnError(Throwable error) {
                        ended.complete(error);
                    }
                });
        Throwable error = ended.get(30, TimeUnit.SECONDS);
        assertInstanceOf(WatcherTooSlowException.class, error);
        assertEquals("0", ((WatcherTooSlowException) error).metadata().get("after_sequence"),
                "no resume point before the snapshot's end");
        assertEquals(1, taken.size());
        // Its read is given back: the next snapshots are served (the gate has ExecutionSnapshots.CONCURRENT reads).
        for (int i = 0; i < ExecutionSnapshots.CONCURRENT + 1; i++) {
            assertEquals(4, rows(snapshot(10, "stalled")).size());
        }
    }

    @Test
    void aSnapshotWithoutMatchesEndsAtOnce() {
        List<WatchMessage> messages = snapshot(3, "nothing-here");
        assertEquals(1, messages.size());
        WatchMessage.SnapshotEnd end = (WatchMessage.SnapshotEnd) messages.get(0);
        assertEquals(0, end.count());
        assertFalse(end.truncated());
    }
}
