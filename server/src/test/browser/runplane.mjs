// The real server for the browser tests: server/target/runplane.jar on free ports with a temporary
// data directory, and small clients for it (Connect/JSON over its HTTP port, gRPC through buf curl).

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const run = promisify(execFile);

/** Starts the jar; resolves once both ports are printed. */
export async function startServer() {
  const work = mkdtempSync(join(tmpdir(), 'runplane-browser-'));
  const child = spawn('java', ['-jar', join(root, 'server', 'target', 'runplane.jar'),
    '--port', '0', '--http-port', '0', '--data-dir', join(work, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ports within 30 s:\n' + log)), 30000);
    const read = (chunk) => {
      log += chunk;
      const grpc = /Runplane listening on [^:\s]+:(\d+)/.exec(log);
      const http = /(http:\/\/[^\s/]+)\/?(\s|$)/.exec(log.split('\n').filter((l) => /dashboard/i.test(l)).join('\n'));
      if (grpc && http) {
        clearTimeout(timer);
        resolve({ grpc: Number(grpc[1]), base: http[1] });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  return {
    ...ports,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A Connect/JSON client of the server's HTTP port. */
export function connect(base, token = '') {
  return async function call(service, method, request = {}) {
    const response = await fetch(`${base}/runplane.v1.${service}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
      body: JSON.stringify(request),
    });
    const body = await response.json();
    if (!response.ok) {
      throw new Error(`${method}: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
    return body;
  };
}

/** Runs a command line in bash from the repository's root; answers its stdout. */
export async function shell(line) {
  const { stdout } = await run('bash', ['-c', line], { cwd: root });
  return stdout;
}

/** One unary call over gRPC (HTTP/2, the gRPC port), through buf curl as .ci/smoke makes it. */
export async function grpc(port, method, request) {
  const { stdout } = await run('bash', [join(root, '.ci', 'buf'), 'curl', '--protocol', 'grpc', '--http2-prior-knowledge',
    '-d', JSON.stringify(request), `http://127.0.0.1:${port}/runplane.v1.${method}`]);
  return JSON.parse(stdout);
}

/**
 * A TCP relay to the server's HTTP port that the test can cut (every open connection dies, new ones
 * are dropped at once: a network outage as the browser sees it) and mend.
 */
export async function breakableCable(targetPort) {
  const sockets = new Set();
  let cut = false;
  const relay = createServer((inbound) => {
    if (cut) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ host: '127.0.0.1', port: Number(targetPort) });
    for (const [a, b] of [[inbound, outbound], [outbound, inbound]]) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: relay.address().port,
    cut() {
      cut = true;
      for (const socket of sockets) {
        socket.destroy();
      }
    },
    mend() {
      cut = false;
    },
    close() {
      this.cut();
      relay.close();
    },
  };
}
