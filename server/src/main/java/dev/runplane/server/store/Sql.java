package dev.runplane.server.store;

import dev.runplane.server.core.Action;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Transitions;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Helpers for the SQL text this store sends, and the SQL that statements of several tables share:
 * status lists and the CASE that writes a status, both derived from {@link Transitions}. The
 * statements themselves live beside their table: {@link ExecutionsSql}, {@link ExecutionLeasesSql},
 * {@link ExecutionEventsSql}, {@link ExecutionStepsSql}, {@link ApiKeysSql} (and {@link SearchSql}).
 */
public final class Sql {

    /** The terminal statuses as an SQL list, from {@link ExecutionState#isTerminal()}. */
    static final String TERMINAL = names(Arrays.stream(ExecutionState.values())
            .filter(ExecutionState::isTerminal).collect(Collectors.toSet()));

    /** The statuses in which an execution holds a lease: those a worker can finish from. */
    static final Set<ExecutionState> LEASED_STATUSES = Transitions.sources(Action.COMPLETE);

    /**
     * {@link #LEASED_STATUSES} as an SQL list: 'CANCELLING', 'RUNNING'. V8's partial indexes spell the
     * same list in the same order.
     */
    static final String LEASED = names(LEASED_STATUSES);

    /** The QUEUED status as an SQL literal. */
    static final String QUEUED = names(Set.of(ExecutionState.QUEUED));

    private Sql() {
    }

    /**
     * {@code CASE <column> WHEN from THEN to ... END} over the action's edges in the table: the only
     * way a statement computes the status it writes (NULL when the table refuses the action).
     */
    static String statusCase(String column, Action action) {
        return Transitions.edges(action).entrySet().stream()
                .map(edge -> "WHEN '" + edge.getKey().name() + "' THEN '" + edge.getValue().name() + "'")
                .collect(Collectors.joining(" ", "CASE " + column + " ", " END"));
    }

    /** Statuses as a sorted SQL list of literals, for {@code status IN (...)}. */
    static String names(Set<ExecutionState> statuses) {
        return statuses.stream().map(s -> "'" + s.name() + "'").sorted().collect(Collectors.joining(", "));
    }

    /**
     * The statement with each run of whitespace outside string literals made one space. The driver
     * tokenizes a statement's whole text on every execution (r2dbc-postgresql's
     * {@code PostgresqlSqlParser}, 20% of the server's CPU under the worker benchmark), and our
     * transition statements are kilobytes of indented SQL. Refuses {@code --} comments, which would
     * swallow the rest of a joined line.
     */
    public static String compact(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        boolean quoted = false;
        boolean space = false;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quoted) {
                out.append(c);
                quoted = c != '\'';
            } else if (Character.isWhitespace(c)) {
                space = true;
            } else {
                if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
                    throw new IllegalArgumentException("a -- comment in SQL that is compacted: " + sql);
                }
                if (space && !out.isEmpty()) {
                    out.append(' ');
                }
                space = false;
                out.append(c);
                quoted = c == '\'';
            }
        }
        return out.toString();
    }
}
