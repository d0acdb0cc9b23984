// One execution: summary, steps with a small timeline, outputs and error, history, the JSON, Cancel
// and Rerun, and the same call as a command line. It follows the execution with its own
// WatchExecution stream and re-reads it (GetExecution, ListExecutionEvents) on each change, since
// events carry neither steps nor outputs.

import { describeError, executions } from './api.js';
import { openStream, watchUrl } from './sse.js';
import { copyText, el, replace } from './dom.js';
import { commandLines } from './commands.js';
import { statusBadge } from './rows.js';
import {
  dateTime, duration, enumName, int64, isActive, json, millis, modeOf, statusOf, timings,
} from './format.js';

/** Re-reads at most this often while changes stream in. */
const REFRESH_MS = 250;

export class ExecutionDetail {
  /**
   * @param root the <section> the view renders into
   * @param alert function(text) that shows a message in the page's alert area
   * @param navigate function(hash) that moves the page elsewhere
   */
  constructor({ root, alert, navigate }) {
    this.root = root;
    this.alert = alert;
    this.navigate = navigate;
    this.stream = null;
    this.id = null;
  }

  /** Shows one execution, and follows it until hide(). */
  async show(id) {
    this.hide();
    this.id = id;
    this.execution = null;
    replace(this.root, el('p', { className: 'notice', textContent: 'Loading execution ' + id + '…' }));
    await this.refresh();
    if (this.id !== id || !this.execution) {
      return;
    }
    this.stream = openStream({
      url: (after) => watchUrl('WatchExecution', after ? { id, afterRevision: after, heartbeatInterval: '10s' }
        : { id, heartbeatInterval: '10s' }),
      resumeOnEnd: false,
      onMessage: (name, message) => {
        const event = message.event;
        if (name === 'event' && event && this.execution && int64(event.revision) > int64(this.execution.revision)) {
          this.scheduleRefresh();
        }
      },
      onError: (error) => this.id === id && this.alert(describeError(error, 'Following this execution')),
    });
  }

  hide() {
    if (this.stream) {
      this.stream.close();
      this.stream = null;
    }
    clearTimeout(this.timer);
    this.id = null;
  }

  scheduleRefresh() {
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.refresh();
      }, REFRESH_MS);
    }
  }

  async refresh() {
    const id = this.id;
    try {
      const [got, history] = await Promise.all([
        executions('GetExecution', { id }),
        executions('ListExecutionEvents', { id, pageSize: 1000 }),
      ]);
      if (this.id === id) {
        this.execution = got.execution;
        this.render(got.execution, history.events || [], history.nextPageToken || '');
      }
    } catch (error) {
      if (this.id === id) {
        replace(this.root, el('p', { className: 'notice', 'data-kind': 'error', role: 'alert',
          textContent: describeError(error, 'Reading execution ' + id) }),
        el('p', {}, el('a', { href: '#/', textContent: 'Back to the executions' })));
      }
    }
  }

  render(execution, events, nextPageToken) {
    const status = statusOf(execution);
    replace(this.root,
      el('nav', { className: 'crumbs' }, el('a', { href: '#/', textContent: '← Executions' })),
      el('header', { className: 'detail-head' },
        el('h2', { id: 'detail-title' }, execution.pipeline, ' ', statusBadge(status)),
        el('code', { className: 'id', textContent: execution.id }),
        el('div', { className: 'actions' },
          el('button', { type: 'button', id: 'cancel', textContent: 'Cancel', disabled: !isActive(status),
            title: isActive(status) ? 'Cancel this execution' : 'Only queued or running executions can be cancelled',
            onclick: () => this.cancel(execution) }),
          el('button', { type: 'button', id: 'rerun', textContent: 'Rerun',
            title: 'Queue a new execution with the same inputs', onclick: () => this.rerun(execution) }))),
      summary(execution),
      execution.error ? el('section', { className: 'panel' }, el('h3', { textContent: 'Error' }),
          el('pre', { className: 'error', id: 'detail-error', textContent: execution.error })) : null,
      el('section', { className: 'panel', 'aria-labelledby': 'steps-title' },
        el('h3', { id: 'steps-title', textContent: `Steps (${(execution.steps || []).length})` }),
        steps(execution)),
      el('section', { className: 'panel' }, el('h3', { textContent: 'Outputs' }),
        el('pre', { id: 'detail-outputs', textContent: execution.outputs ? json(execution.outputs) : 'none yet' })),
      el('section', { className: 'panel' }, el('h3', { textContent: 'Inputs' }),
        el('pre', { textContent: execution.inputs ? json(execution.inputs) : 'none' })),
      el('section', { className: 'panel', 'aria-labelledby': 'history-title' },
        el('h3', { id: 'history-title', textContent: `History (${events.length}${nextPageToken ? '+' : ''} events)` }),
        history(events)),
      el('section', { className: 'panel' }, el('h3', { textContent: 'The same call from a terminal' }),
        commands('GetExecution', { id: execution.id })),
      el('details', { className: 'panel' }, el('summary', { textContent: 'JSON' }),
        el('pre', { id: 'detail-json', textContent: json(execution) })));
  }

  async cancel(execution) {
    try {
      const answer = await executions('Cancel', { id: execution.id, reason: 'cancelled from the dashboard' });
      this.alert(`Execution ${execution.id} is ${statusOf(answer.execution)}.`, 'info');
      this.scheduleRefresh();
    } catch (error) {
      this.alert(describeError(error, 'Cancel'));
    }
  }

  async rerun(execution) {
    try {
      const answer = await executions('Rerun', { id: execution.id });
      this.alert(`Rerun queued as execution ${answer.execution.id}.`, 'info');
      this.navigate('#/executions/' + encodeURIComponent(answer.execution.id));
    } catch (error) {
      this.alert(describeError(error, 'Rerun'));
    }
  }
}

function summary(execution) {
  const { waiting, running } = timings(execution);
  const trigger = execution.trigger || {};
  const link = (id) => (id ? el('a', { href: '#/executions/' + encodeURIComponent(id), textContent: id }) : null);
  const items = [
    ['Mode', modeOf(execution).toLowerCase()],
    ['Priority', String(execution.priority || 0)],
    ['Labels', Object.entries(execution.labels || {}).map(([k, v]) => el('span', { className: 'chip', textContent: `${k}=${v}` }))],
    ['Trigger', [enumName(trigger.kind, 'TRIGGER_KIND_').toLowerCase() || 'api', trigger.actor ? ' by ' + trigger.actor : '']],
    ['Attempt', `${execution.attempt || 0} of ${execution.maxAttempts || 1}`],
    ['Queue position', execution.queuePosition ? String(execution.queuePosition) : null],
    ['Worker', execution.workerId || null],
    ['Created', dateTime(execution.createTime)],
    ['Queued', dateTime(execution.queueTime)],
    ['Started', dateTime(execution.startTime)],
    ['Ended', dateTime(execution.endTime)],
    ['Updated', dateTime(execution.updateTime)],
    ['Waiting time', duration(waiting)],
    ['Execution time', duration(running)],
    ['Message', execution.message || null],
    ['Rerun of', link(execution.rerunOf)],
    ['Parent', link(execution.parentId)],
    ['Duplicate of', link(execution.duplicateOf)],
    ['Request id', execution.requestId || null],
    ['Dedup key', execution.dedupKey || null],
    ['Revision', String(int64(execution.revision))],
  ].filter(([, value]) => value !== null && value !== '' && !(Array.isArray(value) && value.length === 0));
  return el('dl', { className: 'summary', id: 'detail-summary' },
    items.map(([name, value]) => [el('dt', { textContent: name }), el('dd', {}, value)]));
}

/** The steps as a table with a timeline: each bar spans the step's time within the execution's. */
function steps(execution) {
  const list = execution.steps || [];
  if (list.length === 0) {
    return el('p', { className: 'muted', textContent: 'No steps reported.' });
  }
  const now = Date.now();
  const starts = [millis(execution.startTime), ...list.map((s) => millis(s.startTime))].filter((t) => t !== null);
  const ends = [millis(execution.endTime), ...list.map((s) => millis(s.endTime) ?? millis(s.startTime))]
      .filter((t) => t !== null);
  const from = starts.length ? Math.min(...starts) : now;
  const to = Math.max(from + 1, ...(execution.endTime ? ends : [...ends, now]));
  const span = to - from;
  return el('table', { className: 'steps', id: 'detail-steps' },
    el('thead', {}, el('tr', {}, ['Step', 'Status', 'Started', 'Ended', 'Took', 'Timeline', 'Message']
        .map((name) => el('th', { scope: 'col', textContent: name })))),
    el('tbody', {}, list.map((step) => {
      const start = millis(step.startTime);
      const end = millis(step.endTime);
      const bar = el('span', { className: 'bar step-' + enumName(step.status, 'STEP_STATUS_').toLowerCase() });
      if (start !== null) {
        // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
        bar.style.marginLeft = `${((start - from) / span) * 100}%`;
        bar.style.width = `${Math.max(0.5, (((end ?? now) - start) / span) * 100)}%`;
      }
      return el('tr', {},
        el('th', { scope: 'row', textContent: step.name }),
        el('td', { textContent: enumName(step.status, 'STEP_STATUS_') }),
        el('td', { className: 'time', textContent: dateTime(step.startTime) }),
        el('td', { className: 'time', textContent: dateTime(step.endTime) }),
        el('td', { className: 'num', textContent: start !== null ? duration((end ?? now) - start) : '' }),
        el('td', { className: 'timeline', 'aria-hidden': 'true' }, bar),
        el('td', { className: 'text', textContent: step.message || '' }));
    })));
}

function history(events) {
  if (events.length === 0) {
    return el('p', { className: 'muted', textContent: 'No events.' });
  }
  return el('table', { className: 'history', id: 'detail-history' },
    el('thead', {}, el('tr', {}, ['Revision', 'Time', 'Change', 'Actor', 'Reason']
        .map((name) => el('th', { scope: 'col', textContent: name })))),
    el('tbody', {}, events.map((event) => el('tr', {},
      el('td', { className: 'num', textContent: String(int64(event.revision)) }),
      el('td', { className: 'time', textContent: dateTime(event.eventTime), title: event.eventTime || '' }),
      el('td', { textContent: `${enumName(event.fromStatus, 'EXECUTION_STATUS_') || 'new'} → ${enumName(event.toStatus, 'EXECUTION_STATUS_')}` }),
      el('td', { textContent: event.actor || '' }),
      el('td', { className: 'text', textContent: event.reason || '' })))));
}

/** Command lines with a copy button each (extra: more {tool, line} entries). */
export function commands(method, request, extra = []) {
  return el('ul', { className: 'commands' }, [...commandLines(method, request), ...extra].map(({ tool, line }) => {
    const code = el('code', { textContent: line });
    const button = el('button', { type: 'button', className: 'copy', textContent: 'Copy', 'aria-label': 'Copy the ' + tool + ' line',
      onclick: async () => {
        try {
          await copyText(line);
          button.textContent = 'Copied';
        } catch (error) {
          button.textContent = 'Select and copy';
        }
      } });
    return el('li', {}, el('span', { className: 'tool', textContent: tool }), code, button);
  }));
}
