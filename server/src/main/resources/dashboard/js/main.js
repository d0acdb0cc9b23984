// The page: routes (#/, #/executions/<id>, #/queues, #/workers), the filter form, the API key
// prompt, and the alert area. Each view is its own module.

import { apiKey, authEvents, call, describeError } from './api.js';
import { byId, replace } from './dom.js';
import { ExecutionList, searchFilter } from './list.js';
import { ExecutionDetail, commands } from './detail.js';
import { queuesView, workersView } from './tables.js';
import { streamLine } from './commands.js';

const ACTIVE = ['QUEUED', 'RUNNING', 'CANCELLING'];
const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED'];
const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3, '30d': 30 * 24 * 3600e3 };
/** Typing waits this long after the last key before the list starts over. */
const TYPING_MS = 400;

function showAlert(text, kind = 'error') {
  byId('alert-text').textContent = text;
  byId('alert').dataset.kind = kind;
  byId('alert').hidden = false;
}
byId('alert-close').addEventListener('click', () => {
  byId('alert').hidden = true;
});

const views = {
  executions: byId('view-executions'),
  detail: byId('view-detail'),
  queues: byId('view-queues'),
  workers: byId('view-workers'),
};
const queues = queuesView(views.queues);
const workers = workersView(views.workers);
const detail = new ExecutionDetail({ root: views.detail, alert: showAlert, navigate: (hash) => { location.hash = hash; } });
const list = new ExecutionList({
  table: byId('executions'),
  notice: byId('list-notice'),
  more: byId('more'),
  onEvent: () => {
    queues.changed();
    workers.changed();
  },
});

// ---- The filter form -> one spec: the stream's filter, the statuses applied here, the free text.

const form = byId('filters');

/** The form as {filter, statuses, query}; throws Error with a sentence for a malformed field. */
function readFilters() {
  const data = new FormData(form);
  const filter = {};
  const mode = data.get('mode');
  if (mode === 'production' || mode === 'experiment') {
    filter.modes = ['EXECUTION_MODE_' + mode.toUpperCase()];
  }
  const range = data.get('range');
  let createTime = null;
  if (RANGES[range]) {
    createTime = { start: new Date(Date.now() - RANGES[range]).toISOString() };
  } else if (range === 'custom') {
    const from = data.get('from');
    const to = data.get('to');
    createTime = {};
    if (from) {
      createTime.start = new Date(from).toISOString();
    }
    if (to) {
      createTime.end = new Date(to).toISOString();
    }
  }
  const pipelines = words(data.get('pipelines'));
  if (pipelines.length) {
    filter.pipelines = pipelines;
  }
  const labels = words(data.get('labels'));
  if (labels.length) {
    filter.labels = {};
    for (const pair of labels) {
      const match = /^([^=:]+)[=:](.*)$/.exec(pair);
      if (!match) {
        throw new Error(`Labels are written key=value (or key:value): “${pair}” has neither.`);
      }
      filter.labels[match[1]] = match[2];
    }
  }
  const status = data.get('status');
  const statuses = status === 'active' ? new Set(ACTIVE) : status === 'ended' ? new Set(ENDED)
    : status ? new Set([status]) : null;
  return { filter, statuses, createTime, query: String(data.get('query') || '').trim() };
}

function words(value) {
  return String(value || '').split(/[\s,]+/).filter(Boolean);
}

/** Starts the list over with the form's filter (a new stream). */
function applyFilters() {
  for (const custom of form.querySelectorAll('.custom-range')) {
    custom.hidden = byId('range').value !== 'custom';
  }
  let spec;
  try {
    spec = readFilters();
  } catch (error) {
    showAlert(error.message);
    return;
  }
  byId('alert').hidden = true;
  list.open(spec);
  const request = { filter: searchFilter(spec), query: spec.query || undefined, orderBy: 'create_time desc' };
  replace(byId('list-commands'), commands('Search', request,
      [streamLine({ filter: searchFilter(spec), snapshot: true })]));
}

let typing = null;
form.addEventListener('input', (event) => {
  if (event.target.matches('input[type=text], input[type=search]')) {
    clearTimeout(typing);
    typing = setTimeout(applyFilters, TYPING_MS);
  }
});
form.addEventListener('change', (event) => {
  if (!event.target.matches('input[type=text], input[type=search]')) {
    applyFilters();
  }
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(typing);
  applyFilters();
});
form.addEventListener('reset', () => setTimeout(applyFilters));

// ---- Routes.

function route() {
  const hash = location.hash || '#/';
  const executionMatch = /^#\/executions\/(.+)$/.exec(hash);
  const name = executionMatch ? 'detail' : hash === '#/queues' ? 'queues' : hash === '#/workers' ? 'workers' : 'executions';
  for (const [key, view] of Object.entries(views)) {
    view.hidden = key !== name;
  }
  for (const [id, view] of [['nav-executions', 'executions'], ['nav-queues', 'queues'], ['nav-workers', 'workers']]) {
    if (view === name || (view === 'executions' && name === 'detail')) {
      byId(id).setAttribute('aria-current', 'page');
    } else {
      byId(id).removeAttribute('aria-current');
    }
  }
  if (name === 'detail') {
    const id = decodeURIComponent(executionMatch[1]);
    if (detail.id !== id) {
      detail.show(id);
    }
  } else {
    detail.hide();
  }
  name === 'queues' ? queues.show() : queues.hide();
  name === 'workers' ? workers.show() : workers.hide();
  const pipeline = /^#\/\?pipeline=(.+)$/.exec(hash);
  if (pipeline) {
    byId('pipelines').value = decodeURIComponent(pipeline[1]);
    history.replaceState(null, '', '#/');
    applyFilters();
  }
}
window.addEventListener('hashchange', route);

// ---- The API key: asked for when the server refuses a call for the lack of one.

const dialog = byId('key-dialog');

function showWho() {
  const token = apiKey.get();
  byId('who').hidden = !token;
  byId('who-key').textContent = token ? 'Key ' + (apiKey.id(token) || '(unrecognised form)') : '';
}

authEvents.addEventListener('unauthenticated', (event) => {
  const refused = apiKey.get();
  if (refused) {
    apiKey.clear();
    showWho();
    byId('key-reason').textContent = `The key ${apiKey.id(refused) || ''} was refused: ${event.detail.message}`;
  } else {
    byId('key-reason').textContent = 'This server needs an API key to show its executions.';
  }
  if (!dialog.open) {
    byId('key-error').hidden = true;
    byId('key-input').value = '';
    dialog.showModal();
  }
});

byId('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = byId('key-input').value.trim();
  byId('key-submit').disabled = true;
  try {
    // A key is good if the server takes it; a key that may not read (PERMISSION_DENIED) is still a key.
    await call('ExecutionService', 'Search', { pageSize: 1 }, token).catch((error) => {
      if (error.code !== 'permission_denied') {
        throw error;
      }
      showAlert(describeError(error, 'Reading executions'));
    });
    apiKey.set(token);
    dialog.close();
    showWho();
    applyFilters();
    route();
  } catch (error) {
    byId('key-error').textContent = error.code === 'unauthenticated'
      ? 'The server refused this key: ' + error.message : describeError(error, 'Checking the key');
    byId('key-error').hidden = false;
  } finally {
    byId('key-submit').disabled = false;
  }
});

byId('forget-key').addEventListener('click', () => {
  apiKey.clear();
  showWho();
  applyFilters();
  route();
});

showWho();
applyFilters();
route();
