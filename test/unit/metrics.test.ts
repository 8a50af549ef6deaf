// What one answered request adds to the counters.
// Runs in vitest and, bundled, in the njs engine: keep to the njs subset.
import { describe, expect, test } from "vitest";
import { bucketOf, increments, type RequestFacts, series } from "../../src/metrics";

function facts(changes: { [k: string]: unknown }): RequestFacts {
  const base: { [k: string]: unknown } = {
    method: "GET",
    status: 200,
    cache: "",
    lookupStatus: "",
    lookupTime: "",
    trackerError: "",
    storageStatus: "",
    contentLength: "",
  };
  const names = Object.keys(changes);
  for (let i = 0; i < names.length; i++) {
    base[names[i]] = changes[names[i]];
  }
  return base as RequestFacts;
}

// The increments as { series: by }, for comparing whole results.
function added(f: RequestFacts): { [series: string]: number } {
  const out: { [series: string]: number } = {};
  const list = increments(f);
  for (let i = 0; i < list.length; i++) {
    out[list[i].series] = (out[list[i].series] || 0) + list[i].by;
  }
  return out;
}

describe("increments", () => {
  test("a GET served from a cached lookup counts the request and a cache hit", () => {
    expect(added(facts({ cache: "HIT", storageStatus: "200" }))).toEqual({
      'mogilefs_gateway_requests_total{method="GET",status="200"}': 1,
      'mogilefs_gateway_lookups_total{cache="hit"}': 1,
    });
  });

  test("a lookup a tracker answered adds its time to the histogram", () => {
    const a = added(facts({ cache: "MISS", lookupStatus: "200", lookupTime: "0.003" }));
    expect(a['mogilefs_gateway_lookups_total{cache="miss"}']).toBe(1);
    expect(a.mogilefs_gateway_tracker_lookups_total).toBe(1);
    expect(a['mogilefs_gateway_lookup_duration_seconds_bucket{le="0.005"}']).toBe(1);
    expect(a.mogilefs_gateway_lookup_duration_seconds_sum).toBe(0.003);
    expect(a.mogilefs_gateway_lookup_duration_seconds_count).toBe(1);
  });

  test("tracker failovers: one per tracker tried after the first, times summed", () => {
    const a = added(
      facts({ cache: "MISS", lookupStatus: "502, 504, 200", lookupTime: "0.000, 1.000, 0.002" }),
    );
    expect(a.mogilefs_gateway_tracker_failovers_total).toBe(2);
    expect(a.mogilefs_gateway_lookup_duration_seconds_sum).toBe(1.002);
    expect(a['mogilefs_gateway_lookup_duration_seconds_bucket{le="2.5"}']).toBe(1);
  });

  test("with the cache off a tracker lookup counts as uncached", () => {
    const a = added(facts({ lookupStatus: "200", lookupTime: "0.001" }));
    expect(a['mogilefs_gateway_lookups_total{cache="uncached"}']).toBe(1);
  });

  test("path failovers: one per storage node tried after the first", () => {
    expect(added(facts({ cache: "HIT", storageStatus: "404 : 502 : 200" }))).toEqual({
      'mogilefs_gateway_requests_total{method="GET",status="200"}': 1,
      'mogilefs_gateway_lookups_total{cache="hit"}': 1,
      mogilefs_gateway_path_failovers_total: 2,
    });
  });

  test("a tracker's error code counts when a tracker said it for this request", () => {
    const asked = added(
      facts({ status: 404, cache: "MISS", lookupStatus: "401", trackerError: "unknown_key" }),
    );
    expect(asked['mogilefs_gateway_tracker_errors_total{code="unknown_key"}']).toBe(1);
    const cached = added(facts({ status: 404, cache: "HIT", trackerError: "unknown_key" }));
    expect(cached['mogilefs_gateway_tracker_errors_total{code="unknown_key"}']).toBe(undefined);
    const write = added(facts({ method: "PUT", status: 503, trackerError: "no_devices" }));
    expect(write['mogilefs_gateway_tracker_errors_total{code="no_devices"}']).toBe(1);
  });

  test("a stored PUT counts one upload and its bytes; a refused one neither", () => {
    const a = added(facts({ method: "PUT", status: 201, contentLength: "1234" }));
    expect(a.mogilefs_gateway_uploads_total).toBe(1);
    expect(a.mogilefs_gateway_uploaded_bytes_total).toBe(1234);
    const refused = added(facts({ method: "PUT", status: 413, contentLength: "1234" }));
    expect(refused.mogilefs_gateway_uploads_total).toBe(undefined);
  });

  test("label values a client could choose are folded into a fixed set", () => {
    const a = added(
      facts({
        method: "PROPFIND",
        status: 405,
        cache: "MISS",
        lookupStatus: "403",
        trackerError: 'x"y',
      }),
    );
    expect(a['mogilefs_gateway_requests_total{method="other",status="405"}']).toBe(1);
    expect(a['mogilefs_gateway_tracker_errors_total{code="other"}']).toBe(1);
  });

  test("tracker codes of letters, digits and _ are kept; others are folded", () => {
    const code = (c: string) =>
      Object.keys(added(facts({ method: "DELETE", status: 502, trackerError: c }))).filter(
        (k) => k.indexOf("tracker_errors") >= 0,
      );
    expect(code("no_devices")).toEqual([
      'mogilefs_gateway_tracker_errors_total{code="no_devices"}',
    ]);
    expect(code("err2")).toEqual(['mogilefs_gateway_tracker_errors_total{code="err2"}']);
    expect(code("2err")).toEqual(['mogilefs_gateway_tracker_errors_total{code="other"}']);
    expect(code("a".repeat(41))).toEqual(['mogilefs_gateway_tracker_errors_total{code="other"}']);
  });
});

describe("series and buckets", () => {
  test("label values are escaped as the text format needs", () => {
    expect(series("m", [["a", 'q"b\\n\n']])).toBe('m{a="q\\"b\\\\n\\n"}');
    expect(series("m", [])).toBe("m");
  });

  test("a duration falls in the smallest bucket that holds it", () => {
    expect(bucketOf(0)).toBe("0.0005");
    expect(bucketOf(0.001)).toBe("0.001");
    expect(bucketOf(0.0011)).toBe("0.0025");
    expect(bucketOf(5)).toBe("5");
    expect(bucketOf(5.1)).toBe("+Inf");
  });
});
