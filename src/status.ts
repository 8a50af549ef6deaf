// The status and health answers, rendered from the counters' entries and the
// trackers' answers to `noop`. No nginx objects here: the handlers in observe.ts
// gather the inputs.
import { lookupBuckets, type Metric, metricCatalogue, series } from "./metrics";

export type TrackerCheck = {
  tracker: string;
  up: boolean;
  seconds: number;
  // Why a tracker counts as down ("" when up).
  problem: string;
};

export type StatusInput = {
  version: string;
  njs: string;
  // Whether counters are kept (an ngx.shared zone exists); why not, when not.
  countersKept: boolean;
  countersProblem: string;
  // The dictionary's entries: [series, value].
  entries: Array<[string, number]>;
  trackers: TrackerCheck[];
};

// What a tracker's `noop` subrequest answered, as a check: the bridge answers
// 200 to OK; nginx answers 502 when it could not reach the tracker and 504 when
// the tracker did not answer in time.
export function trackerCheck(
  tracker: string,
  httpStatus: number,
  seconds: number,
  timeout: string,
): TrackerCheck {
  if (httpStatus === 200) {
    return { tracker: tracker, up: true, seconds: seconds, problem: "" };
  }
  const problem =
    httpStatus === 504
      ? `no answer to noop within ${timeout}`
      : httpStatus === 502
        ? "not reachable (refused, closed or garbled answer)"
        : `noop answered with HTTP ${httpStatus}`;
  return { tracker: tracker, up: false, seconds: seconds, problem: problem };
}

// The health location's answer: 200 when at least one tracker answers noop.
export function healthAnswer(checks: TrackerCheck[]): { status: number; body: string } {
  const up = checks.filter((c) => c.up).length;
  const lines = checks.map((c) =>
    c.up
      ? `up ${c.tracker} (${Math.round(c.seconds * 1000)} ms)`
      : `down ${c.tracker}: ${c.problem}`,
  );
  const head =
    up > 0
      ? `ok: ${up} of ${checks.length} trackers answer noop`
      : `unavailable: none of ${checks.length} trackers answers noop`;
  return { status: up > 0 ? 200 : 503, body: `${[head].concat(lines).join("\n")}\n` };
}

// Prometheus format, or JSON: `?format=prometheus|json` first, then the Accept
// header (text/plain or the OpenMetrics type asks for Prometheus text).
export function wantsPrometheus(format: string, accept: string): boolean {
  if (format !== "") {
    return format.toLowerCase() === "prometheus";
  }
  return /\b(text\/plain|application\/openmetrics-text)\b/i.test(accept);
}

type Sample = { name: string; labels: Array<[string, string]>; value: number };

// `name{a="1",b="2"}` -> name and labels; null when the entry is not a series
// this version writes.
function parseSeries(text: string): { name: string; labels: Array<[string, string]> } | null {
  const brace = text.indexOf("{");
  if (brace < 0) {
    return /^[a-z_]+$/.test(text) ? { name: text, labels: [] } : null;
  }
  if (text.charAt(text.length - 1) !== "}") {
    return null;
  }
  const labels: Array<[string, string]> = [];
  const body = text.slice(brace + 1, -1);
  const pattern = /([a-z_]+)="((?:[^"\\]|\\.)*)"(?:,|$)/g;
  let match = pattern.exec(body);
  while (match !== null) {
    labels.push([
      match[1],
      match[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\"),
    ]);
    match = pattern.exec(body);
  }
  return { name: text.slice(0, brace), labels: labels };
}

function labelsKey(labels: Array<[string, string]>): string {
  return labels.map((l) => `${l[0]}=${l[1]}`).join(",");
}

function byLabels(a: Sample, b: Sample): number {
  const x = labelsKey(a.labels);
  const y = labelsKey(b.labels);
  return x < y ? -1 : x > y ? 1 : 0;
}

// The samples of one metric, in print order. A histogram's stored per-bucket
// counts become cumulative buckets, every bound printed, +Inf equal to _count.
function samplesOf(metric: Metric, entries: Array<[string, number]>): Sample[] {
  const own: Sample[] = [];
  for (let i = 0; i < entries.length; i++) {
    const parsed = parseSeries(entries[i][0]);
    if (parsed === null) {
      continue;
    }
    const base =
      metric.type === "histogram" ? parsed.name.replace(/_(bucket|sum|count)$/, "") : parsed.name;
    if (base === metric.name) {
      own.push({ name: parsed.name, labels: parsed.labels, value: entries[i][1] });
    }
  }
  if (metric.type === "counter") {
    return own.sort(byLabels);
  }
  const perBucket: { [le: string]: number } = {};
  let sum = 0;
  let count = 0;
  for (let i = 0; i < own.length; i++) {
    const s = own[i];
    if (s.name === `${metric.name}_bucket` && s.labels.length === 1) {
      perBucket[s.labels[0][1]] = s.value;
    } else if (s.name === `${metric.name}_sum`) {
      sum = s.value;
    } else if (s.name === `${metric.name}_count`) {
      count = s.value;
    }
  }
  const out: Sample[] = [];
  let running = 0;
  const bounds = lookupBuckets().map(String);
  for (let i = 0; i < bounds.length; i++) {
    running += perBucket[bounds[i]] || 0;
    out.push({ name: `${metric.name}_bucket`, labels: [["le", bounds[i]]], value: running });
  }
  out.push({ name: `${metric.name}_bucket`, labels: [["le", "+Inf"]], value: count });
  out.push({ name: `${metric.name}_sum`, labels: [], value: sum });
  out.push({ name: `${metric.name}_count`, labels: [], value: count });
  return out;
}

// Prometheus numbers: integers as they are, others with enough digits to round-trip.
function number(value: number): string {
  if (Number.isInteger(value)) {
    return String(value);
  }
  return String(Math.round(value * 1e9) / 1e9);
}

// One gauge with a sample per tracker.
function trackerGauge(
  lines: string[],
  trackers: TrackerCheck[],
  name: string,
  help: string,
  value: (t: TrackerCheck) => number,
): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  for (let i = 0; i < trackers.length; i++) {
    lines.push(`${series(name, [["tracker", trackers[i].tracker]])} ${number(value(trackers[i]))}`);
  }
}

function gauges(input: StatusInput): string[] {
  const lines = [
    "# HELP mogilefs_gateway_info The module's version and the njs engine running it.",
    "# TYPE mogilefs_gateway_info gauge",
    `${series("mogilefs_gateway_info", [
      ["version", input.version],
      ["njs", input.njs],
    ])} 1`,
    "# HELP mogilefs_gateway_counters_kept 1 when counters are kept (njs 0.8.0 or later with the mogilefs_metrics zone), 0 when not.",
    "# TYPE mogilefs_gateway_counters_kept gauge",
    `mogilefs_gateway_counters_kept ${input.countersKept ? 1 : 0}`,
  ];
  if (input.trackers.length > 0) {
    trackerGauge(
      lines,
      input.trackers,
      "mogilefs_gateway_tracker_up",
      "1 when the tracker answered noop within the timeout.",
      (t) => (t.up ? 1 : 0),
    );
    trackerGauge(
      lines,
      input.trackers,
      "mogilefs_gateway_tracker_noop_seconds",
      "Time the tracker took to answer noop (or to fail).",
      (t) => t.seconds,
    );
  }
  return lines;
}

export function prometheusText(input: StatusInput): string {
  const lines = gauges(input);
  if (input.countersKept) {
    const catalogue = metricCatalogue();
    for (let i = 0; i < catalogue.length; i++) {
      const metric = catalogue[i];
      lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
      const samples = samplesOf(metric, input.entries);
      for (let j = 0; j < samples.length; j++) {
        lines.push(`${series(samples[j].name, samples[j].labels)} ${number(samples[j].value)}`);
      }
    }
  } else {
    lines.push(`# counters not kept: ${input.countersProblem}`);
  }
  return `${lines.join("\n")}\n`;
}

function labelsObject(labels: Array<[string, string]>): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  for (let i = 0; i < labels.length; i++) {
    out[labels[i][0]] = labels[i][1];
  }
  return out;
}

export function statusJson(input: StatusInput): string {
  const metrics: { [name: string]: unknown } = {};
  if (input.countersKept) {
    const catalogue = metricCatalogue();
    for (let i = 0; i < catalogue.length; i++) {
      const metric = catalogue[i];
      metrics[metric.name] = {
        type: metric.type,
        help: metric.help,
        samples: samplesOf(metric, input.entries).map((s) => ({
          name: s.name,
          labels: labelsObject(s.labels),
          value: s.value,
        })),
      };
    }
  }
  const counters = input.countersKept
    ? { kept: true }
    : {
        kept: false,
        reason: input.countersProblem,
        // The counters this gateway cannot keep, and the log variables that carry
        // the same facts per request.
        missing: metricCatalogue().map((m) => ({ name: m.name, log: m.log })),
      };
  return `${JSON.stringify({
    version: input.version,
    njs: input.njs,
    trackers: input.trackers,
    counters: counters,
    metrics: metrics,
  })}\n`;
}
