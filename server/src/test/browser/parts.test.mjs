// The dashboard's pure parts in node, without a browser: the event-stream parser and the
// timestamp arithmetic that "more" pages depend on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../main/resources/dashboard/js/sse.js';
import { newestFirst, plusOneMicrosecond, timestampKey } from '../../main/resources/dashboard/js/format.js';

test('the SSE parser joins events split anywhere, CRLF included, and keeps ids as sent', () => {
  const stream = 'event: snapshot\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: a comment\n\nid: 42\nevent: event\ndata: {}\n\n'
      + 'event: heartbeat\ndata:{"b":2}\n\n';
  for (let cut = 0; cut <= stream.length; cut++) {
    const parser = new SseParser();
    const events = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
    assert.deepEqual(events, [
      { name: 'snapshot', data: '{"a":\n1}', id: null },
      { name: 'event', data: '{}', id: '42' },
      { name: 'heartbeat', data: '{"b":2}', id: null },
    ], 'cut at ' + cut);
  }
});

test('one microsecond later, exactly, across second and day boundaries', () => {
  assert.equal(plusOneMicrosecond('2026-12-04T21:40:05.123456Z'), '2026-12-04T21:40:05.123457Z');
  assert.equal(plusOneMicrosecond('2026-12-04T21:40:05Z'), '2026-12-04T21:40:05.000001Z');
  assert.equal(plusOneMicrosecond('2026-12-04T21:40:05.5Z'), '2026-12-04T21:40:05.500001Z');
  assert.equal(plusOneMicrosecond('2026-12-31T23:59:59.999999Z'), '2027-01-01T00:00:00.000000Z');
  assert.equal(plusOneMicrosecond('2026-12-04T21:40:05.123456789Z'), '2026-12-04T21:40:05.123457Z');
});

test('newest first to the nanosecond, ties by id descending', () => {
  const rows = [
    { id: 'a', createTime: '2026-12-04T21:40:05.1Z' },
    { id: 'b', createTime: '2026-12-04T21:40:05.100001Z' },
    { id: 'c', createTime: '2026-12-04T21:40:05Z' },
    { id: 'd', createTime: '2026-12-04T21:40:05.1Z' },
  ];
  assert.deepEqual(rows.sort(newestFirst).map((r) => r.id), ['b', 'd', 'a', 'c']);
  assert.ok(timestampKey('2026-12-04T21:40:05Z') < timestampKey('2026-12-04T21:40:05.000000001Z'));
});
