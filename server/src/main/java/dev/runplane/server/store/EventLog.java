package dev.runplane.server.store;

import dev.runplane.server.core.Event;
import dev.runplane.server.core.ExecutionState;
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
final class EventLog {

    // Not "AS xid": ORDER BY would then sort by the text (and "1000" < "999").
    // The state's attributes come as columns of their own; an event written before V9 has a jsonb
    // snapshot instead (and NULL attributes).
    static final String COLUMNS = "sequence, xid::text AS xid_text, execution_id, revision, from_status, to_status, "
            + "event_time, actor, reason, snapshot, (state).*";

    private static final int PAGE = 500;

    private static final String LATEST_SQL = "SELECT " + COLUMNS
            + " FROM execution_events WHERE execution_id = $1 ORDER BY revision DESC LIMIT 1";
    static final String AFTER_REVISION_SQL = "SELECT " + COLUMNS
            + " FROM execution_events WHERE execution_id = $1 AND revision > $2 ORDER BY revision LIMIT " + PAGE;
    private static final String POSITION_SQL = "SELECT xid::text AS xid_text FROM execution_events WHERE sequence = $1";
    static final String RANGE_SQL = "SELECT " + COLUMNS + """
             FROM execution_events
            WHERE (xid, sequence) > ($1::text::xid8, $2) AND (xid, sequence) <= ($3::text::xid8, $4)
            ORDER BY xid, sequence LIMIT %d""".formatted(PAGE);

    private final ConnectionFactory connections;
    private final ReadGate gate;

    /** @param concurrentReads how many pool connections the watchers' history reads may hold at once */
    EventLog(ConnectionFactory connections, int concurrentReads) {
        this.connections = connections;
        this.gate = new ReadGate(concurrentReads);
    }

    /** The latest event of an execution: its current state. Empty when there is no such execution. */
    Mono<LoggedEvent> latest(UUID id) {
        return query(c -> Flux.from(c.createStatement(LATEST_SQL).bind(0, id).execute())
                .flatMap(r -> r.map((row, meta) -> read(row)))).next();
    }

    /** Every event of an execution after a revision, in revision order, read page by page on demand. */
    Flux<LoggedEvent> afterRevision(UUID id, long revision) {
        return query(c -> Flux.from(c.createStatement(AFTER_REVISION_SQL).bind(0, id).bind(1, revision).execute())
                .flatMap(r -> r.map((row, meta) -> read(row))))
                .collectList()
                .flatMapMany(page -> page.size() < PAGE ? Flux.fromIterable(page)
                        : Flux.fromIterable(page).concatWith(Flux.defer(() ->
                                afterRevision(id, page.get(page.size() - 1).event().revision()))));
    }

    /** Where the event with this sequence sits in the log; empty if there is none. */
    Mono<EventPosition> positionOf(long sequence) {
        return query(c -> Flux.from(c.createStatement(POSITION_SQL).bind(0, sequence).execute())
                .flatMap(r -> r.map((row, meta) -> EventPosition.of(row.get("xid_text", String.class), sequence))))
                .next();
    }

    /** The events after {@code from} up to and including {@code to}, in log order, page by page on demand. */
    Flux<LoggedEvent> range(EventPosition from, EventPosition to) {
        if (!to.isAfter(from)) {
            return Flux.empty();
        }
        return query(c -> Flux.from(c.createStatement(RANGE_SQL)
                        .bind(0, from.xidText()).bind(1, from.sequence())
                        .bind(2, to.xidText()).bind(3, to.sequence())
                        .execute())
                .flatMap(r -> r.map((row, meta) -> read(row))))
                .collectList()
                .flatMapMany(page -> page.size() < PAGE ? Flux.fromIterable(page)
                        : Flux.fromIterable(page).concatWith(Flux.defer(() ->
                                range(page.get(page.size() - 1).position(), to))));
    }

    private <T> Flux<T> query(Function<Connection, Flux<T>> work) {
        return gate.run(Flux.usingWhen(connections.create(), work, Connection::close))
                .onErrorMap(DatabaseErrors::translate);
    }

    /** One row of {@link #COLUMNS}, with its place in the log. */
    static LoggedEvent read(Row row) {
        Event event = event(row);
        return new LoggedEvent(EventPosition.of(row.get("xid_text", String.class), event.sequence()), event);
    }

    /**
     * The event of an execution_events row (any query that selects {@link #COLUMNS}, xid aside); the
     * execution comes from the event's snapshot.
     */
    static Event event(Row row) {
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
