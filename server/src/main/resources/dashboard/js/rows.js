// One execution as a row of the executions table, with the columns of the seeds' Execution Logs.

import { el } from './dom.js';
import { dateTime, duration, int64, modeOf, shortDateTime, statusOf, timings } from './format.js';

/** The number of columns, and where the two clock-driven ones are (ExecutionList.tick). */
export const COLUMNS = 11;
export const WAITING_CELL = 8;
export const RUNNING_CELL = 9;

/** One table row, as the seeds' Execution Logs show it. */
export function row(execution) {
  const status = statusOf(execution);
  const { waiting, running } = timings(execution);
  const labels = Object.entries(execution.labels || {});
  const text = execution.error || execution.message || '';
  const tr = el('tr', { 'data-id': execution.id, 'data-revision': String(int64(execution.revision)),
    'data-status': status },
    el('td', {}, statusBadge(status)),
    el('td', { className: 'pipeline' }, el('a', { href: '#/executions/' + encodeURIComponent(execution.id), textContent: execution.pipeline,
      title: 'Details of execution ' + execution.id })),
    el('td', { textContent: modeOf(execution).toLowerCase() }),
    el('td', {}, labels.map(([key, value]) => el('span', { className: 'chip', textContent: `${key}=${value}` }))),
    timeCell(execution.createTime),
    timeCell(execution.queueTime),
    timeCell(execution.startTime),
    timeCell(execution.endTime),
    el('td', { className: 'num', textContent: duration(waiting) }),
    el('td', { className: 'num', textContent: duration(running) }),
    el('td', { className: execution.error ? 'text error' : 'text', textContent: text, title: text }));
  return tr;
}

function timeCell(timestamp) {
  return el('td', { className: 'time' }, timestamp
      ? el('time', { dateTime: timestamp, textContent: shortDateTime(timestamp), title: dateTime(timestamp) + ' (' + timestamp + ')' })
      : '');
}

/** A status as a badge; its class gives it its colour (app.css). */
export function statusBadge(status) {
  return el('span', { className: 'status status-' + status.toLowerCase().replaceAll('_', '-'), textContent: status });
}
