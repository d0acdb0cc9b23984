package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.v1.CancelRequest;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.RunRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSE on WatchExecutions, resumed with Last-Event-ID as EventSource does it, while 16 writers change
 * executions: across every reconnect, each execution's events arrive once each, in revision order,
 * exactly the ones its history (ListExecutionEvents) holds.
 */
class SseResumeTest {

    private static final String METHOD = "runplane.v1.ExecutionService/WatchExecutions";
    private static final int WRITERS = 16;
    private static final int EXECUTIONS_PER_WRITER = 8;
    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();

    @Test
    void resumedSeveralTimesUnder16WritersNothingIsLostOrRepeated() throws Exception {
        String request = "{\"filter\":{\"pipelines\":[\"sse-resume\"]}}";
        List<SseClient.Event> received = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> readerFailed = new AtomicReference<>();
        AtomicInteger reconnects = new AtomicInteger();
        AtomicReference<SseClient> current = new AtomicReference<>(SseClient.open(server.http(), METHOD, request));
        assertEquals(200, current.get().response().statusCode());
        server.awaitWatchers(1); // from now: the writers start once the stream is there
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
        Future<?> reader = pool.submit(() -> {
            try {
                int untilReconnect = 25;
                String lastId = null;
                while (!Thread.currentThread().isInterrupted()) {
                    SseClient.Event event = current.get().next();
                    if (event == null) {
                        throw new AssertionError("the stream ended");
                    }
                    received.add(event);
                    if (event.id() != null) {
                        lastId = event.id();
                    }
                    if (--untilReconnect == 0 && lastId != null) {
                        // As EventSource after a dropped connection: the same request, and Last-Event-ID.
                        current.get().close();
                        current.set(SseClient.open(server.http(), METHOD, request, "Last-Event-ID", lastId));
                        reconnects.incrementAndGet();
                        untilReconnect = 20 + reconnects.get() * 7;
                    }
                }
            } catch (Throwable e) {
                readerFailed.set(e);
            }
        });
        Set<String> ids = ConcurrentHashMap.newKeySet();
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(pool.submit(() -> {
                for (int i = 0; i < EXECUTIONS_PER_WRITER; i++) {
                    String id = server.executions().run(RunRequest.newBuilder().setPipeline("sse-resume")
                            .putLabels("writer", "w").build()).getExecution().getId();
                    ids.add(id);
                    server.executions().cancel(CancelRequest.newBuilder().setId(id).setReason("sse").build());
                }
                return null;
            }));
        }
        for (Future<?> writer : writers) {
            writer.get(60, TimeUnit.SECONDS);
        }
        Map<String, List<Long>> history = new ConcurrentHashMap<>();
        for (String id : ids) {
            history.put(id, server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(id)
                    .build()).getEventsList().stream().map(ExecutionEvent::getRevision).toList());
        }
        int expected = history.values().stream().mapToInt(List::size).sum();
        Eventually.await(Duration.ofSeconds(30), "every event of the log over SSE", () -> readerFailed.get() != null
                || received.stream().filter(e -> e.name().equals("event")).count() >= expected);
        Throwable failure = readerFailed.get(); // before the stream is closed under the reader's feet
        reader.cancel(true);
        current.get().close();
        pool.shutdownNow();
        assertNull(failure, () -> "the reader failed: " + failure);
        assertTrue(reconnects.get() >= 3, "reconnected " + reconnects.get() + " times");

        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Set<String> sseIds = new HashSet<>();
        for (SseClient.Event event : received) {
            assertEquals("event", event.name(), "only events on this stream: " + event);
            JsonObject data = JsonParser.parseString(event.data()).getAsJsonObject().getAsJsonObject("event");
            assertNotNull(event.id(), "every event has its resume point");
            assertEquals(data.get("sequence").getAsString(), event.id(), "id: is the sequence");
            assertTrue(sseIds.add(event.id()), "a repeated event: " + event);
            seen.computeIfAbsent(data.get("executionId").getAsString(), k -> new ArrayList<>())
                    .add(data.get("revision").getAsLong());
        }
        assertEquals(history, seen, "per execution, the revisions of the log, each once, in order");
        assertEquals(WRITERS * EXECUTIONS_PER_WRITER, seen.size());
    }
}
