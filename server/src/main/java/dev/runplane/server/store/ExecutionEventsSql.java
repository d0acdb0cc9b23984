package dev.runplane.server.store;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.store.events.CoalescingNotifier;

/**
 * The statements of the {@code execution_events} table (V1, V6, V9; docs/events.md): the event
 * INSERT that every writing statement ends with, and the reads of the log. The readers that follow
 * the whole log order it by {@code (xid, sequence)}, never by sequence alone (sequences commit out of
 * order), and walk the {@code (xid, sequence)} index.
 */
public final class ExecutionEventsSql {

    /**
     * What a read of events selects. Not "AS xid": ORDER BY would then sort by the text (and "1000" <
     * "999"). The state's attributes come as columns of their own; an event written before V9 has a
     * jsonb snapshot instead (and NULL attributes).
     */
    public static final String COLUMNS = "sequence, xid::text AS xid_text, execution_id, revision, from_status, to_status, "
            + "event_time, actor, reason, snapshot, (state).*";

    /** How many events a watcher's history read takes at a time. */
    public static final int HISTORY_PAGE = 500;

    /** How many settled events the hub reads at a time. */
    public static final int HUB_PAGE = 1000;

    /** The latest event of an execution: its current state. */
    public static final String LATEST = "SELECT " + COLUMNS
            + " FROM execution_events WHERE execution_id = $1 ORDER BY revision DESC LIMIT 1";

    /** An execution's events after a revision, a page of them, through (execution_id, revision). */
    public static final String AFTER_REVISION = "SELECT " + COLUMNS
            + " FROM execution_events WHERE execution_id = $1 AND revision > $2 ORDER BY revision LIMIT "
            + HISTORY_PAGE;

    /** ListExecutionEvents: the same walk, with the page size of the request ($3). */
    public static final String HISTORY = """
            SELECT %s
            FROM execution_events WHERE execution_id = $1 AND revision > $2 ORDER BY revision LIMIT $3
            """.formatted(COLUMNS);

    /** Where the event with sequence $1 sits in the log. */
    public static final String POSITION = "SELECT xid::text AS xid_text FROM execution_events WHERE sequence = $1";

    /** The events after ($1, $2) up to and including ($3, $4), in log order, a page of them. */
    public static final String RANGE = "SELECT " + COLUMNS + """
             FROM execution_events
            WHERE (xid, sequence) > ($1::text::xid8, $2) AND (xid, sequence) <= ($3::text::xid8, $4)
            ORDER BY xid, sequence LIMIT %d""".formatted(HISTORY_PAGE);

    /*
     * Where the hub starts: every transaction below xmin has ended, so the log's last event below it
     * is the last one before the start, and nothing can still be written between the two. Starting
     * from that event (rather than from (xmin, 0)) gives a stream that joins before the hub has
     * delivered anything a real resume point: its sequence. An empty log starts from (xmin, 0).
     */
    public static final String HUB_START = Sql.compact("""
            SELECT s.xmin::text AS xmin, e.xid::text AS xid_text, e.sequence
            FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
            LEFT JOIN LATERAL (SELECT xid, sequence FROM execution_events WHERE xid < s.xmin
                               ORDER BY xid DESC, sequence DESC LIMIT 1) e ON true
            """);

    /*
     * The settled rows after the position, then at most one row that is not settled yet: if there is
     * one, a transaction older than it is still running and the hub looks again shortly. Both parts
     * are ordered so that both walk the (xid, sequence) index: "LIMIT 1" alone let the planner pick
     * a sequential scan of the whole log, which found nothing and grew with the table (measured:
     * 1,336 buffers per read at 40,000 events, most of PostgreSQL's CPU under load).
     */
    public static final String HUB_READ = hubRead(COLUMNS);

    /*
     * The same rows when no watcher is joined: only their positions and, for work queued, its
     * pipeline (to wake this replica's pollers). No snapshot is sent or decoded: under the worker
     * benchmark the full read was the hub's main cost, for nobody.
     */
    public static final String HUB_LIGHT_READ = hubRead("sequence, xid::text AS xid_text, CASE WHEN to_status = '"
            + ExecutionState.QUEUED.name() + "' THEN " + ExecutionReader.eventText("pipeline")
            + " END AS queued_pipeline");

    private ExecutionEventsSql() {
    }

    /*
     * The third part is one row of NULL columns whose "horizon" is the read's xmin: when the read
     * returns less than a page, every event of a transaction below it has been read, which a
     * snapshot's join waits for (docs/events.md, "Snapshot, then live"). It reads no table: a join
     * ON false is planned as a one-time filter.
     */
    private static String hubRead(String columns) {
        return Sql.compact("""
                (SELECT %1$s, true AS settled, NULL::text AS horizon FROM execution_events
                  WHERE (xid, sequence) > ($1::text::xid8, $2) AND xid < pg_snapshot_xmin(pg_current_snapshot())
                  ORDER BY xid, sequence LIMIT %2$d)
                UNION ALL
                (SELECT %1$s, false AS settled, NULL AS horizon FROM execution_events
                  WHERE (xid, sequence) > ($1::text::xid8, $2) AND xid >= pg_snapshot_xmin(pg_current_snapshot())
                  ORDER BY xid, sequence LIMIT 1)
                UNION ALL
                (SELECT %1$s, NULL AS settled, pg_snapshot_xmin(pg_current_snapshot())::text AS horizon
                  FROM (SELECT) AS one LEFT JOIN execution_events ON false)
                """.formatted(columns, HUB_PAGE));
    }

    /** {@link #insert(String, String, String, String, String)} for every row of {@code source}. */
    public static String insert(String source, String fromStatus, String actor, String reason) {
        return insert(source, fromStatus, actor, reason, null);
    }

    /**
     * The CTE {@code ev} that appends one event per execution row {@code e} that the statement
     * changed (its RETURNING columns are {@link ExecutionReader#COLUMNS}): revision, to_status and
     * event_time are that row's, its state the row's copy ({@link ExecutionReader#STATE}). Every
     * writing statement ends with it, so the change and its event commit together. The
     * {@code /*mark*}{@code /} after the FROM items is where {@link CoalescingNotifier#marked} puts
     * the mark that leaves announcing to the notifier.
     *
     * @param source     FROM items that include {@code e}, e.g. {@code e JOIN picked ON picked.id = e.id}
     * @param fromStatus SQL for the status before the change (NULL for a new execution)
     * @param actor      SQL for who made the change ({@code core.Actors})
     * @param reason     SQL for why, as text
     * @param where      a condition on the rows that get an event, or null for all of them
     */
    public static String insert(String source, String fromStatus, String actor, String reason, String where) {
        return """
                ev AS (
                    INSERT INTO execution_events (execution_id, revision, from_status, to_status, event_time, actor,
                        reason, state)
                    SELECT e.id, e.revision, %2$s, e.status, e.update_time, %3$s, %4$s, %5$s
                    FROM %1$s /*mark*/%6$s
                )""".formatted(source, fromStatus, actor, reason, ExecutionReader.STATE,
                where == null ? "" : " WHERE " + where);
    }
}
