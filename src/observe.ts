// Handlers for counting, status and health. Counting runs as a js_header_filter
// in the gateway's locations, only where the build rendered it (njs with
// ngx.shared); status and health run in their own locations.
import { addIncrements, type RequestFacts } from "./metrics";
import {
  healthAnswer,
  prometheusText,
  type StatusInput,
  statusJson,
  type TrackerCheck,
  trackerCheck,
  wantsPrometheus,
} from "./status";
import { variable } from "./variables";
import { VERSION } from "./version";

// The js_shared_dict_zone the build renders in http {} when counters are on.
const ZONE = "mogilefs_metrics";

function metricsDict(): NgxSharedDict | null {
  const shared = ngx.shared;
  if (shared === undefined) {
    return null;
  }
  const dict = shared[ZONE];
  return dict === undefined ? null : dict;
}

// js_header_filter: adds what this request did to the counters. Reads only
// variables nginx already holds; never changes the response.
export function count(r: NginxHTTPRequest): void {
  const dict = metricsDict();
  if (dict === null) {
    return;
  }
  // This runs for every answer: read only the variables that can matter (a
  // cached read has no lookup time, only a PUT has a body length).
  const lookupStatus = variable(r, "mogilefs_lookup_status");
  const facts: RequestFacts = {
    method: r.method,
    status: r.status,
    cache: variable(r, "mogilefs_cache"),
    lookupStatus: lookupStatus,
    lookupTime: lookupStatus === "" ? "" : variable(r, "mogilefs_lookup_time"),
    trackerError: variable(r, "mogilefs_error"),
    storageStatus: variable(r, "upstream_status"),
    contentLength: r.method === "PUT" ? variable(r, "content_length") : "",
  };
  try {
    addIncrements(facts, dict);
  } catch (e) {
    // A full zone must not fail the request: the answer goes out uncounted.
    r.warn(`mogilefs: counters not updated: ${(e as Error).message}`);
  }
}

// Asks every tracker `noop` at once, each through its own bridge socket.
function checkTrackers(r: NginxHTTPRequest): Promise<TrackerCheck[]> {
  const trackers = variable(r, "mogilefs_tracker_list")
    .split(" ")
    .filter((t) => t !== "");
  const timeout = variable(r, "mogilefs_health_timeout");
  return Promise.all(
    trackers.map((tracker, i) => {
      const started = Date.now();
      return r
        .subrequest(`/_mogilefs/noop/${i + 1}`, { method: "GET" })
        .then((reply) =>
          trackerCheck(tracker, reply.status, (Date.now() - started) / 1000, timeout),
        );
    }),
  );
}

export async function health(r: NginxHTTPRequest): Promise<void> {
  const checks = await checkTrackers(r);
  const answer = healthAnswer(checks);
  r.headersOut["Content-Type"] = "text/plain";
  r.headersOut["Cache-Control"] = "no-store";
  r.return(answer.status, answer.body);
}

function statusInput(trackers: TrackerCheck[]): StatusInput {
  const dict = metricsDict();
  const entries: Array<[string, number]> = [];
  if (dict !== null) {
    const items = dict.items();
    for (let i = 0; i < items.length; i++) {
      entries.push([items[i][0], Number(items[i][1])]);
    }
  }
  const problem =
    ngx.shared === undefined
      ? `njs ${njs.version} has no ngx.shared (njs 0.8.0 and later have it)`
      : dict === null
        ? `no js_shared_dict_zone named ${ZONE} (status.counters is off in the build)`
        : "";
  return {
    version: VERSION,
    njs: njs.version,
    countersKept: dict !== null,
    countersProblem: problem,
    entries: entries,
    trackers: trackers,
  };
}

export async function status(r: NginxHTTPRequest): Promise<void> {
  const checks = await checkTrackers(r);
  const input = statusInput(checks);
  const format = variable(r, "arg_format");
  if (format !== "" && format !== "json" && format !== "prometheus") {
    r.headersOut["Content-Type"] = "text/plain";
    r.return(400, "Bad Request: format is json or prometheus\n");
    return;
  }
  r.headersOut["Cache-Control"] = "no-store";
  if (wantsPrometheus(format, variable(r, "http_accept"))) {
    r.headersOut["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8";
    r.return(200, prometheusText(input));
  } else {
    r.headersOut["Content-Type"] = "application/json";
    r.return(200, statusJson(input));
  }
}
