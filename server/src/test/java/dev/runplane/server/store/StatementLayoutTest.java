package dev.runplane.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18: SQL that several statements share is written once, in the statement file of the table it
 * touches, and a class stays small enough to read. Before, adding a Run field meant editing two
 * executions INSERTs; the event INSERT was written seven times, the steps upsert twice, the
 * RETURNING list and the terminal list built twice each. This reads the main sources as they are.
 */
class StatementLayoutTest {

    private static final Path MAIN = Path.of("src/main/java/dev/runplane/server");
    private static final int MAX_LINES = 350;

    @Test
    void eachSharedPieceOfSqlIsWrittenOnceBesideItsTable() throws IOException {
        Map<Path, String> sources = sources();
        assertWrittenOnce(sources, "INSERT INTO executions ", "ExecutionsSql.java");
        assertWrittenOnce(sources, "INSERT INTO execution_events ", "ExecutionEventsSql.java");
        assertWrittenOnce(sources, "INSERT INTO execution_steps ", "ExecutionStepsSql.java");
        assertWrittenOnce(sources, "INSERT INTO api_keys ", "ApiKeysSql.java");
        // The RETURNING list of an UPDATE (x.id, x.pipeline, ...), the terminal statuses, the status CASE.
        assertWrittenOnce(sources, "\"x.\" + column", "ExecutionsSql.java");
        assertWrittenOnce(sources, "filter(ExecutionState::isTerminal)", "Sql.java");
        assertWrittenOnce(sources, "\"CASE \" + column", "Sql.java");
    }

    @Test
    void theStoresAndTheirStatementFilesStaySmall() throws IOException {
        List<String> large = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN.resolve("store"))) {
            for (Path file : files.filter(StatementLayoutTest::isStoreOrStatements).toList()) {
                long lines = Files.readAllLines(file).size();
                if (lines > MAX_LINES) {
                    large.add(file.getFileName() + ": " + lines + " lines");
                }
            }
        }
        assertEquals(List.of(), large, "at most " + MAX_LINES + " lines each");
    }

    private static boolean isStoreOrStatements(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("Postgres") || name.endsWith("Sql.java") || name.endsWith("Batcher.java");
    }

    /** Asserts that {@code text} occurs exactly once in the main sources, in the file named {@code in}. */
    private static void assertWrittenOnce(Map<Path, String> sources, String text, String in) {
        List<Path> found = sources.entrySet().stream()
                .flatMap(source -> Stream.generate(source::getKey).limit(count(source.getValue(), text)))
                .toList();
        assertEquals(1, found.size(), text + " is written in " + found);
        assertTrue(found.get(0).endsWith(in), text + " is written in " + found.get(0) + ", not " + in);
    }

    private static long count(String source, String text) {
        Matcher m = Pattern.compile(Pattern.quote(text)).matcher(source);
        long n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Each main source file by its path. */
    private static Map<Path, String> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(file -> file.toString().endsWith(".java"))
                    .collect(Collectors.toMap(file -> file, StatementLayoutTest::read));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
