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
//
// Memory: a bridge session lives as long as nginx keeps its connection, and the
// njs engine frees nothing before the session ends. In njs 0.7.9 every regular
// expression match costs about 20 KB and every `s += c` copies the whole string,
// so the per-request path here scans bytes and characters by hand and joins
// parts once: a lookup costs a few KB instead of over 200 KB.

import { type Network, storageHostAllowed } from "./networks";
import { type Answer, isRawCode, parseAnswer, pathsOf } from "./protocol";

export type BridgeRequest =
  | { ok: true; command: string; line: string; head: boolean }
  | { ok: false; status: number; reason: string };

const CR = 13;
const LF = 10;

// Request targets carry args that the caller has already encoded; only the
// encoder's alphabet may appear, so nothing can split the tracker line:
// /<command>[?<A-Za-z0-9_,-./:%+=&>].
function isCommandCode(c: number, first: boolean): boolean {
  return (c >= 97 && c <= 122) || (!first && ((c >= 48 && c <= 57) || c === 95));
}

function isEncodedArgCode(c: number): boolean {
  return (
    isRawCode(c) ||
    c === 37 || // %
    c === 43 || // +
    c === 61 || // =
    c === 38 // &
  );
}

// [command, args] of a request target, or null when it is not one.
function parseTarget(target: string): [string, string] | null {
  if (target.charCodeAt(0) !== 47) {
    return null;
  }
  const query = target.indexOf("?");
  const end = query < 0 ? target.length : query;
  if (end < 2) {
    return null;
  }
  for (let i = 1; i < end; i++) {
    if (!isCommandCode(target.charCodeAt(i), i === 1)) {
      return null;
    }
  }
  for (let i = end + 1; i < target.length; i++) {
    if (!isEncodedArgCode(target.charCodeAt(i))) {
      return null;
    }
  }
  return [target.slice(1, end), query < 0 ? "" : target.slice(query + 1)];
}

// Headers whose raw value becomes one more arg, encoded here: nginx has no
// encoder of its own, and a key may hold any byte but CR and LF. The name is
// x-mogilefs-arg-<arg name>, in any case; returns the arg name or null.
const ARG_HEADER_PREFIX = "x-mogilefs-arg-";

function argHeaderName(head: Buffer, start: number, end: number): string | null {
  const prefix = ARG_HEADER_PREFIX.length;
  if (end - start <= prefix) {
    return null;
  }
  for (let i = 0; i < prefix; i++) {
    let c = head[start + i];
    if (c >= 65 && c <= 90) {
      c += 32;
    }
    if (c !== ARG_HEADER_PREFIX.charCodeAt(i)) {
      return null;
    }
  }
  for (let i = start + prefix; i < end; i++) {
    let c = head[i];
    if (c >= 65 && c <= 90) {
      c += 32;
    }
    if (!isCommandCode(c, i === start + prefix)) {
      return null;
    }
  }
  return ascii(head, start + prefix, end).toLowerCase();
}

// Percent-encodes raw bytes (a key exactly as nginx holds it, UTF-8 or not).
// Runs of safe bytes are copied whole, the parts joined once.
const HEX = "0123456789ABCDEF";

export function encodeBytes(bytes: Buffer, start: number, end: number): string {
  const parts: string[] = [];
  let run = start;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (!isRawCode(b)) {
      if (i > run) {
        parts.push(bytes.toString("utf8", run, i));
      }
      parts.push(b === 32 ? "+" : `%${HEX.charAt(b >> 4)}${HEX.charAt(b & 15)}`);
      run = i + 1;
    }
  }
  if (end > run) {
    parts.push(bytes.toString("utf8", run, end));
  }
  return parts.length === 1 ? parts[0] : parts.join("");
}

// Bytes as text for checks against ASCII alphabets: any byte above 0x7f turns
// into a character no alphabet here holds.
function ascii(bytes: Buffer, start: number, end: number): string {
  return bytes.toString("utf8", start, end);
}

// Whitespace as \s knows it in ASCII.
function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
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
export function bridgeRequest(head: Buffer): BridgeRequest {
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
  // <GET|POST|HEAD> <target> HTTP/1.<0|1>
  let space = 0;
  while (space < lineEnd && head[space] !== 32) {
    space++;
  }
  const method = ascii(head, 0, space);
  const version = lineEnd - 9;
  let target = "";
  if (
    (method === "GET" || method === "POST" || method === "HEAD") &&
    version > space + 1 &&
    (ascii(head, version, lineEnd) === " HTTP/1.1" || ascii(head, version, lineEnd) === " HTTP/1.0")
  ) {
    target = ascii(head, space + 1, version);
    for (let i = 0; i < target.length; i++) {
      if (isSpaceCode(target.charCodeAt(i))) {
        target = "";
        break;
      }
    }
  }
  if (target === "") {
    return { ok: false, status: 400, reason: "not a bridge request line" };
  }
  const parsed = parseTarget(target);
  if (parsed === null) {
    return { ok: false, status: 400, reason: "request target is not /<command>?<encoded args>" };
  }
  const args: string[] = parsed[1] === "" ? [] : [parsed[1]];
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
    const arg = argHeaderName(head, pos, colon);
    if (arg !== null) {
      let start = colon + 1;
      while (start < end && (head[start] === 32 || head[start] === 9)) {
        start++;
      }
      let stop = end;
      while (stop > start && (head[stop - 1] === 32 || head[stop - 1] === 9)) {
        stop--;
      }
      args.push(`${arg}=${encodeBytes(head, start, stop)}`);
    }
    pos = end + 2;
  }
  return {
    ok: true,
    command: parsed[0],
    line: `${parsed[0]} ${args.join("&")}\r\n`,
    head: method === "HEAD",
  };
}

// A storage URL nginx may proxy to: http, a host and an optional port, a path of
// printable bytes without query or fragment. Anything else from a tracker is
// dropped rather than handed to proxy_pass.
function isHostCode(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45
  );
}

// A path byte: ! $ & ' ( ) * + , - . / 0-9 : ; = @ A-Z _ a-z ~ %
function isUrlPathCode(c: number): boolean {
  return (
    (c >= 36 && c <= 59 && c !== 34) || // $ % & ' ( ) * + , - . / 0-9 : ;
    c === 33 || // !
    c === 61 || // =
    (c >= 64 && c <= 90) || // @ A-Z
    c === 95 || // _
    (c >= 97 && c <= 122) ||
    c === 126 // ~
  );
}

// http://<A-Za-z0-9.->[:<1-5 digits>]/<path bytes>
export function isStorageUrl(url: string): boolean {
  if (url.slice(0, 7) !== "http://") {
    return false;
  }
  let i = 7;
  while (i < url.length && isHostCode(url.charCodeAt(i))) {
    i++;
  }
  if (i === 7) {
    return false;
  }
  if (url.charCodeAt(i) === 58) {
    const digits = ++i;
    while (i < url.length && url.charCodeAt(i) >= 48 && url.charCodeAt(i) <= 57) {
      i++;
    }
    if (i === digits || i - digits > 5) {
      return false;
    }
  }
  if (url.charCodeAt(i) !== 47) {
    return false;
  }
  for (i++; i < url.length; i++) {
    if (!isUrlPathCode(url.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

// How many paths the bridge hands to nginx as X-MogileFS-PathN headers: the
// failover chain in the snippets has this many named locations.
export const MAX_PATHS = 4;

// `text` with every control character (for a header value) or every character
// outside printable ASCII (for a body) replaced by `by`; usually `text` itself.
function printable(text: string, by: number, header: boolean): string {
  let codes: number[] | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const bad = header ? c < 32 || c === 127 : c < 32 || c > 126;
    if (bad && codes === null) {
      codes = [];
      for (let k = 0; k < i; k++) {
        codes.push(text.charCodeAt(k));
      }
    }
    if (codes !== null) {
      codes.push(bad ? by : c);
    }
  }
  return codes === null ? text : String.fromCharCode.apply(null, codes);
}

function headerValue(text: string): string {
  return printable(text, 32, true);
}

// Tracker errors that say the tracker itself is in trouble (its database is
// gone, a command died), not anything about the key.

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
    if (answer.code === "failure" || answer.code === "db") {
      return 502;
    }
    return answer.code === "unknown_key" ? 401 : 403;
  }
  if (command === "get_paths" && usablePaths === 0) {
    return 403;
  }
  return 200;
}

// The reason phrase for the statuses the bridge answers with. A switch, not a
// module-level table: each module-level object makes every request's VM dearer
// (build/njs-subset.mjs refuses them).
function reason(status: number): string {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 502:
      return "Bad Gateway";
    default:
      return "Error";
  }
}

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
  headers.push(
    `Content-Length: ${sent.length}`,
    "Content-Type: text/plain",
    close ? "Connection: close" : "Connection: keep-alive",
    "",
    sent,
  );
  return `HTTP/1.1 ${status} ${reason(status)}\r\n${headers.join("\r\n")}`;
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
  // storage.allow: when set, only storage hosts inside these networks are used.
  networks?: Network[],
): string {
  const answer = parseAnswer(rawLine);
  const headers = [`X-MogileFS-Tracker: ${headerValue(tracker)}`];
  let usable = 0;
  if (answer.kind === "ok" && command === "get_paths") {
    const paths = pathsOf(answer.args);
    const numbered: string[] = [];
    for (let i = 0; i < paths.length && usable < MAX_PATHS; i++) {
      if (isStorageUrl(paths[i]) && storageHostAllowed(paths[i], networks || [])) {
        usable++;
        numbered.push(`X-MogileFS-Path${usable}: ${paths[i]}`);
      }
    }
    headers.push(`X-MogileFS-Paths: ${usable}`);
    for (let i = 0; i < numbered.length; i++) {
      headers.push(numbered[i]);
    }
    if (usable === 0) {
      headers.push("X-MogileFS-Error: no_paths");
    }
  } else if (answer.kind === "err") {
    headers.push(`X-MogileFS-Error: ${headerValue(answer.code)}`);
  } else if (answer.kind === "malformed") {
    headers.push("X-MogileFS-Error: malformed_answer");
  }
  const status = responseStatus(command, answer, usable);
  // Only printable ASCII goes into a body that is then logged or parsed; a HEAD
  // answer has none.
  let body = "";
  if (head !== true) {
    let end = rawLine.length;
    if (rawLine.charCodeAt(end - 1) === LF) {
      end -= rawLine.charCodeAt(end - 2) === CR ? 2 : 1;
    }
    body = `${printable(rawLine.slice(0, end), 63, false)}\r\n`;
  }
  return httpResponse(status, headers, body, answer.kind === "malformed", head);
}

// The answer to a request the bridge refuses without asking a tracker.
export function bridgeRefusal(status: number, reason: string): string {
  return httpResponse(status, [`X-MogileFS-Error: ${headerValue(reason)}`], `${reason}\r\n`, true);
}
