// The executions list: ONE WatchExecutions stream with a snapshot for the page's filter, rows
// joined by revision, keyset pages of Search for "more", and free text through Search.
//
// Live semantics (docs/dashboard.md):
// - Without free text the list is live: the snapshot gives the matching executions as they are,
//   then every change arrives as an event; an event is applied only when its revision is newer than
//   the row's, so the snapshot/event join and the Search pages of "more" never step back.
// - The stream gets the whole filter (Search's meaning, statuses and time range included). Status
//   is the one filtered field that changes: the server also sends the event that moves a row out
//   of the filter's statuses, and the page removes that row (matches() below), so a row that
//   leaves the status filter goes and one that enters it comes.
// - With free text the rows are Search's (the server's word matching), kept up to date by the same
//   stream; new executions are not added (the stream cannot tell whether they match the words), and
//   the page says so.

import { executions, describeError } from './api.js';
import { openStream, watchUrl } from './sse.js';
import { el } from './dom.js';
import { COLUMNS, RUNNING_CELL, WAITING_CELL, row } from './rows.js';
import {
  duration, int64, isActive, newestFirst, plusOneMicrosecond, statusOf, timestampKey, timings,
} from './format.js';

/** Rows kept at most; the oldest go beyond it (and "more" brings them back, raising the bound). */
const MAX_ROWS = 1000;
/** Search page size for "more" and for free text. */
const PAGE_SIZE = 50;
/** "More" reads on through pages of rows already shown, up to this many per click. */
const MAX_PAGES_PER_CLICK = 20;
/** Latest states seen on the stream for rows not (yet) shown, to join with Search pages. */
const MAX_SEEN = 5000;
/** With no message within this time the server predates snapshots: read page 1 by Search. */
const SNAPSHOT_FALLBACK_MS = 3000;

export class ExecutionList {
  /**
   * @param table the <table> whose tbody gets the rows
   * @param notice element for "live" / "search results" / errors of the list
   * @param more the "more" button
   * @param onEvent function(execution) called for every event the stream delivers
   */
  constructor({ table, notice, more, onEvent = () => {} }) {
    this.body = table.tBodies[0];
    this.notice = notice;
    this.more = more;
    this.onEvent = onEvent;
    this.rows = new Map();
    this.trs = new Map();
    this.order = [];
    this.seen = new Map();
    this.stream = null;
    this.generation = 0;
    this.more.addEventListener('click', () => this.loadMore());
    setInterval(() => this.tick(), 1000);
  }

  /**
   * Starts over for a new filter: a new stream, no rows. spec: {filter} (pipelines, modes, labels),
   * {statuses} (a Set of names, or null), {createTime} (a TimeRange, or null) and {query} (free
   * text, or empty).
   */
  open(spec) {
    this.generation += 1;
    const generation = this.generation;
    if (this.stream) {
      this.stream.close();
    }
    this.spec = spec;
    this.rows.clear();
    this.trs.clear();
    this.order = [];
    this.seen.clear();
    this.body.replaceChildren();
    this.page = null;
    this.ready = false;
    this.limit = MAX_ROWS;
    this.trimmed = false;
    this.live = !spec.query;
    this.setMore(false);
    this.setNotice(this.live ? 'Connecting…' : 'Searching…', 'pending');
    const current = () => generation === this.generation;
    const fallback = setTimeout(() => current() && !this.ready && this.snapshotMissing(), SNAPSHOT_FALLBACK_MS);
    const filter = searchFilter(spec);
    this.stream = openStream({
      url: (after) => watchUrl('WatchExecutions', after ? { filter, afterSequence: after, heartbeatInterval: '10s' }
        : { filter, snapshot: true, heartbeatInterval: '10s' }),
      onRestart: () => current() && this.restart(),
      onMessage: (name, message) => current() && this.message(name, message, fallback),
      onState: (state) => current() && this.streamState(state),
      onError: (error) => {
        if (!current()) {
          return;
        }
        clearTimeout(fallback);
        if (error.code === 'out_of_range') {
          // The resume point is older than what retention keeps: the documented way back is a new snapshot.
          this.open(spec);
          return;
        }
        this.setNotice(describeError(error, 'Following executions'), 'error');
      },
    });
  }

  /** The stream broke before its snapshot completed: it starts over, and so do the rows. */
  restart() {
    this.rows.clear();
    this.trs.clear();
    this.order = [];
    this.body.replaceChildren();
    this.ready = false;
    this.page = null;
    this.limit = MAX_ROWS;
    this.trimmed = false;
  }

  message(name, message, fallback) {
    if (name === 'snapshot') {
      clearTimeout(fallback);
      this.offer(message.snapshot, this.live);
    } else if (name === 'snapshot_complete') {
      clearTimeout(fallback);
      const complete = message.snapshotComplete || {};
      this.snapshotDone(Boolean(complete.truncated));
    } else if (name === 'event') {
      const event = message.event || {};
      const execution = event.execution || {
        id: event.executionId, status: event.toStatus, revision: event.revision, updateTime: event.eventTime,
      };
      if (!this.ready && !this.page) {
        // An event before any snapshot: this server streams without snapshots.
        clearTimeout(fallback);
        this.snapshotMissing();
      }
      this.offer(execution, this.live);
      this.onEvent(execution);
    }
  }

  /** The snapshot is complete: the rows are the current state; "more" if it was capped. */
  snapshotDone(truncated) {
    this.ready = true;
    if (this.live) {
      this.setNotice('Live: new executions appear and rows change as they happen.', 'live');
      this.setMore(truncated || this.trimmed);
    } else {
      this.searchPage(null);
    }
    this.render();
  }

  /** No snapshot from this server: the first page comes from Search, the stream keeps it current. */
  snapshotMissing() {
    this.ready = true;
    if (this.live) {
      this.setNotice('Live: new executions appear and rows change as they happen.', 'live');
    }
    this.searchPage(null);
  }

  streamState(state) {
    if (state === 'reconnecting' && this.ready) {
      this.setNotice('Reconnecting… (the stream resumes where it broke: nothing is missed)', 'pending');
    } else if (state === 'open' && this.ready) {
      this.setNotice(this.live ? 'Live: new executions appear and rows change as they happen.'
          : this.searchNotice(), this.live ? 'live' : 'search');
    }
  }

  searchNotice() {
    return `Search results for “${this.spec.query}”: shown rows update live, but new executions are `
        + 'not added (clear the search text to follow everything live).';
  }

  /**
   * A Search page. Free text: the query itself, then its next_page_token. Live ("more" and the
   * fallback): the rows older than the oldest one shown (create_time below it plus one microsecond,
   * so that rows of the same instant are not lost: they join by id), then that query's tokens.
   */
  async searchPage(token) {
    const generation = this.generation;
    const spec = this.spec;
    let request = this.page && token ? this.page.request : null;
    if (!request) {
      const filter = searchFilter(spec);
      const oldest = this.order.length ? this.rows.get(this.order[this.order.length - 1]) : null;
      if (this.live && oldest && oldest.createTime) {
        const end = plusOneMicrosecond(oldest.createTime);
        const range = filter.createTime || {};
        if (!range.end || timestampKey(range.end) > timestampKey(end)) {
          filter.createTime = { ...range, end };
        }
      }
      request = { filter, pageSize: PAGE_SIZE, orderBy: 'create_time desc' };
      if (spec.query) {
        request.query = spec.query;
      }
    }
    this.more.disabled = true;
    try {
      // A page of rows that are all shown already (ties of the oldest row's create_time, a
      // RunBatch's rows) adds nothing: read on, so that "more" always shows more while there is more.
      let response;
      for (let pages = 0; pages < MAX_PAGES_PER_CLICK; pages++) {
        response = await executions('Search', token ? { ...request, pageToken: token } : request);
        if (generation !== this.generation) {
          return;
        }
        const before = this.order.length;
        // Rows asked for are kept: the bound grows by the page, so only live arrivals push rows out.
        this.limit = Math.max(this.limit, this.order.length + (response.executions || []).length);
        for (const execution of response.executions || []) {
          // The stream may have brought a newer state of this row already: the newer one wins.
          const streamed = this.seen.get(execution.id);
          this.offer(streamed && int64(streamed.revision) > int64(execution.revision) ? streamed : execution, true);
        }
        token = response.nextPageToken || '';
        if (this.order.length > before || !token) {
          break;
        }
      }
      this.page = { request, token };
      this.setMore(Boolean(token));
      if (!this.live) {
        this.setNotice(this.searchNotice(), 'search');
      }
      this.render();
    } catch (error) {
      if (generation === this.generation) {
        this.setNotice(describeError(error, 'Search'), 'error');
      }
    } finally {
      this.more.disabled = false;
    }
  }

  loadMore() {
    this.searchPage(this.page && this.page.token ? this.page.token : null);
  }

  /**
   * One execution as the server has it now (a snapshot row, an event, a Search row). Applied only
   * when newer than the row shown; added when mayAdd (live rows, snapshot and Search rows).
   */
  offer(execution, mayAdd) {
    if (!execution || !execution.id) {
      return;
    }
    const known = this.rows.get(execution.id);
    if (known && int64(known.revision) >= int64(execution.revision)) {
      return;
    }
    const shown = this.rows.has(execution.id);
    if (!shown && !mayAdd) {
      this.remember(execution);
      return;
    }
    if (!matches(this.spec, execution)) {
      this.remember(execution);
      if (shown) {
        this.remove(execution.id);
      }
      return;
    }
    this.seen.delete(execution.id);
    this.put(execution);
  }

  remember(execution) {
    const known = this.seen.get(execution.id);
    if (known && int64(known.revision) >= int64(execution.revision)) {
      return;
    }
    this.seen.delete(execution.id);
    this.seen.set(execution.id, execution);
    if (this.seen.size > MAX_SEEN) {
      this.seen.delete(this.seen.keys().next().value);
    }
  }

  put(execution) {
    const old = this.rows.get(execution.id);
    this.rows.set(execution.id, execution);
    if (!old) {
      const index = this.insertionIndex(execution);
      this.order.splice(index, 0, execution.id);
      if (this.order.length > this.limit) {
        this.remove(this.order[this.order.length - 1]);
        this.trimmed = true;
        // The next "more" starts below the new oldest row: a continued page would skip the rows just dropped.
        this.page = null;
        this.setMore(true);
      }
    }
    this.schedule();
  }

  remove(id) {
    this.rows.delete(id);
    const index = this.order.indexOf(id);
    if (index >= 0) {
      this.order.splice(index, 1);
    }
    const tr = this.trs.get(id);
    if (tr) {
      tr.remove();
      this.trs.delete(id);
    }
    this.schedule();
  }

  insertionIndex(execution) {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (newestFirst(this.rows.get(this.order[middle]), execution) < 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /** Renders at most once per frame, however many events arrive. */
  schedule() {
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.render();
      });
    }
  }

  /** Brings the table in line with order and rows: rebuilds changed rows, keeps the others. */
  render() {
    if (!this.ready) {
      return;
    }
    let previous = null;
    for (const id of this.order) {
      const execution = this.rows.get(id);
      let tr = this.trs.get(id);
      if (!tr || tr.dataset.revision !== String(int64(execution.revision))) {
        const fresh = row(execution);
        if (tr) {
          tr.replaceWith(fresh);
        }
        tr = fresh;
        this.trs.set(id, tr);
      }
      const expected = previous ? previous.nextSibling : this.body.firstChild;
      if (expected !== tr) {
        this.body.insertBefore(tr, expected);
      }
      previous = tr;
    }
    if (this.order.length === 0) {
      this.body.replaceChildren(el('tr', { className: 'empty' },
          el('td', { colspan: COLUMNS, textContent: 'No executions match.' })));
    } else if (this.body.firstChild && this.body.firstChild.classList.contains('empty')) {
      this.body.firstChild.remove();
    }
  }

  /** Waiting and execution times of active rows move with the clock. */
  tick() {
    const now = Date.now();
    for (const [id, tr] of this.trs) {
      const execution = this.rows.get(id);
      if (execution && isActive(statusOf(execution))) {
        const { waiting, running } = timings(execution, now);
        tr.cells[WAITING_CELL].textContent = duration(waiting);
        tr.cells[RUNNING_CELL].textContent = duration(running);
      }
    }
  }

  setMore(available) {
    this.more.hidden = !available;
  }

  setNotice(text, kind) {
    this.notice.textContent = text;
    this.notice.dataset.kind = kind;
  }
}

/** The filter of Search for a spec: the stream's, with the statuses and the time range. */
export function searchFilter(spec) {
  const filter = structuredClone(spec.filter);
  if (spec.statuses) {
    filter.statuses = [...spec.statuses].map((s) => 'EXECUTION_STATUS_' + s);
  }
  if (spec.createTime) {
    filter.createTime = { ...spec.createTime };
  }
  return filter;
}

/**
 * Whether a row passes the statuses and the time range: the server's filter again, for the event
 * that moves a row out of the statuses (and for "more" pages joined with newer stream states).
 */
function matches(spec, execution) {
  if (spec.statuses && !spec.statuses.has(statusOf(execution))) {
    return false;
  }
  const range = spec.createTime;
  if (range) {
    const created = timestampKey(execution.createTime);
    if ((range.start && created < timestampKey(range.start)) || (range.end && created >= timestampKey(range.end))) {
      return false;
    }
  }
  return true;
}
