// PUT and DELETE. nginx has spooled the request body to a file before these run;
// the body goes to storage by a subrequest that proxies it from that file, so
// no byte of it passes through JavaScript.
import { encodeBytes } from "./bridge";
import { type TrackerReply, trackerCommand } from "./http";
import { logAt } from "./log";
import { type Args, openedFileOf } from "./protocol";
import { checksumFromContentMd5, storageAccepted, trackerFailure, type WriteError } from "./store";
import { variable } from "./variables";

// The key arg for a tracker command, from the key's bytes exactly as nginx holds
// them, as the bridge encodes the key of a lookup. r.variables turns bytes that
// are not valid UTF-8 into U+FFFD from njs 0.8 on (0.7 kept them as a byte
// string), so %FF and %FE would both be stored as one key no lookup asks for.
function keyArg(r: NginxHTTPRequest): string {
  const raw = r.rawVariables.mogilefs_key;
  return `key=${raw === undefined ? "" : encodeBytes(raw, 0, raw.length)}`;
}

function answer(r: NginxHTTPRequest, status: number, body: string): void {
  r.headersOut["Content-Type"] = "text/plain";
  r.return(status, body);
}

function fail(r: NginxHTTPRequest, error: WriteError): void {
  logAt(r, error.level, error.log);
  answer(r, error.status, error.body);
}

// A tracker answer that ended a write. Its ERR code goes into $mogilefs_error,
// as a lookup's does, for the access log and the counters.
function trackerFail(
  r: NginxHTTPRequest,
  command: string,
  reply: TrackerReply,
  domain: string,
  key: string,
): void {
  if (reply.answer.kind === "err") {
    r.variables.mogilefs_error = reply.answer.code;
  }
  fail(r, trackerFailure(command, reply.answer, reply.httpStatus, domain, key));
}

// After a write, the cached lookup of the key must not serve what was there
// before: ask a tracker again and store its answer in the cache.
async function refreshLookup(r: NginxHTTPRequest): Promise<void> {
  r.variables.mogilefs_fresh = "1";
  const reply = await r.subrequest("/_mogilefs/lookup", { method: "GET" });
  if (reply.headersOut["X-MogileFS-Tracker"] === undefined) {
    logAt(r, "warn", `lookup refresh after ${r.method} found no tracker (HTTP ${reply.status})`);
  }
}

// Sends the spooled body to one destination; true when the storage node took it.
async function storeAt(r: NginxHTTPRequest, path: string): Promise<boolean> {
  r.variables.mogilefs_put_path = path;
  const reply = await r.subrequest("/_mogilefs/store", { method: "PUT" });
  if (storageAccepted(reply.status)) {
    return true;
  }
  logAt(r, "error", `storage PUT to ${path} answered ${reply.status}`);
  return false;
}

async function put(r: NginxHTTPRequest): Promise<void> {
  const domain = variable(r, "mogilefs_domain");
  const key = variable(r, "mogilefs_key");
  const md5 = checksumFromContentMd5(variable(r, "http_content_md5"));
  if ("problem" in md5) {
    logAt(r, "info", `refused PUT of key "${key}": ${md5.problem}`);
    answer(r, 400, `Bad Request: ${md5.problem}\n`);
    return;
  }
  // Known once nginx has read the body, chunked uploads included.
  const size = variable(r, "content_length") || "0";
  const open = await trackerCommand(
    r,
    "create_open",
    {
      domain: domain,
      // Empty is the default class: the tracker refuses `class=default`.
      class: variable(r, "mogilefs_class"),
      multi_dest: "1",
      size: size,
    },
    keyArg(r),
  );
  const opened = open.answer.kind === "ok" ? openedFileOf(open.answer.args) : null;
  if (opened === null) {
    trackerFail(r, "create_open", open, domain, key);
    return;
  }
  let stored = null;
  for (let i = 0; i < opened.destinations.length && stored === null; i++) {
    if (await storeAt(r, opened.destinations[i].path)) {
      stored = opened.destinations[i];
    }
  }
  if (stored === null) {
    fail(r, {
      status: 502,
      body: "Bad Gateway: no storage node accepted the file\n",
      log: `PUT of domain "${domain}" key "${key}" fid ${opened.fid}: every destination failed`,
      level: "error",
    });
    return;
  }
  const closeArgs: Args = {
    domain: domain,
    fid: opened.fid,
    devid: stored.devid,
    // Exactly as create_open gave it: the tracker compares the string.
    path: stored.path,
    size: size,
  };
  if (md5.checksum !== null) {
    closeArgs.checksum = md5.checksum;
    // The client asked for integrity: have the tracker check the stored bytes.
    closeArgs.checksumverify = "1";
  }
  const close = await trackerCommand(r, "create_close", closeArgs, keyArg(r));
  if (close.answer.kind !== "ok") {
    trackerFail(r, "create_close", close, domain, key);
    return;
  }
  await refreshLookup(r);
  logAt(r, "info", `stored domain "${domain}" key "${key}" as fid ${opened.fid} (${size} bytes)`);
  answer(r, 201, "Created\n");
}

async function remove(r: NginxHTTPRequest): Promise<void> {
  const domain = variable(r, "mogilefs_domain");
  const key = variable(r, "mogilefs_key");
  const reply = await trackerCommand(r, "delete", { domain: domain }, keyArg(r));
  if (reply.answer.kind !== "ok") {
    trackerFail(r, "delete", reply, domain, key);
    return;
  }
  await refreshLookup(r);
  r.return(204);
}

// js_content for PUT and DELETE where the location allows them.
export function write(r: NginxHTTPRequest): void {
  const run = r.method === "PUT" ? put(r) : remove(r);
  run.catch((e: Error) => {
    logAt(r, "error", `${r.method} failed: ${e.message}`);
    answer(r, 500, "Internal Server Error\n");
  });
}
