package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.store.EventStateColumns;
import dev.runplane.server.store.ExecutionEventsSql;
import dev.runplane.server.store.ExecutionReader;
import dev.runplane.server.store.SnapshotColumns;
import dev.runplane.server.store.db.DatabaseErrors;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reads of the durable event log for watchers: history replays through the request pool. */
public final class EventLog {

    private static final int PAGE = ExecutionEventsSql.HISTORY_PAGE;

    private final ConnectionFactory connections;
    private final ReadGate gate;

    /** @param concurrentReads how many pool connections the watchers' history reads may hold at once */
    EventLog(ConnectionFactory connections, int concurrentReads) {
        this.connections = connections;
        this.gate = new ReadGate(concurrentReads);
    }

    /** The latest event of an execution: its current state. Empty when there is no such execution. */
    Mono<LoggedEvent> latest(UUID id) {
        return query(c -> Flux.from(c.createStatement(ExecutionEventsSql.LATEST).bind(0, id).execute())
                .flatMap(r -> r.map((row, meta) -> read(row)))).next();
    }

    /** Every event of an execution after a revision, in revision order, read page by page on demand. */
    Flux<LoggedEvent> afterRevision(UUID id, long revision) {
        return query(c -> Flux.from(c.createStatement(ExecutionEventsSql.AFTER_REVISION)
                        .bind(0, id).bind(1, revision).execute())
                .flatMap(r -> r.map((row, meta) -> read(row))))
                .collectList()
                .flatMapMany(page -> page.size() < PAGE ? Flux.fromIterable(page)
                        : Flux.fromIterable(page).concatWith(Flux.defer(() ->
                                afterRevision(id, page.get(page.size() - 1).event().revision()))));
    }

    /** Where the event with this sequence sits in the log; empty if there is none. */
    Mono<EventPosition> positionOf(long sequence) {
        return query(c -> Flux.from(c.createStatement(ExecutionEventsSql.POSITION).bind(0, sequence).execute())
                .flatMap(r -> r.map((row, meta) -> EventPosition.of(row.get("xid_text", String.class), sequence))))
                .next();
    }

    /** The events after {@code from} up to and including {@code to}, in log order, page by page on demand. */
    Flux<LoggedEvent> range(EventPosition from, EventPosition to) {
        if (!to.isAfter(from)) {
            return Flux.empty();
        }
        return query(c -> Flux.from(c.createStatement(ExecutionEventsSql.RANGE)
                        .bind(0, from.xidText()).bind(1, from.sequence())
                        .bind(2, to.xidText()).bind(3, to.sequence())
                        .execute())
                .flatMap(r -> r.map((row, meta) -> read(row))))
                .collectList()
                .flatMapMany(page -> page.size() < PAGE ? Flux.fromIterable(page)
                        : Flux.fromIterable(page).concatWith(Flux.defer(() ->
                                range(page.get(page.size() - 1).position(), to))));
    }

    /**
     * Another store's read (an await's GetExecution) through the same gate as the history reads, so
     * that any number of waiting calls holds at most the gate's connections of the pool.
     */
    <T> Mono<T> gated(Mono<T> read) {
        return gate.run(read);
    }

    private <T> Flux<T> query(Function<Connection, Flux<T>> work) {
        return gate.run(Flux.usingWhen(connections.create(), work, Connection::close))
                .onErrorMap(DatabaseErrors::translate);
    }

    /** One row of {@link ExecutionEventsSql#COLUMNS}, with its place in the log. */
    static LoggedEvent read(Row row) {
        Event event = event(row);
        return new LoggedEvent(EventPosition.of(row.get("xid_text", String.class), event.sequence()), event);
    }

    /**
     * The event of an execution_events row (any query that selects {@link ExecutionEventsSql#COLUMNS},
     * xid aside); the execution comes from the event's state (or, before V9, its snapshot).
     */
    public static Event event(Row row) {
        String from = row.get("from_status", String.class);
        return new Event(
                row.get("sequence", Long.class),
                row.get("execution_id", UUID.class),
                row.get("revision", Long.class),
                from == null ? null : ExecutionState.valueOf(from),
                ExecutionState.valueOf(row.get("to_status", String.class)),
                row.get("event_time", Instant.class),
                row.get("actor", String.class),
                row.get("reason", String.class),
                ExecutionReader.execution(EventStateColumns.hasState(row) ? new EventStateColumns(row)
                        : new SnapshotColumns(row.get("snapshot", Json.class).asString())));
    }
}
