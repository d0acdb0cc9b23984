package dev.runplane.server.grpc;

import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A corpus of hostile input in every Search field: each call answers either INVALID_ARGUMENT or
 * results, never INTERNAL or another code, and no answer leaks SQL. Free text that contains
 * tsquery operators or SQL is matched literally, as words.
 */
class HostileSearchInputTest {

    static final List<String> CORPUS = List.of(
            "'", "''", "\"", "\\", "'; DROP TABLE executions; --", "\"; DROP TABLE executions; --",
            "a & b", "a | b", "!a", "a:*", "a:B", "a <-> b", "(a", "a)", "&", "|", "!", ":", "*", "<->", "!!!&&&|||",
            "' OR '1'='1", "$1", "$$", "%", "_", "\u0000", "a\u0000b", "🙂 émoji ß", "\uFEFF", "\n\t\r",
            "x".repeat(10_000), "word ".repeat(2_000), "-", "--", "/* */", "null", "NULL", "undefined", "{}",
            "[]", "{\"a\":1}", "\\x00", "%00", "\u202Eevil");

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        server.executions().run(RunRequest.newBuilder().setPipeline("hostile").putLabels("note", "plain").build());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    @Test
    void everyFieldAnswersInvalidArgumentOrResults() throws Exception {
        List<Function<String, SearchRequest>> fields = List.of(
                s -> SearchRequest.newBuilder().setQuery(s).build(),
                s -> SearchRequest.newBuilder().setOrderBy(s).build(),
                s -> SearchRequest.newBuilder().setPageToken(s).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addIds(s)).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines(s)).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().putLabels("note", s)).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().putLabels(s, "v")).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().setParentId(s)).build(),
                s -> SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().setWorkerId(s)).build());
        int calls = 0;
        for (Function<String, SearchRequest> field : fields) {
            for (String hostile : CORPUS) {
                answersSafely(field.apply(hostile));
                calls++;
            }
        }
        for (String hostile : CORPUS) {
            try {
                server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder()
                        .setId(hostile).setPageToken(hostile).build());
                fail("a hostile id is never found");
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            }
        }
        assertEquals(fields.size() * CORPUS.size(), calls);
        try (Connection c = TestPostgres.jdbc(server.database()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM executions")) {
            assertTrue(r.next());
            assertTrue(r.getLong(1) >= 1, "the table is still there, with its rows");
        }
    }

    @Test
    void operatorsAndSqlInFreeTextMatchLiterally() {
        List<String> texts = List.of("a & b", "x | y", "!neg", "pre:*", "'; DROP TABLE executions; --",
                "quote's \"double\"", "(paren) <-> follow", "émoji 🙂 ünïcode");
        List<Execution> runs = new ArrayList<>();
        for (String text : texts) {
            runs.add(server.executions().run(RunRequest.newBuilder().setPipeline("literal").putLabels("note", text)
                    .build()).getExecution());
        }
        for (int i = 0; i < texts.size(); i++) {
            SearchResponse found = server.executions().search(SearchRequest.newBuilder()
                    .setFilter(ExecutionFilter.newBuilder().addPipelines("literal")).setQuery(texts.get(i)).build());
            assertTrue(found.getExecutionsList().stream().anyMatch(e -> e.getLabelsMap().get("note") != null),
                    "finds something for " + texts.get(i));
            String id = runs.get(i).getId();
            assertTrue(found.getExecutionsList().stream().anyMatch(e -> e.getId().equals(id)),
                    "the execution whose label is '" + texts.get(i) + "' matches its own text");
            // Label equality with the same hostile text is exact.
            SearchResponse exact = server.executions().search(SearchRequest.newBuilder()
                    .setFilter(ExecutionFilter.newBuilder().putLabels("note", texts.get(i))).build());
            assertEquals(List.of(id), exact.getExecutionsList().stream().map(Execution::getId).toList());
        }
        // "a & b" is the words a and b, not a tsquery: "a" alone (without b) does not match it.
        SearchResponse notNegated = server.executions().search(SearchRequest.newBuilder()
                .setFilter(ExecutionFilter.newBuilder().addPipelines("literal")).setQuery("!neg").build());
        assertEquals(1, notNegated.getExecutionsCount(), "'!neg' finds the execution with the word neg");
    }

    @Test
    void tamperedTokensAreInvalidArgument() {
        for (int i = 0; i < 5; i++) {
            server.executions().run(RunRequest.newBuilder().setPipeline("tokens").build());
        }
        SearchRequest first = SearchRequest.newBuilder().setFilter(ExecutionFilter.newBuilder().addPipelines("tokens"))
                .setPageSize(2).build();
        String token = server.executions().search(first).getNextPageToken();
        assertFalse(token.isEmpty());
        byte[] bytes = Base64.getUrlDecoder().decode(token);
        List<String> tampered = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            byte[] copy = bytes.clone();
            copy[i] ^= 0x01;
            tampered.add(Base64.getUrlEncoder().withoutPadding().encodeToString(copy));
        }
        tampered.add(token.substring(1));
        tampered.add(token + "A");
        tampered.add(token + "=");
        tampered.add(token.toUpperCase());
        tampered.add(Base64.getUrlEncoder().encodeToString(new byte[bytes.length]));
        for (String bad : tampered) {
            StatusRuntimeException error = expectInvalid(first.toBuilder().setPageToken(bad).build());
            assertEquals(List.of("page_token"), dev.runplane.server.testing.Errors.violatedFields(error), bad);
        }
        assertEquals(2, server.executions().search(first.toBuilder().setPageToken(token).build())
                .getExecutionsCount(), "the untouched token still works");
    }

    private static void answersSafely(SearchRequest request) {
        try {
            server.executions().search(request);
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), () -> e.getStatus() + " for " + request);
            String description = String.valueOf(e.getStatus().getDescription());
            for (String leak : List.of("SQLSTATE", "ERROR:", "syntax error at", "relation ", "postgresql", "r2dbc", "Exception")) {
                assertFalse(description.contains(leak), "leaks " + leak + ": " + description);
            }
        }
    }

    private static StatusRuntimeException expectInvalid(SearchRequest request) {
        try {
            server.executions().search(request);
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            return e;
        }
        throw new AssertionError("accepted " + request.getPageToken());
    }
}
