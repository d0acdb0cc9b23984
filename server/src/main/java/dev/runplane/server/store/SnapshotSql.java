package dev.runplane.server.store;

import dev.runplane.server.core.Execution;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The statement of a WatchExecutions snapshot: Search's own statement ({@link SearchSql}, so the
 * filter means what it means in Search: most recently created first, {@code limit} rows), and, in
 * the same statement and so the same MVCC snapshot, that snapshot's xmax. Every transaction whose
 * changes the rows show has an xid below it (docs/events.md, "Snapshot, then live"). The statement
 * always returns a row: with no match, one whose execution columns are NULL.
 *
 * <p>Inputs and outputs are not read (64 KiB each at most, and 10,000 rows): a snapshot row is an
 * execution without them, as an event's is.
 */
public final class SnapshotSql {

    private static final Set<String> LEFT_OUT = Set.of("inputs", "outputs");

    /** One row: the snapshot's xmax (an unsigned xid8) and a matching execution, or null for none. */
    public record Read(long xmax, Execution execution) {
    }

    private final SearchSql search;
    private final String statement;

    private SnapshotSql(SearchSql search) {
        this.search = search;
        String columns = Arrays.stream(ExecutionReader.COLUMNS.split(", "))
                .map(column -> LEFT_OUT.contains(column) ? "NULL::jsonb AS " + column : "found." + column)
                .collect(Collectors.joining(", "));
        this.statement = "SELECT s.xmax::text AS snapshot_xmax, " + columns
                + " FROM (SELECT pg_snapshot_xmax(pg_current_snapshot()) AS xmax) AS s"
                + " LEFT JOIN LATERAL (" + search.statement() + ") AS found ON true"
                // Search's default order (SearchOrder.DEFAULT), kept through the join
                + " ORDER BY found.create_time DESC, found.id DESC";
    }

    /** The snapshot of the executions that match {@code filter}: at most {@code limit} rows. */
    public static SnapshotSql of(SearchFilter filter, int limit) {
        return new SnapshotSql(SearchSql.page(filter, null, SearchOrder.DEFAULT, null, limit));
    }

    public String statement() {
        return statement;
    }

    public void bind(Statement statement) {
        search.bind(statement);
    }

    public static Read read(Row row) {
        long xmax = Long.parseUnsignedLong(row.get("snapshot_xmax", String.class));
        return new Read(xmax, row.get("id") == null ? null : ExecutionReader.execution(new RowColumns(row)));
    }
}
