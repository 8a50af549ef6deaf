// The stream bridge's logic: an HTTP request from nginx's http side becomes one
// tracker line, and the tracker's answer line becomes an HTTP response.
//
// nginx cannot speak the tracker protocol from the http module, but it can proxy
// HTTP over a unix socket to a stream server whose js_filter rewrites the bytes.
// That keeps tracker connections alive (http upstream keepalive), lets nginx fail
// over between trackers, and lets proxy_cache keep answers.
//
// Request from nginx:  GET /<command>?<args, already tracker-encoded> HTTP/1.1
//                      X-MogileFS-Arg-<name>: <raw bytes>   (any number, e.g. Key)
// Response to nginx:   status by answer, X-MogileFS-* headers, the answer line
//                      as the body (JS callers parse it with protocol.ts); to
//                      HEAD, the same headers and no body at all.
import { type Answer, parseAnswer, pathsOf } from "./protocol";

export type BridgeRequest =
  | { ok: true; command: string; line: string; head: boolean }
  | { ok: false; status: number; reason: string };

const CR = 13;
const LF = 10;

// Request targets carry args that the caller has already encoded; only the
// encoder's alphabet may appear, so nothing can split the tracker line.
const TARGET = /^\/([a-z][a-z0-9_]*)(?:\?([A-Za-z0-9_,\-./:%+=&]*))?$/;
// Headers whose raw value becomes one more arg, encoded here: nginx has no
// encoder of its own, and a key may hold any byte but CR and LF.
const ARG_HEADER = /^x-mogilefs-arg-([a-z][a-z0-9_]*)$/;

// Bytes a key may hold raw in a tracker line: the tracker's own safe alphabet.
function isSafeByte(b: number): boolean {
  return (
    (b >= 48 && b <= 58) || // 0-9 :
    (b >= 65 && b <= 90) || // A-Z
    (b >= 97 && b <= 122) || // a-z
    b === 95 || // _
    b === 44 || // ,
    b === 45 || // -
    b === 46 || // .
    b === 47 // /
  );
}

// Percent-encodes raw bytes (a key exactly as nginx holds it, UTF-8 or not).
export function encodeBytes(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (isSafeByte(b)) {
      out += String.fromCharCode(b);
    } else if (b === 32) {
      out += "+";
    } else {
      out += b < 16 ? `%0${b.toString(16).toUpperCase()}` : `%${b.toString(16).toUpperCase()}`;
    }
  }
  return out;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    out += String.fromCharCode(bytes[i]);
  }
  return out;
}

// The end of the first request head in `bytes` (just past CRLF CRLF), or -1.
export function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) {
      return i + 4;
    }
  }
  return -1;
}

// Turns one request head (request line and headers, CRLF CRLF included) into a
// tracker line. A request nginx's http side would never send gets 400.
export function bridgeRequest(head: Uint8Array): BridgeRequest {
  let lineEnd = -1;
  for (let i = 0; i + 1 < head.length; i++) {
    if (head[i] === CR && head[i + 1] === LF) {
      lineEnd = i;
      break;
    }
  }
  if (lineEnd < 0) {
    return { ok: false, status: 400, reason: "no request line" };
  }
  const requestLine = /^(GET|POST|HEAD) (\S+) HTTP\/1\.[01]$/.exec(ascii(head, 0, lineEnd));
  if (!requestLine) {
    return { ok: false, status: 400, reason: "not a bridge request line" };
  }
  const target = TARGET.exec(requestLine[2]);
  if (!target) {
    return { ok: false, status: 400, reason: "request target is not /<command>?<encoded args>" };
  }
  let args = target[2] || "";
  let pos = lineEnd + 2;
  while (pos < head.length) {
    let end = pos;
    while (end + 1 < head.length && !(head[end] === CR && head[end + 1] === LF)) {
      end++;
    }
    if (end === pos) {
      break;
    }
    let colon = pos;
    while (colon < end && head[colon] !== 58) {
      colon++;
    }
    const arg = ARG_HEADER.exec(ascii(head, pos, colon).toLowerCase());
    if (arg) {
      let start = colon + 1;
      while (start < end && (head[start] === 32 || head[start] === 9)) {
        start++;
      }
      let stop = end;
      while (stop > start && (head[stop - 1] === 32 || head[stop - 1] === 9)) {
        stop--;
      }
      args += `${args === "" ? "" : "&"}${arg[1]}=${encodeBytes(head, start, stop)}`;
    }
    pos = end + 2;
  }
  return {
    ok: true,
    command: target[1],
    line: `${target[1]} ${args}\r\n`,
    head: requestLine[1] === "HEAD",
  };
}

// A storage URL nginx may proxy to: http, a host and an optional port, a path of
// printable bytes without query or fragment. Anything else from a tracker is
// dropped rather than handed to proxy_pass.
const STORAGE_URL = /^http:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/[!$&'()*+,\-./0-9:;=@A-Z_a-z~%]*$/;

export function isStorageUrl(url: string): boolean {
  return STORAGE_URL.test(url);
}

// How many paths the bridge hands to nginx as X-MogileFS-PathN headers: the
// failover chain in the snippets has this many named locations.
export const MAX_PATHS = 4;

function headerValue(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, " ");
}

// Tracker errors that say the tracker itself is in trouble (its database is
// gone, a command died), not anything about the key.
const TRACKER_TROUBLE = ["failure", "db"];

// Status codes the http side acts on. 200: an OK answer with something to use.
// 401: the key is unknown (auth_request passes 401 through, and the lookup
// cache keeps it briefly). 403: any other tracker answer that ends the request,
// such as an ERR or a get_paths with no usable path. 502: the answer line was
// not a tracker answer, or the tracker is in trouble, so nginx asks the next
// tracker for a lookup and serves stale cached paths when none can answer.
export function responseStatus(command: string, answer: Answer, usablePaths: number): number {
  if (answer.kind === "malformed") {
    return 502;
  }
  if (answer.kind === "err") {
    if (TRACKER_TROUBLE.indexOf(answer.code) >= 0) {
      return 502;
    }
    return answer.code === "unknown_key" ? 401 : 403;
  }
  if (command === "get_paths" && usablePaths === 0) {
    return 403;
  }
  return 200;
}

const REASONS: { [status: number]: string } = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  502: "Bad Gateway",
};

// A HEAD answer says Content-Length: 0 and sends nothing: nginx caches it as is,
// and keeps the connection even when it stops reading after the headers.
function httpResponse(
  status: number,
  headers: string[],
  body: string,
  close: boolean,
  head?: boolean,
): string {
  const sent = head === true ? "" : body;
  const all = headers.concat([
    `Content-Length: ${sent.length}`,
    "Content-Type: text/plain",
    close ? "Connection: close" : "Connection: keep-alive",
  ]);
  return `HTTP/1.1 ${status} ${REASONS[status]}\r\n${all.join("\r\n")}\r\n\r\n${sent}`;
}

// The HTTP response for one tracker answer line. `tracker` names the tracker that
// answered, for logs. A malformed answer closes the connection: what the tracker
// will send next on it can no longer be trusted to belong to the next request.
// `head`: the request was HEAD (the lookup, which needs only the headers).
export function bridgeResponse(
  command: string,
  rawLine: string,
  tracker: string,
  head?: boolean,
): string {
  const answer = parseAnswer(rawLine);
  const headers = [`X-MogileFS-Tracker: ${headerValue(tracker)}`];
  let usable = 0;
  if (answer.kind === "ok" && command === "get_paths") {
    const paths = pathsOf(answer.args).filter(isStorageUrl).slice(0, MAX_PATHS);
    usable = paths.length;
    headers.push(`X-MogileFS-Paths: ${paths.length}`);
    for (let i = 0; i < paths.length; i++) {
      headers.push(`X-MogileFS-Path${i + 1}: ${paths[i]}`);
    }
    if (paths.length === 0) {
      headers.push("X-MogileFS-Error: no_paths");
    }
  } else if (answer.kind === "err") {
    headers.push(`X-MogileFS-Error: ${headerValue(answer.code)}`);
  } else if (answer.kind === "malformed") {
    headers.push("X-MogileFS-Error: malformed_answer");
  }
  const status = responseStatus(command, answer, usable);
  // Only printable ASCII goes into a body that is then logged or parsed.
  const body = `${rawLine.replace(/\r?\n$/, "").replace(/[^\x20-\x7e]/g, "?")}\r\n`;
  return httpResponse(status, headers, body, answer.kind === "malformed", head);
}

// The answer to a request the bridge refuses without asking a tracker.
export function bridgeRefusal(status: number, reason: string): string {
  return httpResponse(status, [`X-MogileFS-Error: ${headerValue(reason)}`], `${reason}\r\n`, true);
}
