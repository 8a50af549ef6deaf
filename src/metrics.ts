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

// A function, not a module-level constant: each module-level object makes
// every request's VM dearer (BENCHMARKS.md, "Counters").
export function metricCatalogue(): Metric[] {
  return [
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
}

// Upper bounds of the lookup duration buckets, in seconds. A tracker on the
// same network answers get_paths in about a millisecond; seconds mean trouble.
export function lookupBuckets(): number[] {
  return [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
}

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

// Everything below runs for every answer when counters are on. In the njs
// engine an array or object literal, a template string, map() or join() each
// cost a microsecond or more, so this path adds strings with + and calls a sink
// instead of building lists (about 1 us per answer instead of 30).

// Entries of an $upstream_status or $upstream_response_time value, as nginx
// writes them ("502, 504 : 404"): how many there are, and their sum (NaN when
// none is a number). By hand, without callbacks.
function isSeparator(c: number): boolean {
  return c === 44 || c === 58; // "," or ":"
}

function entryAt(value: string, start: number, end: number): string {
  const entry = value.slice(start, end).trim();
  return entry === "-" ? "" : entry;
}

function countEntries(value: string): number {
  // The usual values, "" and one status, without slicing anything.
  if (value === "" || value === "-") {
    return 0;
  }
  if (value.indexOf(",") < 0 && value.indexOf(":") < 0) {
    return 1;
  }
  let count = 0;
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || isSeparator(value.charCodeAt(i))) {
      if (entryAt(value, start, i) !== "") {
        count++;
      }
      start = i + 1;
    }
  }
  return count;
}

function sumEntries(value: string): number {
  let sum = Number.NaN;
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || isSeparator(value.charCodeAt(i))) {
      const entry = entryAt(value, start, i);
      const n = entry === "" ? Number.NaN : Number(entry);
      if (!Number.isNaN(n)) {
        sum = Number.isNaN(sum) ? n : sum + n;
      }
      start = i + 1;
    }
  }
  return sum;
}

// A label value as Prometheus text needs it: backslash, quote and newline escaped.
export function labelValue(value: string): string {
  if (value.indexOf("\\") < 0 && value.indexOf('"') < 0 && value.indexOf("\n") < 0) {
    return value;
  }
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function series(name: string, labels: Array<[string, string]>): string {
  let text = name;
  for (let i = 0; i < labels.length; i++) {
    text += (i === 0 ? "{" : ",") + labels[i][0] + '="' + labelValue(labels[i][1]) + '"';
  }
  return labels.length === 0 ? text : text + "}";
}

// Label values come from a small known set, so a client cannot grow the
// dictionary with methods or codes of its own.
function methodLabel(method: string): string {
  return method === "GET" || method === "HEAD" || method === "PUT" || method === "DELETE"
    ? method
    : "other";
}

// A tracker's error code: lower-case letters, digits and "_", at most 40.
function codeLabel(code: string): string {
  if (code.length > 40) {
    return "other";
  }
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    const letter = c >= 97 && c <= 122;
    if (!(letter || (i > 0 && ((c >= 48 && c <= 57) || c === 95)))) {
      return "other";
    }
  }
  return code === "" ? "other" : code;
}

// $upstream_cache_status as a label; "" when there was no cached lookup.
function cacheLabel(cache: string): string {
  switch (cache) {
    case "HIT":
      return "hit";
    case "MISS":
      return "miss";
    case "EXPIRED":
      return "expired";
    case "STALE":
      return "stale";
    case "UPDATING":
      return "updating";
    case "BYPASS":
      return "bypass";
    case "REVALIDATED":
      return "revalidated";
    default:
      return "";
  }
}

// The bucket a duration falls in: its upper bound, or "+Inf".
export function bucketOf(seconds: number): string {
  const bounds = lookupBuckets();
  for (let i = 0; i < bounds.length; i++) {
    if (seconds <= bounds[i]) {
      return String(bounds[i]);
    }
  }
  return "+Inf";
}

// Where increments go: the ngx.shared dictionary itself (incr(key, delta, init)),
// or a stand-in in tests. Called directly, not through a callback: a closure per
// request is one more allocation in the njs engine.
export type Counters = { incr(series: string, by: number, init: number): unknown };

// What one answered request adds to the counters, handed to `add` series by
// series. The histogram is kept as one count per bucket (not cumulative); the
// status output adds them up.
export function addIncrements(facts: RequestFacts, counters: Counters): void {
  counters.incr(
    'mogilefs_gateway_requests_total{method="' +
      methodLabel(facts.method) +
      '",status="' +
      facts.status +
      '"}',
    1,
    0,
  );
  const trackersTried = countEntries(facts.lookupStatus);
  const cache = cacheLabel(facts.cache);
  if (cache !== "" || trackersTried > 0) {
    counters.incr('mogilefs_gateway_lookups_total{cache="' + (cache || "uncached") + '"}', 1, 0);
  }
  if (trackersTried > 0) {
    counters.incr("mogilefs_gateway_tracker_lookups_total", 1, 0);
    if (trackersTried > 1) {
      counters.incr("mogilefs_gateway_tracker_failovers_total", trackersTried - 1, 0);
    }
    const seconds = sumEntries(facts.lookupTime);
    if (!Number.isNaN(seconds)) {
      counters.incr(
        'mogilefs_gateway_lookup_duration_seconds_bucket{le="' + bucketOf(seconds) + '"}',
        1,
        0,
      );
      counters.incr("mogilefs_gateway_lookup_duration_seconds_sum", seconds, 0);
      counters.incr("mogilefs_gateway_lookup_duration_seconds_count", 1, 0);
    }
  }
  // A cached "unknown key" carries the code too, but no tracker said it now;
  // writes ask trackers without the lookup, and set the code themselves.
  const asked = trackersTried > 0 || facts.method === "PUT" || facts.method === "DELETE";
  if (facts.trackerError !== "" && asked) {
    counters.incr(
      'mogilefs_gateway_tracker_errors_total{code="' + codeLabel(facts.trackerError) + '"}',
      1,
      0,
    );
  }
  const storageTried = countEntries(facts.storageStatus);
  if (storageTried > 1) {
    counters.incr("mogilefs_gateway_path_failovers_total", storageTried - 1, 0);
  }
  if (facts.method === "PUT" && facts.status === 201) {
    counters.incr("mogilefs_gateway_uploads_total", 1, 0);
    const bytes = Number(facts.contentLength);
    if (facts.contentLength !== "" && Number.isFinite(bytes) && bytes > 0) {
      counters.incr("mogilefs_gateway_uploaded_bytes_total", bytes, 0);
    }
  }
}

// The same as a list, for tests and tools.
export function increments(facts: RequestFacts): Increment[] {
  const out: Increment[] = [];
  addIncrements(facts, {
    incr: (name: string, by: number): number => {
      out.push({ series: name, by: by });
      return 0;
    },
  });
  return out;
}
