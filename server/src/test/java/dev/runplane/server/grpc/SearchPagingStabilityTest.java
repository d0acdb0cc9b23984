package dev.runplane.server.grpc;

import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keyset pages stay stable under concurrent inserts: while another task keeps running new
 * executions of the same pipeline (with every priority, so that they land in the middle of a
 * priority order too), paging to the end returns every row that existed at the start exactly once.
 */
class SearchPagingStabilityTest {

    private static final int EXISTING = 300;

    private static TestServer server;
    private static Set<String> existing;

    @BeforeAll
    static void load() {
        server = TestServer.start();
        existing = new HashSet<>();
        for (int i = 0; i < EXISTING; i++) {
            existing.add(server.executions().run(RunRequest.newBuilder().setPipeline("stable")
                    .setPriority(i % 21 - 10).putLabels("batch", "first").build()).getExecution().getId());
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"create_time desc", "create_time asc", "priority desc", "priority asc"})
    void pagingWhileInsertingReturnsEveryExistingRowOnce(String orderBy) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger inserted = new AtomicInteger();
        ExecutorService inserter = Executors.newSingleThreadExecutor();
        Future<?> inserting = inserter.submit(() -> {
            int i = 0;
            while (!stop.get()) {
                // A new stub per call: each carries its own deadline.
                server.executions().run(RunRequest.newBuilder().setPipeline("stable").setPriority(i++ % 21 - 10)
                        .build());
                inserted.incrementAndGet();
            }
        });
        try {
            // Let the inserter get going before the first page.
            awaitAtLeast(inserted, 5, inserting);
            List<String> seen = new ArrayList<>();
            Set<String> seenOnce = new HashSet<>();
            String token = "";
            do {
                SearchResponse page = server.executions().search(SearchRequest.newBuilder()
                        .setFilter(ExecutionFilter.newBuilder().addPipelines("stable")).setOrderBy(orderBy)
                        .setPageSize(17).setPageToken(token).build());
                page.getExecutionsList().stream().map(Execution::getId).forEach(seen::add);
                seenOnce.addAll(seen.subList(seen.size() - page.getExecutionsCount(), seen.size()));
                token = page.getNextPageToken();
                if (!stop.get()) {
                    if (seenOnce.containsAll(existing)) {
                        // Past every earlier row: stop inserting, or an ascending scan could chase
                        // the inserter's tail forever. Then read on to the end.
                        stop.set(true);
                        inserting.get(30, TimeUnit.SECONDS);
                    } else {
                        // Every page boundary sees new rows committed before the next page is read.
                        awaitAtLeast(inserted, inserted.get() + 1, inserting);
                    }
                }
            } while (!token.isEmpty());

            assertEquals(seen.size(), new HashSet<>(seen).size(), "no row twice");
            assertTrue(seen.containsAll(existing), "every row that existed at the start");
        } finally {
            stop.set(true);
            inserting.get(30, TimeUnit.SECONDS);
            inserter.shutdown();
        }
    }

    private static void awaitAtLeast(AtomicInteger counter, int count, Future<?> inserting) throws Exception {
        // Up to 20 s, or until the inserter stops (then at once, with what stopped it).
        Eventually.within(Duration.ofSeconds(20), () -> counter.get() >= count || inserting.isDone());
        if (counter.get() < count && inserting.isDone()) {
            inserting.get(); // throws what stopped the inserter
        }
        assertTrue(counter.get() >= count, "the inserter made no progress");
    }
}
