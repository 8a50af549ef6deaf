// The status and health answers.
// Runs in vitest and, bundled, in the njs engine: keep to the njs subset.
import { describe, expect, test } from "vitest";
import {
  healthAnswer,
  prometheusText,
  type StatusInput,
  statusJson,
  trackerCheck,
  wantsPrometheus,
} from "../../src/status";

function input(changes: { [k: string]: unknown }): StatusInput {
  const base: { [k: string]: unknown } = {
    version: "9.9.9",
    njs: "0.8.9",
    countersKept: true,
    countersProblem: "",
    entries: [],
    trackers: [trackerCheck("10.0.0.1:7001", 200, 0.002, "2s")],
  };
  const names = Object.keys(changes);
  for (let i = 0; i < names.length; i++) {
    base[names[i]] = changes[names[i]];
  }
  return base as StatusInput;
}

function lineOf(text: string, start: string): string | undefined {
  return text.split("\n").find((line) => line.indexOf(start) === 0);
}

describe("tracker checks and health", () => {
  test("each noop outcome names its problem", () => {
    expect(trackerCheck("t:1", 200, 0.001, "2s").up).toBe(true);
    expect(trackerCheck("t:1", 504, 2, "2s").problem).toBe("no answer to noop within 2s");
    expect(trackerCheck("t:1", 502, 0, "2s").problem).toBe(
      "not reachable (refused, closed or garbled answer)",
    );
    expect(trackerCheck("t:1", 403, 0, "2s").problem).toBe("noop answered with HTTP 403");
  });

  test("200 while one tracker answers, listing each", () => {
    const a = healthAnswer([
      trackerCheck("a:1", 502, 0, "2s"),
      trackerCheck("b:1", 200, 0.004, "2s"),
    ]);
    expect(a.status).toBe(200);
    expect(a.body).toBe(
      "ok: 1 of 2 trackers answer noop\ndown a:1: not reachable (refused, closed or garbled answer)\nup b:1 (4 ms)\n",
    );
  });

  test("503 with the reasons when none answers", () => {
    const a = healthAnswer([trackerCheck("a:1", 504, 2, "2s")]);
    expect(a.status).toBe(503);
    expect(a.body).toBe(
      "unavailable: none of 1 trackers answers noop\ndown a:1: no answer to noop within 2s\n",
    );
  });
});

describe("format", () => {
  test("the format argument wins, then Accept", () => {
    expect(wantsPrometheus("prometheus", "application/json")).toBe(true);
    expect(wantsPrometheus("json", "text/plain")).toBe(false);
    expect(wantsPrometheus("", "text/plain;version=0.0.4")).toBe(true);
    expect(wantsPrometheus("", "application/openmetrics-text; version=1.0.0")).toBe(true);
    expect(wantsPrometheus("", "*/*")).toBe(false);
    expect(wantsPrometheus("", "")).toBe(false);
  });
});

describe("prometheus text", () => {
  const entries: Array<[string, number]> = [
    ['mogilefs_gateway_requests_total{method="GET",status="200"}', 3],
    ['mogilefs_gateway_requests_total{method="GET",status="404"}', 1],
    ['mogilefs_gateway_lookup_duration_seconds_bucket{le="0.001"}', 2],
    ['mogilefs_gateway_lookup_duration_seconds_bucket{le="0.01"}', 1],
    ["mogilefs_gateway_lookup_duration_seconds_sum", 0.0071],
    ["mogilefs_gateway_lookup_duration_seconds_count", 3],
    ["something_else", 5],
  ];

  test("counters are printed with HELP and TYPE, by series", () => {
    const text = prometheusText(input({ entries: entries }));
    expect(text).toContain("# TYPE mogilefs_gateway_requests_total counter\n");
    expect(text).toContain('mogilefs_gateway_requests_total{method="GET",status="200"} 3\n');
    expect(text).toContain('mogilefs_gateway_requests_total{method="GET",status="404"} 1\n');
    expect(text.indexOf("something_else")).toBe(-1);
  });

  test("histogram buckets are cumulative and +Inf equals the count", () => {
    const text = prometheusText(input({ entries: entries }));
    const name = "mogilefs_gateway_lookup_duration_seconds";
    expect(lineOf(text, `${name}_bucket{le="0.0005"}`)).toBe(`${name}_bucket{le="0.0005"} 0`);
    expect(lineOf(text, `${name}_bucket{le="0.001"}`)).toBe(`${name}_bucket{le="0.001"} 2`);
    expect(lineOf(text, `${name}_bucket{le="0.005"}`)).toBe(`${name}_bucket{le="0.005"} 2`);
    expect(lineOf(text, `${name}_bucket{le="0.01"}`)).toBe(`${name}_bucket{le="0.01"} 3`);
    expect(lineOf(text, `${name}_bucket{le="+Inf"}`)).toBe(`${name}_bucket{le="+Inf"} 3`);
    expect(lineOf(text, `${name}_sum`)).toBe(`${name}_sum 0.0071`);
  });

  test("tracker gauges and the info line", () => {
    const text = prometheusText(input({}));
    expect(text).toContain('mogilefs_gateway_info{version="9.9.9",njs="0.8.9"} 1\n');
    expect(text).toContain('mogilefs_gateway_tracker_up{tracker="10.0.0.1:7001"} 1\n');
    expect(text).toContain("mogilefs_gateway_counters_kept 1\n");
  });

  test("without counters it says so and prints none", () => {
    const text = prometheusText(
      input({ countersKept: false, countersProblem: "njs 0.7.9 has no ngx.shared" }),
    );
    expect(text).toContain("mogilefs_gateway_counters_kept 0\n");
    expect(text).toContain("# counters not kept: njs 0.7.9 has no ngx.shared\n");
    expect(text.indexOf("mogilefs_gateway_requests_total")).toBe(-1);
  });
});

describe("json", () => {
  test("samples carry their labels", () => {
    const json = JSON.parse(
      statusJson(
        input({ entries: [['mogilefs_gateway_requests_total{method="PUT",status="201"}', 2]] }),
      ),
    );
    expect(json.counters).toEqual({ kept: true });
    expect(json.metrics.mogilefs_gateway_requests_total.samples).toEqual([
      {
        name: "mogilefs_gateway_requests_total",
        labels: { method: "PUT", status: "201" },
        value: 2,
      },
    ]);
    expect(json.trackers[0].tracker).toBe("10.0.0.1:7001");
  });

  test("without counters: the reason, and each missing counter's log variables", () => {
    const json = JSON.parse(
      statusJson(input({ countersKept: false, countersProblem: "no ngx.shared" })),
    );
    expect(json.counters.kept).toBe(false);
    expect(json.counters.reason).toBe("no ngx.shared");
    const uploads = json.counters.missing.find(
      (m: { name: string }) => m.name === "mogilefs_gateway_uploads_total",
    );
    expect(uploads.log).toBe("$request_method $status");
    expect(json.metrics).toEqual({});
  });
});
