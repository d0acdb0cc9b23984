// Connect protocol calls (connectrpc.com/docs/protocol) to the same services the gRPC port serves,
// and the API key of this tab.

const KEY_STORAGE = 'runplane.apiKey';

/** Raised for every refused call: the Connect error JSON's code and message, and the HTTP status. */
export class ConnectError extends Error {
  constructor(code, message, httpStatus, details = []) {
    super(message || code);
    this.name = 'ConnectError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.details = details;
  }

  /** Reads a Connect error body; a body that is not one (a proxy's page) maps by HTTP status. */
  static fromBody(httpStatus, text) {
    try {
      const body = JSON.parse(text);
      if (body && typeof body.code === 'string') {
        return new ConnectError(body.code, body.message || '', httpStatus, body.details || []);
      }
    } catch (ignored) {
      // Not JSON: fall through to the status mapping of the Connect protocol.
    }
    return new ConnectError(codeOfHttpStatus(httpStatus), text.slice(0, 200) || `HTTP ${httpStatus}`, httpStatus);
  }
}

/** Connect's mapping of an HTTP status to a code, for answers that carry no Connect error. */
function codeOfHttpStatus(status) {
  switch (status) {
    case 400: return 'internal';
    case 401: return 'unauthenticated';
    case 403: return 'permission_denied';
    case 404: return 'unimplemented';
    case 429: case 502: case 503: case 504: return 'unavailable';
    default: return 'unknown';
  }
}

/** Fires "unauthenticated" (detail: the ConnectError) whenever the server refuses the key or its absence. */
export const authEvents = new EventTarget();

/**
 * The API key is kept in sessionStorage: it lives as long as this tab, is not shared with other
 * tabs and is never sent anywhere but in the Authorization header of this origin's calls.
 */
export const apiKey = {
  get() {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  },
  set(token) {
    sessionStorage.setItem(KEY_STORAGE, token);
  },
  clear() {
    sessionStorage.removeItem(KEY_STORAGE);
  },
  /** The key's id, the text between "rpk_" and the next "_" (what events record as key:<id>). */
  id(token = this.get()) {
    const match = /^rpk_([A-Za-z0-9]+)_/.exec(token);
    return match ? match[1] : '';
  },
};

/** The headers every call carries: the key, when the tab has one. */
export function authHeaders(token = apiKey.get()) {
  return token ? { Authorization: 'Bearer ' + token } : {};
}

/** Reports a refused key (or a missing one) to whoever shows the key prompt. */
export function noteError(error) {
  if (error instanceof ConnectError && error.code === 'unauthenticated') {
    authEvents.dispatchEvent(new CustomEvent('unauthenticated', { detail: error }));
  }
  return error;
}

/**
 * One unary call: POST /runplane.v1.<service>/<method> with the request as JSON. Answers the
 * response message as proto JSON; throws ConnectError when refused. A call with an explicit token
 * (the key prompt trying a key) does not report a refusal to the prompt.
 */
export async function call(service, method, request = {}, token = undefined) {
  const report = token === undefined;
  if (report) {
    token = apiKey.get();
  }
  let response;
  try {
    response = await fetch(`/runplane.v1.${service}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1', ...authHeaders(token) },
      body: JSON.stringify(request),
      cache: 'no-store',
    });
  } catch (networkError) {
    throw new ConnectError('unavailable', 'the server cannot be reached (' + networkError.message + ')', 0);
  }
  const text = await response.text();
  if (!response.ok) {
    const error = ConnectError.fromBody(response.status, text);
    throw report ? noteError(error) : error;
  }
  return text ? JSON.parse(text) : {};
}

export const executions = (method, request) => call('ExecutionService', method, request);

/** A sentence for people about a refused call (shown in the page's alert area). */
export function describeError(error, what) {
  if (!(error instanceof ConnectError)) {
    return `${what} failed: ${error.message}`;
  }
  const id = apiKey.id();
  switch (error.code) {
    case 'permission_denied':
      return `${what} is not allowed for ${id ? 'the key ' + id : 'this caller'}: ${error.message}`;
    case 'unauthenticated':
      return `${what} needs a valid API key: ${error.message}`;
    case 'unimplemented':
      return `${what} is not available on this server (${error.message})`;
    case 'unavailable':
      return `${what} failed, the server is unavailable (${error.message}); try again`;
    default:
      return `${what} failed (${error.code}): ${error.message}`;
  }
}
