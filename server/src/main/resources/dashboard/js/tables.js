// The queues (ListQueues) and workers (ListWorkers) views: read when shown, on "Refresh", and after
// the executions stream reports changes (at most once a second), so they follow the queue without
// a timer of their own.

import { describeError, executions } from './api.js';
import { el, replace } from './dom.js';
import { dateTime, duration, millis } from './format.js';

const AFTER_CHANGES_MS = 1000;

class ReadView {
  constructor({ root, method, title, columns, rows, empty }) {
    this.root = root;
    this.method = method;
    this.title = title;
    this.columns = columns;
    this.rows = rows;
    this.empty = empty;
    this.visible = false;
  }

  show() {
    this.visible = true;
    this.load();
  }

  hide() {
    this.visible = false;
  }

  /** The executions stream saw a change: read again soon, if shown. */
  changed() {
    if (this.visible && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.visible) {
          this.load();
        }
      }, AFTER_CHANGES_MS);
    }
  }

  async load() {
    let content;
    try {
      const answer = await executions(this.method, {});
      const rows = this.rows(answer);
      content = rows.length === 0 ? el('p', { className: 'muted', textContent: this.empty })
        : el('table', { className: 'grid' },
          el('thead', {}, el('tr', {}, this.columns.map((name) => el('th', { scope: 'col', textContent: name })))),
          el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((cell, i) => (i === 0
            ? el('th', { scope: 'row' }, cell) : el('td', {}, cell)))))));
    } catch (error) {
      content = el('p', { className: 'notice', 'data-kind': 'error', role: 'alert',
        textContent: describeError(error, this.title) });
    }
    replace(this.root,
      el('header', { className: 'view-head' }, el('h2', { textContent: this.title }),
        el('button', { type: 'button', textContent: 'Refresh', onclick: () => this.load() })),
      content);
  }
}

export function queuesView(root) {
  return new ReadView({
    root,
    method: 'ListQueues',
    title: 'Queues',
    empty: 'No pipeline has queued or running executions or live workers.',
    columns: ['Pipeline', 'Queued', 'Of which scheduled', 'Running', 'Oldest queued', 'Waiting for', 'Workers'],
    rows: (answer) => (answer.queues || []).map((queue) => [
      el('a', { href: '#/?pipeline=' + encodeURIComponent(queue.pipeline), textContent: queue.pipeline }),
      String(Number(queue.queuedCount || 0)),
      String(Number(queue.scheduledCount || 0)),
      String(Number(queue.runningCount || 0)),
      dateTime(queue.oldestQueueTime),
      queue.oldestQueueTime ? duration(Date.now() - millis(queue.oldestQueueTime)) : '',
      String(queue.workerCount || 0),
    ]),
  });
}

export function workersView(root) {
  return new ReadView({
    root,
    method: 'ListWorkers',
    title: 'Workers',
    empty: 'No worker was seen in the last few minutes.',
    columns: ['Worker', 'Pipelines', 'Running', 'Last seen', 'API key'],
    rows: (answer) => (answer.workers || []).map((worker) => [
      worker.workerId,
      (worker.pipelines || []).join(', '),
      String(worker.runningCount || 0),
      `${dateTime(worker.lastSeenTime)} (${duration(Date.now() - millis(worker.lastSeenTime))} ago)`,
      worker.keyId || '',
    ]),
  });
}
