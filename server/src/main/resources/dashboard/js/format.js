// How values of the proto JSON look on the page. Proto JSON leaves out default values (an empty
// message, a zero priority), writes int64 as strings, Timestamps as RFC 3339 and Durations as "1.5s".

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED']);

/** "EXECUTION_STATUS_RUNNING" -> "RUNNING" (also for modes, step statuses, trigger kinds). */
export function enumName(value, prefix) {
  if (!value) {
    return '';
  }
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

export const statusOf = (execution) => enumName(execution.status, 'EXECUTION_STATUS_') || 'UNSPECIFIED';
export const modeOf = (execution) => enumName(execution.mode, 'EXECUTION_MODE_') || 'PRODUCTION';
export const isTerminal = (status) => TERMINAL.has(status);
export const isActive = (status) => status === 'QUEUED' || status === 'RUNNING' || status === 'CANCELLING';

/** A revision or sequence (int64 as a JSON string) as a number; 0 when absent. */
export function int64(value) {
  return value === undefined || value === null || value === '' ? 0 : Number(value);
}

/** Milliseconds since the epoch of a proto Timestamp, or null. */
export function millis(timestamp) {
  if (!timestamp) {
    return null;
  }
  const value = Date.parse(timestamp);
  return Number.isNaN(value) ? null : value;
}

/** Milliseconds of a proto Duration ("12.5s"), or null. */
export function durationMillis(duration) {
  if (!duration) {
    return null;
  }
  const seconds = Number.parseFloat(duration);
  return Number.isNaN(seconds) ? null : seconds * 1000;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** A local date and time, "2026-12-04 21:40:05"; empty for none. */
export function dateTime(timestamp) {
  const value = millis(timestamp);
  if (value === null) {
    return '';
  }
  const d = new Date(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
      + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** For the list: the time alone for today ("21:40:05"), else the day too ("12-03 21:40"). */
export function shortDateTime(timestamp, now = new Date()) {
  const value = millis(timestamp);
  if (value === null) {
    return '';
  }
  const d = new Date(value);
  if (d.toDateString() === now.toDateString()) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getFullYear() === now.getFullYear() ? day : `${d.getFullYear()}-${day}`;
}

/** A duration for people: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 04 h". */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) {
    return '';
  }
  const value = Math.max(0, ms);
  if (value < 1000) {
    return `${Math.round(value)} ms`;
  }
  const seconds = value / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${pad(Math.floor(seconds % 60))} s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ${pad(minutes % 60)} min`;
  }
  return `${Math.floor(hours / 24)} d ${pad(hours % 24)} h`;
}

/**
 * Waiting and execution time as of now. The server computes both when it reads a row ("until now
 * while queued/running"); a live row was read when its last event happened, so for an active row
 * the clock part is recomputed here from its timestamps.
 */
export function timings(execution, now = Date.now()) {
  const status = statusOf(execution);
  let waiting = durationMillis(execution.waitingTime);
  let running = durationMillis(execution.executionTime);
  const queued = millis(execution.queueTime);
  const started = millis(execution.startTime);
  if (status === 'QUEUED' && queued !== null) {
    waiting = now - queued;
    running = null;
  } else if ((status === 'RUNNING' || status === 'CANCELLING') && started !== null) {
    running = now - started;
  }
  return { waiting, running };
}

/**
 * The Timestamp one microsecond after this one, exactly (the server keeps microseconds; a JS Date
 * keeps milliseconds). Used as an exclusive upper bound that still includes rows created in the
 * same microsecond (a RunBatch creates its rows in one transaction, with one create_time).
 */
export function plusOneMicrosecond(timestamp) {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) {
    throw new Error('not an RFC 3339 timestamp: ' + timestamp);
  }
  let seconds = Date.parse(match[1] + match[3]) / 1000;
  let micros = Math.floor(Number((match[2] || '').padEnd(9, '0')) / 1000) + 1;
  if (micros === 1000000) {
    seconds += 1;
    micros = 0;
  }
  return new Date(seconds * 1000).toISOString().slice(0, 19) + '.' + pad(micros, 6) + 'Z';
}

/** Orders executions as Search's default does: create_time desc, then id desc. */
export function newestFirst(a, b) {
  const byTime = compareTimestamps(b.createTime, a.createTime);
  if (byTime !== 0) {
    return byTime;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Compares two RFC 3339 UTC timestamps to the nanosecond (text of the same form sorts right). */
function compareTimestamps(a, b) {
  const ka = timestampKey(a);
  const kb = timestampKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A UTC RFC 3339 timestamp as text that sorts as time does (nanoseconds padded to 9 digits). */
export function timestampKey(timestamp) {
  if (!timestamp) {
    return '';
  }
  const dot = timestamp.indexOf('.');
  if (dot < 0) {
    return timestamp.slice(0, -1) + '.000000000Z';
  }
  return timestamp.slice(0, dot + 1) + timestamp.slice(dot + 1, -1).padEnd(9, '0') + 'Z';
}

/** JSON for reading, two spaces. */
export function json(value) {
  return JSON.stringify(value, null, 2);
}
