// The gateway's counters: what one answered request adds to them, and the
// catalogue the status output is rendered from.
//
// Counters live in an ngx.shared dictionary (njs 0.8.0 and later), one entry
// per series, keyed by the series exactly as Prometheus prints it, e.g.
//   mogilefs_gateway_requests_total{method="GET",status="200"}
// Every fact a counter keeps is also in a $mogilefs_* or nginx variable, so on
// older njs the access log carries the same information.

export type MetricType = "counter" | "histogram";

export type Metric = {
  name: string;
  type: MetricType;
  help: string;
  // The log variables that carry the same facts, for njs without ngx.shared.
  log: string;
};

export const METRICS: Metric[] = [
  {
    name: "mogilefs_gateway_requests_total",
    type: "counter",
    help: "Requests answered by the gateway's locations, by method and status.",
    log: "$request_method $status",
  },
  {
    name: "mogilefs_gateway_lookups_total",
    type: "counter",
    help: "Key lookups (get_paths), by cache result: hit, miss, expired, stale, updating, bypass, or uncached when the cache is off.",
    log: "$mogilefs_cache $mogilefs_lookup_status",
  },
  {
    name: "mogilefs_gateway_tracker_lookups_total",
    type: "counter",
    help: "Key lookups sent to a tracker (every lookup the cache did not answer).",
    log: "$mogilefs_lookup_status",
  },
  {
    name: "mogilefs_gateway_lookup_duration_seconds",
    type: "histogram",
    help: "Time from sending a lookup to a tracker to its answer, failovers included.",
    log: "$mogilefs_lookup_time",
  },
  {
    name: "mogilefs_gateway_tracker_failovers_total",
    type: "counter",
    help: "Times a lookup moved on to the next tracker (refused, timed out or garbled).",
    log: "$mogilefs_lookup_status",
  },
  {
    name: "mogilefs_gateway_tracker_errors_total",
    type: "counter",
    help: "Tracker ERR answers by code (unknown_key included), and no_paths for an answer without a usable path.",
    log: "$mogilefs_error",
  },
  {
    name: "mogilefs_gateway_path_failovers_total",
    type: "counter",
    help: "Times a read moved on to the key's next path after a storage node failed.",
    log: "$mogilefs_attempts $upstream_status",
  },
  {
    name: "mogilefs_gateway_uploads_total",
    type: "counter",
    help: "Files stored (PUT answered 201).",
    log: "$request_method $status",
  },
  {
    name: "mogilefs_gateway_uploaded_bytes_total",
    type: "counter",
    help: "Bytes of the files stored.",
    log: "$content_length",
  },
];

// Upper bounds of the lookup duration buckets, in seconds. A tracker on the
// same network answers get_paths in about a millisecond; seconds mean trouble.
export const LOOKUP_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

// What the header filter reads of a request about to be answered.
export type RequestFacts = {
  method: string;
  status: number;
  // $mogilefs_cache: the lookup's $upstream_cache_status ("" without a cached lookup).
  cache: string;
  // $mogilefs_lookup_status: the lookup's $upstream_status, one entry per tracker tried.
  lookupStatus: string;
  // $mogilefs_lookup_time: the lookup's $upstream_response_time, likewise.
  lookupTime: string;
  // $mogilefs_error: the tracker's ERR code, or no_paths.
  trackerError: string;
  // $upstream_status of the request itself: one entry per storage node tried.
  storageStatus: string;
  // The request body's length, for a PUT.
  contentLength: string;
};

export type Increment = { series: string; by: number };

const METHODS = ["GET", "HEAD", "PUT", "DELETE"];
const CACHE_RESULTS = ["HIT", "MISS", "EXPIRED", "STALE", "UPDATING", "BYPASS", "REVALIDATED"];

// Entries of an $upstream_status or $upstream_response_time value:
// "502, 504 : 404" -> ["502", "504", "404"].
function entries(value: string): string[] {
  if (value === "") {
    return [];
  }
  return value
    .split(/\s*[,:]\s*/)
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "-");
}

// A label value as Prometheus text needs it: backslash, quote and newline escaped.
export function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function series(name: string, labels: Array<[string, string]>): string {
  if (labels.length === 0) {
    return name;
  }
  const parts = labels.map((l) => `${l[0]}="${labelValue(l[1])}"`);
  return `${name}{${parts.join(",")}}`;
}

// Label values come from a small known set, so a client cannot grow the
// dictionary with methods or codes of its own.
function methodLabel(method: string): string {
  return METHODS.indexOf(method) >= 0 ? method : "other";
}

function codeLabel(code: string): string {
  return /^[a-z][a-z0-9_]{0,39}$/.test(code) ? code : "other";
}

// The bucket a duration falls in: its upper bound, or "+Inf".
export function bucketOf(seconds: number): string {
  for (let i = 0; i < LOOKUP_BUCKETS.length; i++) {
    if (seconds <= LOOKUP_BUCKETS[i]) {
      return String(LOOKUP_BUCKETS[i]);
    }
  }
  return "+Inf";
}

// What one answered request adds to the counters. The histogram is kept as one
// count per bucket (not cumulative); the status output adds them up.
export function increments(facts: RequestFacts): Increment[] {
  const out: Increment[] = [];
  const add = (name: string, labels: Array<[string, string]>, by: number): void => {
    out.push({ series: series(name, labels), by: by });
  };
  add(
    "mogilefs_gateway_requests_total",
    [
      ["method", methodLabel(facts.method)],
      ["status", String(facts.status)],
    ],
    1,
  );
  const trackersTried = entries(facts.lookupStatus);
  const cache = facts.cache.toUpperCase();
  if (CACHE_RESULTS.indexOf(cache) >= 0) {
    add("mogilefs_gateway_lookups_total", [["cache", cache.toLowerCase()]], 1);
  } else if (trackersTried.length > 0) {
    add("mogilefs_gateway_lookups_total", [["cache", "uncached"]], 1);
  }
  if (trackersTried.length > 0) {
    add("mogilefs_gateway_tracker_lookups_total", [], 1);
    if (trackersTried.length > 1) {
      add("mogilefs_gateway_tracker_failovers_total", [], trackersTried.length - 1);
    }
    const times = entries(facts.lookupTime);
    let seconds = 0;
    let timed = false;
    for (let i = 0; i < times.length; i++) {
      const t = Number(times[i]);
      if (!Number.isNaN(t)) {
        seconds += t;
        timed = true;
      }
    }
    if (timed) {
      const name = "mogilefs_gateway_lookup_duration_seconds";
      add(`${name}_bucket`, [["le", bucketOf(seconds)]], 1);
      add(`${name}_sum`, [], seconds);
      add(`${name}_count`, [], 1);
    }
  }
  // A cached "unknown key" carries the code too, but no tracker said it now;
  // writes ask trackers without the lookup, and set the code themselves.
  const asked = trackersTried.length > 0 || facts.method === "PUT" || facts.method === "DELETE";
  if (facts.trackerError !== "" && asked) {
    add("mogilefs_gateway_tracker_errors_total", [["code", codeLabel(facts.trackerError)]], 1);
  }
  const storageTried = entries(facts.storageStatus);
  if (storageTried.length > 1) {
    add("mogilefs_gateway_path_failovers_total", [], storageTried.length - 1);
  }
  if (facts.method === "PUT" && facts.status === 201) {
    add("mogilefs_gateway_uploads_total", [], 1);
    const bytes = Number(facts.contentLength);
    if (facts.contentLength !== "" && Number.isFinite(bytes) && bytes > 0) {
      add("mogilefs_gateway_uploaded_bytes_total", [], bytes);
    }
  }
  return out;
}
