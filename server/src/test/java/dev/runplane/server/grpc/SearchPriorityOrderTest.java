package dev.runplane.server.grpc;

import com.google.protobuf.util.Durations;
import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.PollResponse;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ties of a priority order follow the claim order (issue 17, item 16): among executions of one
 * priority, Search lists first the one that a worker claims first (queued longest, then by id),
 * in both directions, across pages, and after they were claimed.
 */
class SearchPriorityOrderTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    @Test
    void priorityTiesAreListedInTheOrderInWhichWorkersClaimThem() {
        for (int i = 0; i < 12; i++) {
            server.executions().run(RunRequest.newBuilder().setPipeline("ties").setPriority(i % 3).build());
        }
        List<String> highestFirst = search("priority desc");
        List<String> lowestFirst = search("priority asc");

        List<Execution> claimed = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            PollResponse poll = server.workers().poll(PollRequest.newBuilder().setWorkerId("w").addPipelines("ties")
                    .setMaxWait(Durations.fromSeconds(0)).build());
            assertEquals(1, poll.getAssignmentsCount(), "claim " + i);
            claimed.add(poll.getAssignments(0).getExecution());
        }
        List<String> claimOrder = claimed.stream().map(Execution::getId).toList();
        assertEquals(claimOrder, highestFirst, "priority desc lists executions in claim order");
        // Lowest priority first, and within a priority still the claim order (a stable sort of it).
        assertEquals(claimed.stream().sorted(Comparator.comparingInt(Execution::getPriority))
                .map(Execution::getId).toList(), lowestFirst);
        // Claimed (leased now, the other part of a search), they keep their places.
        assertEquals(highestFirst, search("priority desc"));
        assertEquals(lowestFirst, search("priority asc"));
    }

    @Test
    void aPriorityTokenFromBeforeTheClaimOrderIsRefused() throws Exception {
        for (int i = 0; i < 3; i++) {
            server.executions().run(RunRequest.newBuilder().setPipeline("old-token").setPriority(1).build());
        }
        SearchRequest first = SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder()
                .addPipelines("old-token")).setOrderBy("priority desc").setPageSize(1).build();
        Execution top = server.executions().search(first).getExecutions(0);
        // A token as the server issued them before: the priority and the id, without the queue time.
        String binding = SearchRequestValidator.binding(first, new SearchOrder(SearchOrder.Key.PRIORITY, true));
        String oldToken = new PageTokens(pageTokenKey()).encode(binding,
                new PageTokens.Cursor((long) top.getPriority(), UUID.fromString(top.getId())));
        StatusRuntimeException error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> server.executions().search(first.toBuilder().setPageToken(oldToken).build()));
        assertEquals(List.of("page_token"), Errors.violatedFields(error));
        assertTrue(error.getStatus().getDescription() != null, "says why");
    }

    /** Every page of the pipeline "ties" in that order, 5 at a time (so that tokens carry the ties). */
    private static List<String> search(String orderBy) {
        List<String> ids = new ArrayList<>();
        String token = "";
        do {
            SearchResponse page = server.executions().search(SearchRequest.newBuilder()
                    .setFilter(ExecutionFilter.newBuilder().addPipelines("ties")).setOrderBy(orderBy).setPageSize(5)
                    .setPageToken(token).build());
            page.getExecutionsList().forEach(e -> ids.add(e.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return ids;
    }

    private static byte[] pageTokenKey() throws Exception {
        try (Connection c = TestPostgres.jdbc(server.database()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT key FROM page_token_keys WHERE id = 1")) {
            r.next();
            return r.getBytes(1);
        }
    }
}
