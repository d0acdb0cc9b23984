package dev.runplane.server.store.db;

import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.ResourceExhaustedException;
import dev.runplane.server.core.error.ServiceUnavailableException;
import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Translates database failures into domain errors, by SQLSTATE and constraint (the shape of
 * r2dbc-postgresql's ExceptionFactory). What it does not know stays as it is, and the gRPC error
 * mapper turns it into INTERNAL without details.
 */
public final class DatabaseErrors {

    /** Foreign keys that a client can break with a bad reference: constraint → request field. */
    private static final Map<String, String> REFERENCE_FIELDS = Map.of(
            "executions_parent_id_fkey", "parent_id",
            "executions_rerun_of_fkey", "id");

    private DatabaseErrors() {
    }

    public static Throwable translate(Throwable error) {
        if (error instanceof PostgresqlException pg && "23503".equals(pg.getErrorDetails().getCode())) {
            String field = pg.getErrorDetails().getConstraintName().map(REFERENCE_FIELDS::get).orElse(null);
            if (field != null) {
                return InvalidArgumentException.of(field, "no execution has this id");
            }
        }
        if (isStatementTimeout(error)) {
            return new ResourceExhaustedException("STATEMENT_TIMEOUT", "the database stopped the query (a search may run "
                    + Database.CUSTOM_PLANS_STATEMENT_TIMEOUT + " at most); narrow it with a filter that an index serves "
                    + "(a pipeline, a status, a time range) or order by a time (docs/search.md)");
        }
        if (isUnavailable(error)) {
            return new ServiceUnavailableException("the database is unavailable; retry later", error);
        }
        return error;
    }

    /**
     * PostgreSQL stopped the statement (57014: its statement_timeout, or an operator's cancel). The
     * code alone decides: the message that tells the two apart is translated with lc_messages.
     */
    private static boolean isStatementTimeout(Throwable error) {
        return error instanceof PostgresqlException pg && "57014".equals(pg.getErrorDetails().getCode());
    }

    /** Connection-level failures: the database is down, restarting or unreachable. */
    public static boolean isUnavailable(Throwable error) {
        // A pool acquire timeout (R2dbcTimeoutException) means every connection is busy or broken: retryable too.
        if (error instanceof R2dbcNonTransientResourceException || error instanceof R2dbcTransientResourceException
                || error instanceof R2dbcTimeoutException || error instanceof IOException
                || error instanceof TimeoutException) {
            return true;
        }
        if (error instanceof R2dbcException r2dbc) {
            String state = r2dbc.getSqlState();
            // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
            return state != null && (state.startsWith("08") || state.startsWith("57P"));
        }
        // Pool and driver wrap I/O failures (a closed connection) in their own runtime exceptions.
        Throwable cause = error.getCause();
        return cause != null && cause != error && isUnavailable(cause);
    }
}
