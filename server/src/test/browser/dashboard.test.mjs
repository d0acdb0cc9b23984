// The dashboard in a real browser (Debian's chromium through puppeteer-core) against the real jar.
// Run by .ci/browser after `mvn package`; see docs/dashboard.md. Waits are for conditions, with
// timeouts; the only timed one is the acceptance's "appears within 2 s".

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { breakableCable, connect, grpc, root, shell, startServer } from './runplane.mjs';

const tools = process.env.RUNPLANE_BROWSER_TOOLS || join(root, '.ci', '.tools', 'browser');
const puppeteer = createRequire(join(tools, 'package.json'))('puppeteer-core');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
/** What "live" promises: a committed change is on the open page within this time. */
const LIVE_MS = 2000;
/** Generous bound for everything else (a shared CI machine). */
const WAIT_MS = 15000;

describe('dashboard', () => {
  let server;
  let browser;
  let page;
  let call;
  const problems = [];

  before(async () => {
    server = await startServer();
    call = connect(server.base);
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await open(browser);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A new tab on the dashboard that records script errors and CSP refusals. */
  async function open(context) {
    const tab = await context.newPage();
    await tab.setViewport({ width: 1360, height: 820 });
    tab.on('pageerror', (error) => problems.push('page error: ' + error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
        problems.push('console: ' + message.text());
      }
    });
    await tab.goto(server.base + '/', { waitUntil: 'domcontentloaded' });
    return tab;
  }

  const row = (id, status) => `#executions tr[data-id="${id}"]` + (status ? `[data-status="${status}"]` : '');

  /** Waits until the list shows exactly these ids among those given (others may be there too). */
  async function listShows(tab, shown, hidden) {
    await tab.waitForFunction((yes, no) => {
      const ids = new Set([...document.querySelectorAll('#executions tbody tr[data-id]')].map((tr) => tr.dataset.id));
      return yes.every((id) => ids.has(id)) && no.every((id) => !ids.has(id));
    }, { timeout: WAIT_MS }, shown, hidden);
  }

  async function live(tab) {
    await tab.waitForSelector('#list-notice[data-kind="live"]', { timeout: WAIT_MS });
  }

  async function setText(tab, selector, text) {
    await tab.$eval(selector, (input) => { input.value = ''; });
    await tab.type(selector, text);
    await tab.keyboard.press('Enter');
  }

  const run = async (request) => (await call('ExecutionService', 'Run', request)).execution;

  /** An execution that a worker claimed, reported steps for, and finished (or failed). */
  async function worked(pipeline, { fail } = {}) {
    const queued = await run({ pipeline, labels: { twin: 'turbine-7' }, inputs: { day: '2026-12-04' } });
    const poll = await call('WorkerService', 'Poll', { workerId: 'browser-worker', pipelines: [pipeline], maxWait: '5s' });
    const { lease } = poll.assignments[0];
    const t0 = Date.now() - 4000;
    const at = (ms) => new Date(t0 + ms).toISOString();
    await call('WorkerService', 'Heartbeat', { lease, message: 'extracting', steps: [
      { name: 'extract', status: 'STEP_STATUS_SUCCEEDED', startTime: at(0), endTime: at(1200), message: '1,204 rows' },
      { name: 'transform', status: 'STEP_STATUS_RUNNING', startTime: at(1200) }] });
    if (fail) {
      await call('WorkerService', 'Fail', { lease, error: 'disk full on /data', steps: [
        { name: 'transform', status: 'STEP_STATUS_FAILED', startTime: at(1200), endTime: at(3000) }] });
    } else {
      await call('WorkerService', 'Complete', { lease, outputs: { rows: 1204 }, message: 'done', steps: [
        { name: 'transform', status: 'STEP_STATUS_SUCCEEDED', startTime: at(1200), endTime: at(2600) },
        { name: 'load', status: 'STEP_STATUS_SUCCEEDED', startTime: at(2600), endTime: at(3400) }] });
    }
    return queued.id;
  }

  test('a Run made over gRPC appears within 2 s without a reload, and turns CANCELLED live', async () => {
    await live(page);
    await page.evaluate(() => { window.notReloaded = true; });
    const { execution } = await grpc(server.grpc, 'ExecutionService/Run',
      { pipeline: 'live-demo', labels: { twin: 'turbine-3' } });
    await page.waitForSelector(row(execution.id, 'QUEUED'), { timeout: LIVE_MS });
    await grpc(server.grpc, 'ExecutionService/Cancel', { id: execution.id, reason: 'not today' });
    await page.waitForSelector(row(execution.id, 'CANCELLED'), { timeout: LIVE_MS });
    assert.equal(await page.evaluate(() => window.notReloaded), true);
  });

  test('after a network break the stream resumes where it was: a Run made meanwhile appears once', async () => {
    const cable = await breakableCable(new URL(server.base).port);
    const tab = await browser.newPage();
    try {
      await tab.goto(`http://127.0.0.1:${cable.port}/`, { waitUntil: 'domcontentloaded' });
      await live(tab);
      const watches = [];
      tab.on('request', (request) => request.url().includes('/WatchExecutions?') && watches.push(request));
      cable.cut();
      await tab.waitForSelector('#list-notice[data-kind="pending"]', { timeout: WAIT_MS });
      const { execution } = await grpc(server.grpc, 'ExecutionService/Run', { pipeline: 'offline-demo' });
      cable.mend();
      await tab.waitForSelector(row(execution.id, 'QUEUED'), { timeout: WAIT_MS });
      await live(tab);
      const resumed = watches.map((request) => ({
        message: JSON.parse(new URL(request.url()).searchParams.get('message')),
        lastEventId: request.headers()['last-event-id'],
      })).filter((r) => r.message.afterSequence);
      assert.ok(resumed.length > 0, 'reconnects with after_sequence: ' + watches.map((r) => r.url()).join(' '));
      for (const r of resumed) {
        assert.equal(r.message.snapshot, undefined);
        assert.equal(r.lastEventId, String(r.message.afterSequence));
      }
      assert.equal(await tab.$$eval(row(execution.id), (trs) => trs.length), 1);
    } finally {
      await tab.close();
      cable.close();
    }
  });

  test('filters and free text narrow the list', async () => {
    const alpha = (await run({ pipeline: 'f-alpha', labels: { twin: 'turbine-21' } })).id;
    const beta = (await run({ pipeline: 'f-beta', labels: { twin: 'turbine-22' } })).id;
    const trial = (await run({ pipeline: 'f-alpha', mode: 'EXECUTION_MODE_EXPERIMENT', labels: { twin: 'turbine-21' } })).id;
    await listShows(page, [alpha, beta], [trial]);

    await page.click('input[name="mode"][value="all"]');
    await listShows(page, [alpha, beta, trial], []);

    await setText(page, '#pipelines', 'f-alpha');
    await listShows(page, [alpha, trial], [beta]);
    // The list's "same query from a terminal" lines are exact: the Search and the SSE stream.
    const lines = await page.$$eval('#list-commands code', (codes) => codes.map((c) => c.textContent));
    const search = JSON.parse(await shell(lines.find((l) => l.startsWith('curl -sS'))));
    assert.deepEqual(search.executions.map((e) => e.id).sort(), [alpha, trial].sort());
    const sse = await shell(lines.find((l) => l.startsWith('curl -N')) + ' --max-time 2 || true');
    assert.match(sse, new RegExp(`event: snapshot\ndata: .*"id":"${trial}"`));
    assert.match(sse, /event: snapshot_complete\nid: \d+\n/);

    await setText(page, '#pipelines', '');
    await setText(page, '#labels', 'twin=turbine-22');
    await listShows(page, [beta], [alpha, trial]);

    await setText(page, '#labels', '');
    await call('ExecutionService', 'Cancel', { id: alpha });
    await page.select('#status', 'CANCELLED');
    await listShows(page, [alpha], [beta, trial]);
    // A row that enters the status filter while shown comes live; one that leaves it goes.
    await call('ExecutionService', 'Cancel', { id: beta });
    await listShows(page, [alpha, beta], [trial]);
    await page.select('#status', 'QUEUED');
    await listShows(page, [trial], [alpha, beta]);
    await call('ExecutionService', 'Cancel', { id: trial });
    await listShows(page, [], [alpha, beta, trial]);

    await page.select('#status', '');
    await setText(page, '#query', 'turbine-21');
    await page.waitForSelector('#list-notice[data-kind="search"]', { timeout: WAIT_MS });
    await listShows(page, [alpha, trial], [beta]);

    await page.click('#clear');
    await live(page);
    await listShows(page, [alpha, beta], [trial]);
  });

  test('the detail view shows steps, outputs and history', async () => {
    const id = await worked('steps-demo');
    await page.goto(`${server.base}/#/executions/${id}`);
    await page.waitForSelector('#detail-steps', { timeout: WAIT_MS });
    const steps = await page.$$eval('#detail-steps tbody th', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(steps, ['extract', 'transform', 'load']);
    const bars = await page.$$eval('#detail-steps .bar', (spans) => spans.map((s) => s.getBoundingClientRect().width));
    assert.ok(bars.every((width) => width > 0), 'every step has a bar in the timeline: ' + bars);
    const history = await page.$$eval('#detail-history tbody tr', (trs) => trs.map((tr) => tr.cells[2].textContent));
    assert.equal(history[0], 'new → QUEUED');
    assert.ok(history.includes('QUEUED → RUNNING'), history.join('; '));
    assert.equal(history[history.length - 1], 'RUNNING → SUCCEEDED');
    assert.match(await page.$eval('#detail-outputs', (pre) => pre.textContent), /"rows": 1204/);
    assert.match(await page.$eval('#detail-json', (pre) => pre.textContent), new RegExp(`"id": "${id}"`));
    // The copyable lines are exact: run from the repository's root, they answer this execution.
    const lines = await page.$$eval('#view-detail .commands code', (codes) => codes.map((c) => c.textContent));
    for (const tool of ['curl ', 'buf curl ']) {
      const line = lines.find((l) => l.startsWith(tool));
      assert.ok(line, tool + 'in ' + lines.join('\n'));
      const answer = JSON.parse(await shell(line.replace(/^buf curl /, `bash ${join(root, '.ci', 'buf')} curl `)));
      assert.equal(answer.execution.id, id, line);
    }
  });

  test('Cancel from the page cancels, and the list shows it', async () => {
    const execution = await run({ pipeline: 'cancel-demo' });
    await page.goto(`${server.base}/#/executions/${execution.id}`);
    await page.waitForSelector('#cancel:not([disabled])', { timeout: WAIT_MS });
    await page.click('#cancel');
    await page.waitForFunction(() => document.querySelector('#detail-title .status')?.textContent === 'CANCELLED',
      { timeout: WAIT_MS });
    const stored = await call('ExecutionService', 'GetExecution', { id: execution.id });
    assert.equal(stored.execution.status, 'EXECUTION_STATUS_CANCELLED');
    await page.click('.crumbs a');
    await page.waitForSelector(row(execution.id, 'CANCELLED'), { timeout: WAIT_MS });
  });

  test('Rerun from the page queues a new execution and shows it', async () => {
    const first = await run({ pipeline: 'rerun-demo', inputs: { day: '2026-12-01' } });
    await page.goto(`${server.base}/#/executions/${first.id}`);
    await page.waitForSelector('#rerun', { timeout: WAIT_MS });
    await page.click('#rerun');
    await page.waitForFunction((id) => location.hash.startsWith('#/executions/') && !location.hash.endsWith(id)
      && document.querySelector('#detail-json')?.textContent.includes(`"rerunOf": "${id}"`), { timeout: WAIT_MS }, first.id);
    await page.click('.crumbs a');
  });

  test('queues and workers views list what the server has', async () => {
    await run({ pipeline: 'queue-demo' });
    await page.click('#nav-queues');
    await page.waitForFunction(() => [...document.querySelectorAll('#view-queues tbody th')]
      .some((th) => th.textContent === 'queue-demo'), { timeout: WAIT_MS });
    await page.click('#nav-workers');
    await page.waitForFunction(() => [...document.querySelectorAll('#view-workers tbody th')]
      .some((th) => th.textContent === 'browser-worker'), { timeout: WAIT_MS });
  });

  test('screenshot for the README', async () => {
    await worked('nightly-report', { fail: true });
    await run({ pipeline: 'nightly-report', labels: { twin: 'turbine-9', template: 'daily' }, mode: 'EXECUTION_MODE_EXPERIMENT' });
    const running = await run({ pipeline: 'hourly-sync', labels: { twin: 'turbine-7' } });
    const poll = await call('WorkerService', 'Poll', { workerId: 'browser-worker', pipelines: ['hourly-sync'], maxWait: '5s' });
    await call('WorkerService', 'Heartbeat', { lease: poll.assignments[0].lease, message: 'reading sensors' });
    await page.click('#nav-executions');
    await page.click('input[name="mode"][value="all"]');
    await page.waitForSelector(row(running.id, 'RUNNING'), { timeout: WAIT_MS });
    // CI keeps the tree clean: the README's copy is rewritten only when asked (docs/dashboard.md).
    await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT ?? join(root, 'server', 'target', 'dashboard.png') });
  });

  test('free text pages with More (Search page_token)', async () => {
    const runs = Array.from({ length: 60 }, (_, i) => ({ pipeline: 'paged-demo', labels: { batch: 'many-' + (i % 2) } }));
    const { results } = await call('ExecutionService', 'RunBatch', { runs });
    const ids = results.map((result) => result.execution.id);
    await setText(page, '#query', 'paged-demo');
    await page.waitForSelector('#list-notice[data-kind="search"]', { timeout: WAIT_MS });
    const count = () => page.$$eval('#executions tbody tr[data-id]', (trs) => trs.length);
    await page.waitForFunction(() => document.querySelectorAll('#executions tbody tr[data-id]').length === 50,
      { timeout: WAIT_MS });
    await page.waitForSelector('#more:not([hidden])', { timeout: WAIT_MS });
    await page.click('#more');
    await listShows(page, ids, []);
    assert.equal(await count(), 60);
    await page.waitForSelector('#more[hidden]', { timeout: WAIT_MS });
    await page.click('#clear');
    await live(page);
  });

  test('the live list keeps 1,000 rows and More brings back the older ones, each once', async () => {
    const ids = [];
    for (let batch = 0; batch < 11; batch++) {
      const runs = Array.from({ length: 100 }, () => ({ pipeline: 'bulk-demo' }));
      const { results } = await call('ExecutionService', 'RunBatch', { runs });
      ids.push(...results.map((result) => result.execution.id));
    }
    await setText(page, '#pipelines', 'bulk-demo');
    await live(page);
    const shown = () => page.$$eval('#executions tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
    await page.waitForFunction(() => document.querySelectorAll('#executions tbody tr[data-id]').length === 1000,
      { timeout: WAIT_MS });
    // Until every id is shown: a stream that starts over (as the page does after a break inside
    // its snapshot) shows the 1,000 newest again and More is pressed again; the checks stay exact.
    for (let click = 0; click < 30 && (await shown()).length < ids.length; click++) {
      await page.waitForSelector('#more:not([hidden]):not([disabled])', { timeout: WAIT_MS });
      const before = (await shown()).length;
      // From the keyboard, as a person at the end of a long list would.
      await page.focus('#more');
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => document.querySelector('#more').hidden
        || document.querySelectorAll('#executions tbody tr[data-id]').length !== n, { timeout: WAIT_MS }, before);
    }
    const rows = await shown();
    assert.equal(new Set(rows).size, rows.length, 'no row twice');
    assert.deepEqual([...rows].sort(), [...ids].sort());
    await page.click('#clear');
    await live(page);
  });

  test('with keys the page asks for one, refuses a wrong one, and explains a missing scope', async () => {
    const admin = await call('KeyService', 'CreateKey',
      { scopes: ['KEY_SCOPE_ADMIN', 'KEY_SCOPE_READ', 'KEY_SCOPE_RUN'], description: 'browser test' });
    const reader = await connect(server.base, admin.token)('KeyService', 'CreateKey',
      { scopes: ['KEY_SCOPE_READ'], description: 'browser test, read only' });
    const queued = (await connect(server.base, admin.token)('ExecutionService', 'Run', { pipeline: 'keys-demo' })).execution;

    const context = await browser.createBrowserContext();
    const tab = await open(context);
    await tab.waitForSelector('#key-dialog[open]', { timeout: WAIT_MS });
    await tab.type('#key-input', 'rpk_nosuchkey_wrongsecret');
    await tab.click('#key-submit');
    await tab.waitForSelector('#key-error:not([hidden])', { timeout: WAIT_MS });
    assert.match(await tab.$eval('#key-error', (p) => p.textContent), /refused/);
    assert.equal(await tab.$eval('#key-dialog', (d) => d.open), true);

    await tab.$eval('#key-input', (input) => { input.value = ''; });
    await tab.type('#key-input', reader.token);
    await tab.click('#key-submit');
    await tab.waitForSelector('#key-dialog:not([open])', { timeout: WAIT_MS });
    assert.equal(await tab.$eval('#who-key', (span) => span.textContent), 'Key ' + reader.key.id);
    await live(tab);
    await tab.waitForSelector(row(queued.id, 'QUEUED'), { timeout: WAIT_MS });

    await tab.goto(`${server.base}/#/executions/${queued.id}`);
    await tab.waitForSelector('#cancel:not([disabled])', { timeout: WAIT_MS });
    await tab.click('#cancel');
    await tab.waitForSelector('#alert:not([hidden])', { timeout: WAIT_MS });
    assert.match(await tab.$eval('#alert-text', (span) => span.textContent),
      new RegExp(`Cancel is not allowed for the key ${reader.key.id}`));
    await context.close();
  });

  test('no script error and no CSP refusal on any page', () => {
    assert.deepEqual(problems, []);
  });
});
