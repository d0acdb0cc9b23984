// Server-Sent Events over fetch(). EventSource cannot send an Authorization header, and the server
// refuses API keys in URLs (they would land in access logs), so the page reads the stream itself:
// the same GET, Accept: text/event-stream, the key in the header, and on a reconnect the
// Last-Event-ID header with the last id received, which resumes exactly as EventSource would.

import { ConnectError, authHeaders, noteError } from './api.js';

/** Codes after which a reconnect would only be refused again: the caller decides what next. */
const FINAL = new Set(['unauthenticated', 'permission_denied', 'invalid_argument', 'not_found',
  'unimplemented', 'out_of_range', 'failed_precondition']);

/** The URL of a watch RPC with its request in Connect's GET encoding (a URL-encoded JSON message). */
export function watchUrl(method, request) {
  return `/runplane.v1.ExecutionService/${method}?encoding=json&message=`
      + encodeURIComponent(JSON.stringify(request));
}

/**
 * Opens a stream and keeps it open across network breaks until close().
 *   url(lastEventId): the URL to GET; lastEventId is '' for the first connection (and after a break
 *     before any resume point), else the last SSE id received, which the request resumes after
 *     (after_sequence, after_revision). The Last-Event-ID header carries the same value, as
 *     EventSource would send it.
 *   onRestart(): called before a reconnection that has no resume point (a break during a
 *     snapshot): the stream starts over, so the caller drops what it had
 *   onMessage(eventName, message): one SSE event, its data parsed as JSON
 *   onState("connecting" | "open" | "reconnecting" | "closed"): for the page's live indicator
 *   onError(ConnectError): the stream ended for good (a FINAL code); not called after close()
 *   silenceMs: with no byte for this long (heartbeats included) the connection is taken as dead
 *   resumeOnEnd: reconnect when the server ends the stream normally (WatchExecutions never ends;
 *     WatchExecution ends after the terminal state)
 */
export function openStream({ url, onMessage, onRestart = () => {}, onState = () => {}, onError = () => {},
  silenceMs = 35000, resumeOnEnd = true }) {
  let closed = false;
  let controller = null;
  let lastEventId = '';

  async function connectOnce() {
    controller = new AbortController();
    const headers = { Accept: 'text/event-stream', ...authHeaders() };
    if (lastEventId) {
      headers['Last-Event-ID'] = lastEventId;
    }
    const response = await fetch(url(lastEventId), { headers, signal: controller.signal, cache: 'no-store' });
    if (!response.ok) {
      throw ConnectError.fromBody(response.status, await response.text());
    }
    onState('open');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    let watchdog = setTimeout(() => controller.abort(), silenceMs);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          return;
        }
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), silenceMs);
        for (const event of parser.push(value)) {
          // "0" is no resume point (a heartbeat during a snapshot): resuming "after 0" means "from now".
          if (event.id !== null && event.id !== '' && event.id !== '0') {
            lastEventId = event.id;
          }
          if (event.name === 'error') {
            const body = JSON.parse(event.data);
            throw new ConnectError(body.code || 'unknown', body.message || '', response.status, body.details || []);
          }
          if (!closed) {
            onMessage(event.name, event.data ? JSON.parse(event.data) : {});
          }
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  async function run() {
    let failures = 0;
    let first = true;
    while (!closed) {
      onState(first ? 'connecting' : 'reconnecting');
      if (!first && !lastEventId) {
        onRestart();
      }
      first = false;
      try {
        await connectOnce();
        if (!resumeOnEnd) {
          break;
        }
        failures = 0;
      } catch (error) {
        if (closed) {
          break;
        }
        if (error instanceof ConnectError && FINAL.has(error.code)) {
          closed = true;
          onState('closed');
          onError(noteError(error));
          return;
        }
        failures += 1;
      }
      // 0.25 s, 0.5 s, 1 s ... at most 5 s between attempts, with jitter so tabs spread out.
      const wait = Math.min(5000, 250 * 2 ** Math.max(0, failures - 1)) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, failures === 0 ? 100 : wait));
    }
    onState('closed');
  }

  run();
  return {
    close() {
      closed = true;
      if (controller) {
        controller.abort();
      }
    },
  };
}

/**
 * The event-stream format (html.spec.whatwg.org, "Parsing an event stream"): lines of
 * "field: value", an empty line ends an event, ":" starts a comment; the id persists across
 * events until a new one is sent.
 */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.name = '';
    this.data = [];
    this.id = null;
  }

  /** Feeds text; answers the events completed by it. */
  push(text) {
    this.buffer += text;
    const events = [];
    let newline;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) {
        break;
      }
      const line = this.buffer.slice(0, newline);
      const skip = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + skip);
      const event = this.line(line);
      if (event) {
        events.push(event);
      }
    }
    return events;
  }

  line(line) {
    if (line === '') {
      if (this.data.length === 0 && !this.name && this.id === null) {
        return null;
      }
      const event = { name: this.name || 'message', data: this.data.join('\n'), id: this.id };
      this.reset();
      return event;
    }
    if (line.startsWith(':')) {
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this.name = value;
    } else if (field === 'data') {
      this.data.push(value);
    } else if (field === 'id' && !value.includes('\0')) {
      this.id = value;
    }
    return null;
  }
}
