// What a read that did not end in a storage node's answer turns into.
//
// nginx handles the good path without JavaScript: cached lookup, proxy to path1,
// error_page to the next path. Every other outcome ends in one named location
// whose handler reads what nginx recorded and calls `decideFailure` to pick the
// status, the text for the client and the line for the error log, or to ask
// the tracker once more when every cached path said 404.

export type ReadState = {
  method: string;
  domain: string;
  key: string;
  // Why the request was refused before any lookup ("" when it was not).
  requestProblem: string;
  methodAllowed: boolean;
  allowedMethods: string;
  // The lookup subrequest: $upstream_status there ("" on a cache hit), its cache
  // status, and the bridge's X-MogileFS-Error (the tracker's code, or no_paths).
  lookupStatus: string;
  lookupCache: string;
  trackerError: string;
  tracker: string;
  pathCount: number;
  // $upstream_status of the main request: one entry per storage node tried.
  storageStatus: string;
  // Whether the paths came from a lookup that skipped the cache.
  fresh: boolean;
};

export type Decision =
  | { action: "refresh" }
  | {
      action: "respond";
      status: number;
      body: string;
      log: string;
      // info for what a client caused or a cache can explain; error for trouble.
      level: "info" | "warn" | "error";
      allow: string | null;
    };

function respond(
  status: number,
  body: string,
  log: string,
  level: "info" | "warn" | "error",
  allow?: string,
): Decision {
  return {
    action: "respond",
    status: status,
    body: `${body}\n`,
    log: log,
    level: level,
    allow: allow === undefined ? null : allow,
  };
}

// Entries of an $upstream_status value: "502, 504 : 404" -> ["502", "504", "404"].
export function statusEntries(value: string): string[] {
  return value
    .split(/\s*[,:]\s*/)
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "-");
}

// The methods a location allows, as an Allow header: GET and HEAD when unset,
// and HEAD wherever GET is allowed.
export function allowHeader(methods: string): string {
  const listed = methods
    .toUpperCase()
    .split(/[\s,]+/)
    .filter((m) => m !== "");
  const allowed = listed.length === 0 ? ["GET", "HEAD"] : listed;
  if (allowed.indexOf("GET") >= 0 && allowed.indexOf("HEAD") < 0) {
    allowed.push("HEAD");
  }
  const order = ["GET", "HEAD", "PUT", "DELETE"];
  return order.filter((m) => allowed.indexOf(m) >= 0).join(", ");
}

function lookupFailure(state: ReadState): Decision {
  const where = `domain "${state.domain}" key "${state.key}"`;
  switch (state.trackerError) {
    case "unknown_key":
      return respond(404, "Not Found", `unknown_key: ${where}`, "info");
    case "unreg_domain":
      return respond(
        500,
        "Internal Server Error: unknown domain",
        `unreg_domain: the tracker does not know domain "${state.domain}"`,
        "error",
      );
    case "no_domain":
      return respond(
        500,
        "Internal Server Error: no domain",
        "no_domain: $mogilefs_domain is not set",
        "error",
      );
    case "no_devices":
    case "no_paths":
      return respond(
        503,
        "Service Unavailable: no storage holds the file",
        `${state.trackerError}: ${where} has no usable path (tracker ${state.tracker})`,
        "error",
      );
    case "no_key":
      return respond(400, "Bad Request: empty key", `no_key: ${where}`, "info");
    case "":
      break;
    default:
      return respond(
        502,
        "Bad Gateway: tracker error",
        `${state.trackerError}: tracker ${state.tracker} refused get_paths for ${where}`,
        "error",
      );
  }
  // No tracker answer at all: every tracker was unreachable, timed out, or
  // answered garbage (the bridge turns garbage into 502).
  // nginx adds a 502 ("no live upstreams") once every tracker has failed, so a
  // timeout anywhere in the list means trackers were there but silent.
  const timedOut = statusEntries(state.lookupStatus).indexOf("504") >= 0;
  return timedOut
    ? respond(
        504,
        "Gateway Timeout: no tracker answered in time",
        `tracker timeout (${state.lookupStatus}) for ${where}`,
        "error",
      )
    : respond(
        502,
        "Bad Gateway: no tracker reachable",
        `no tracker answered (${state.lookupStatus || "no live trackers"}) for ${where}`,
        "error",
      );
}

export function decideFailure(state: ReadState): Decision {
  if (!state.methodAllowed) {
    const allow = allowHeader(state.allowedMethods);
    return respond(
      405,
      "Method Not Allowed",
      `${state.method} is not allowed here (allowed: ${allow})`,
      "info",
      allow,
    );
  }
  if (state.requestProblem !== "") {
    return respond(
      400,
      `Bad Request: ${state.requestProblem}`,
      `refused before lookup: ${state.requestProblem}`,
      "info",
    );
  }
  if (state.pathCount === 0) {
    return lookupFailure(state);
  }
  const tried = statusEntries(state.storageStatus);
  const allNotFound = tried.length > 0 && tried.every((s) => s === "404");
  const where = `domain "${state.domain}" key "${state.key}"`;
  if (
    allNotFound &&
    !state.fresh &&
    state.lookupCache !== "MISS" &&
    state.lookupCache !== "BYPASS"
  ) {
    return { action: "refresh" };
  }
  if (allNotFound) {
    return respond(404, "Not Found", `every path of ${where} answered 404`, "warn");
  }
  return respond(
    502,
    "Bad Gateway: no storage node answered",
    `every path of ${where} failed (storage status ${state.storageStatus || "none"})`,
    "error",
  );
}
