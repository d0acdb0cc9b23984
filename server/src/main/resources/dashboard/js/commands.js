// The same call as a command line, for the terminal: curl and buf curl over Connect reach this very
// HTTP port (buf curl with the schema of a Runplane clone's proto/ folder: the HTTP port serves no
// reflection); grpcurl needs the gRPC port, which the page cannot know (50051 unless the server was
// started with another --port).

import { apiKey } from './api.js';

const GRPC_PORT = 50051;

/** Quotes a value for a POSIX shell (single quotes; a quote inside becomes '\''). */
export function shellQuote(text) {
  return "'" + String(text).replaceAll("'", "'\\''") + "'";
}

/**
 * Command lines for one ExecutionService call. The key is never written out: with a key in this
 * tab the lines read it from $RUNPLANE_API_KEY.
 */
export function commandLines(method, request) {
  const body = shellQuote(JSON.stringify(request));
  const url = `${location.origin}/runplane.v1.ExecutionService/${method}`;
  const keyed = Boolean(apiKey.get());
  const header = keyed ? ' -H "Authorization: Bearer $RUNPLANE_API_KEY"' : '';
  const tls = location.protocol === 'https:';
  return [
    { tool: 'curl', line: `curl -sS -X POST -H 'Content-Type: application/json'${header} -d ${body} ${url}` },
    { tool: 'buf curl', line: `buf curl --schema proto --protocol connect${header} -d ${body} ${url}` },
    { tool: 'grpcurl', line: `grpcurl ${tls ? '' : '-plaintext '}${keyed ? '-H "authorization: Bearer $RUNPLANE_API_KEY" ' : ''}`
        + `-d ${body} ${location.hostname}:${GRPC_PORT} runplane.v1.ExecutionService/${method}` },
  ];
}

/** The list's live stream as curl reads it: Server-Sent Events of WatchExecutions. */
export function streamLine(request) {
  const url = `${location.origin}/runplane.v1.ExecutionService/WatchExecutions?encoding=json&message=`
      + encodeURIComponent(JSON.stringify(request));
  const header = apiKey.get() ? ' -H "Authorization: Bearer $RUNPLANE_API_KEY"' : '';
  return { tool: 'curl (SSE)', line: `curl -N -H 'Accept: text/event-stream'${header} ${shellQuote(url)}` };
}
