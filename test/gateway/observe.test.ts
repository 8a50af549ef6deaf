// Status, health and counters through the gateway: real nginx with the built
// module, the local cluster, and trackers stopped, paused and started again.
// Counters need ngx.shared (njs 0.8.0 and later): on older njs the suite checks
// that the status location says which counters it cannot keep; the counting
// itself runs in the compatibility matrix (npm run test:matrix).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventually, pathsFor, storeFile } from "../cluster/files";
import { itLocalOnly, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { parsePrometheus } from "../support/prometheus";
import { fetchRaw, type Gateway, gatewayFeatures } from "./gateway";
import { gatewayLogsOnFailure, mogilefsLocation, useGateway } from "./suite";

const cluster = useCluster({
  trackers: 2,
  storageHosts: 2,
  domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
});
const prefix = uniquePrefix("observe");
const counting = gatewayFeatures().sharedDict;

const gateway = useGateway(
  () => ({
    config: {
      cache: { ttl: "30s", unknownKeyTtl: "30s" },
      tracker: { readTimeout: "1s", failTimeout: "1s" },
      status: { enabled: true, timeout: "1s" },
    },
    // The documented log format, from http.conf, next to the harness's own log.
    httpExtra: "  access_log gateway.log mogilefs_gateway;",
    serverExtra: mogilefsLocation("/files/", {
      domain: cluster().domain,
      methods: "GET PUT DELETE",
    }),
  }),
  cluster,
);

// Call first thing in a test: a failing test shows the gateway's error log too.
async function logsOnFailure(): Promise<Gateway> {
  const g = await gateway();
  gatewayLogsOnFailure(cluster, g);
  return g;
}

async function get(url: string, headers: Record<string, string> = {}) {
  return fetchRaw(url, { headers });
}

async function statusJson(g: Gateway) {
  const reply = await get(`${g.url}/_mogilefs/status`);
  expect(reply.status, g.errorLog()).toBe(200);
  expect(reply.headers["content-type"]).toBe("application/json");
  return JSON.parse(reply.body.toString());
}

async function counters(g: Gateway): Promise<Map<string, number>> {
  const reply = await get(`${g.url}/_mogilefs/status?format=prometheus`);
  expect(reply.status, g.errorLog()).toBe(200);
  return parsePrometheus(reply.body.toString()).samples;
}

function delta(before: Map<string, number>, after: Map<string, number>, series: string): number {
  return (after.get(series) ?? 0) - (before.get(series) ?? 0);
}

// The access log line that `match` picks. nginx writes it after the answer has
// gone out, so a client can be quicker than the log: wait for it.
async function logLine(log: () => string, match: (line: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const line = log().split("\n").filter(match).pop();
    if (line !== undefined || Date.now() > deadline) {
      return line ?? "";
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Waits until the health location says `expected` (trackers' state settles).
async function healthBecomes(g: Gateway, status: number, contains: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  let last = "";
  for (;;) {
    const reply = await get(`${g.url}/_mogilefs/health`);
    last = `${reply.status} ${reply.body.toString()}`;
    if (reply.status === status && reply.body.toString().includes(contains)) {
      return reply.body.toString();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `health never became ${status} with "${contains}"; last: ${last}\n${g.errorLog()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("health", () => {
  it("answers 200 with every tracker up, listing each", async () => {
    const g = await logsOnFailure();
    const reply = await get(`${g.url}/_mogilefs/health`);
    const body = reply.body.toString();
    expect(reply.status, body + g.errorLog()).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/plain");
    expect(body).toMatch(/^ok: 2 of 2 trackers answer noop\n/);
    for (const t of cluster().trackers) {
      expect(body).toMatch(new RegExp(`^up ${t.address} \\(\\d+ ms\\)$`, "m"));
    }
  });

  itLocalOnly(
    "follows trackers going down, hanging and coming back",
    "stops and pauses the cluster's trackers",
    async () => {
      const g = await logsOnFailure();
      const [first, second] = cluster().trackers;
      await cluster().killTracker(0);
      let body = await healthBecomes(g, 200, "ok: 1 of 2");
      expect(body).toContain(`down ${first.address}: not reachable`);
      expect(body).toContain(`up ${second.address}`);

      cluster().pauseTracker(1);
      try {
        body = await healthBecomes(g, 503, "unavailable: none of 2");
        expect(body).toContain(`down ${first.address}: not reachable`);
        expect(body).toContain(`down ${second.address}: no answer to noop within 1s`);
      } finally {
        cluster().resumeTracker(1);
      }
      await healthBecomes(g, 200, "ok: 1 of 2");

      await cluster().startTracker(0);
      body = await healthBecomes(g, 200, "ok: 2 of 2");
      expect(body).toContain(`up ${first.address}`);
    },
    60_000,
  );

  it("refuses clients outside status.allow", async () => {
    const g = await logsOnFailure();
    for (const path of ["/_mogilefs/health", "/_mogilefs/status"]) {
      const reply = await fetchRaw(`${g.url}${path}`, { localAddress: "127.0.0.2" });
      expect(reply.status, path).toBe(403);
    }
  });

  it("keeps its internal noop locations from clients", async () => {
    const g = await gateway();
    const reply = await get(`${g.url}/_mogilefs/noop/1`);
    expect(reply.status).toBe(404);
  });
});

describe("status", () => {
  it("answers JSON by default, with each tracker's state", async () => {
    const g = await logsOnFailure();
    const json = await statusJson(g);
    expect(json.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(json.njs).toMatch(/^\d+\.\d+\.\d+$/);
    expect(json.trackers.map((t: { tracker: string }) => t.tracker).sort()).toEqual(
      cluster()
        .trackers.map((t) => t.address)
        .sort(),
    );
    expect(json.counters.kept).toBe(counting);
  });

  it("answers Prometheus text for ?format=prometheus and for Accept: text/plain", async () => {
    const g = await logsOnFailure();
    for (const reply of [
      await get(`${g.url}/_mogilefs/status?format=prometheus`),
      await get(`${g.url}/_mogilefs/status`, { Accept: "text/plain;version=0.0.4" }),
    ]) {
      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
      const parsed = parsePrometheus(reply.body.toString());
      expect(parsed.types.get("mogilefs_gateway_tracker_up")).toBe("gauge");
      for (const t of cluster().trackers) {
        expect(parsed.samples.get(`mogilefs_gateway_tracker_up{tracker="${t.address}"}`)).toBe(1);
      }
      expect(parsed.samples.get("mogilefs_gateway_counters_kept")).toBe(counting ? 1 : 0);
    }
  });

  it("refuses an unknown format", async () => {
    const g = await gateway();
    const reply = await get(`${g.url}/_mogilefs/status?format=xml`);
    expect(reply.status).toBe(400);
    expect(reply.body.toString()).toBe("Bad Request: format is json or prometheus\n");
  });

  it.skipIf(counting)(
    "without ngx.shared: says why, and which log variables carry each counter",
    async () => {
      const g = await logsOnFailure();
      const json = await statusJson(g);
      expect(json.counters.reason).toContain("has no ngx.shared");
      const names = json.counters.missing.map((m: { name: string }) => m.name);
      expect(names).toContain("mogilefs_gateway_requests_total");
      expect(names).toContain("mogilefs_gateway_lookup_duration_seconds");
      for (const m of json.counters.missing) {
        expect(m.log, m.name).toMatch(/^\$[a-z_]+( \$[a-z_]+)*$/);
      }
      const text = (await get(`${g.url}/_mogilefs/status?format=prometheus`)).body.toString();
      expect(text).toContain("# counters not kept: njs ");
    },
  );
});

describe("the mogilefs_gateway log format", () => {
  // The README's example lines, pinned: their fields must be the real lines'.
  function readmeExamples(): string[] {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const block = /```\n(127\.0\.0\.1 \[[^`]+)```/.exec(readme)?.[1];
    expect(block, "README.md shows no example lines of the log format").toBeDefined();
    return (block ?? "").trim().split("\n");
  }

  const FIELDS =
    /^(\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) ([\d.]+) domain=(\S*) key="([^"]*)" cache=(\S*) lookup=(\S*) lookup_time=(\S*) tracker=(\S*) error=(\S*) attempts=(\S*) path=(\S*) storage=(\S*)$/;

  it("logs what the lookup and the storage nodes did, as the README shows", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}logged.txt`;
    const url = `${g.url}/files/${key}`;
    expect((await fetchRaw(url, { method: "PUT", body: Buffer.from("hello\n") })).status).toBe(201);
    expect((await get(url)).status).toBe(200);
    expect((await get(`${g.url}/files/${prefix}unknown`)).status).toBe(404);
    // nginx writes a log line after the answer: wait for the last one.
    const gatewayLog = () => readFileSync(join(g.dir, "gateway.log"), "utf8");
    await logLine(gatewayLog, (l) => l.includes(`"GET /files/${prefix}unknown `));
    const lines = gatewayLog().trim().split("\n");
    const hit = FIELDS.exec(lines.find((l) => l.includes(`"GET /files/${key} `)) ?? "");
    expect(hit, lines.join("\n")).not.toBeNull();
    const [, client, , request, status, bytes, , domain, loggedKey, cache] = hit ?? [];
    expect([client, request, status, bytes]).toEqual([
      "127.0.0.1",
      `GET /files/${key} HTTP/1.1`,
      "200",
      "6",
    ]);
    expect([domain, loggedKey, cache]).toEqual([cluster().domain, key, "HIT"]);
    expect(hit?.[14]).toBe("1"); // attempts
    expect(hit?.[15]).toMatch(/^http:\/\/127\.0\.0\.\d+:\d+\/dev\d+\/.*\.fid$/); // path
    expect(hit?.[16]).toBe("200"); // storage

    const miss = FIELDS.exec(lines.find((l) => l.includes(`"GET /files/${prefix}unknown `)) ?? "");
    expect(miss, lines.join("\n")).not.toBeNull();
    expect(miss?.[4]).toBe("404");
    expect(miss?.[9]).toBe("MISS");
    expect(miss?.[10]).toBe("401"); // the bridge's status for unknown_key
    expect(Number(miss?.[11])).toBeGreaterThanOrEqual(0);
    expect(cluster().trackers.map((t) => t.address)).toContain(miss?.[12]);
    expect(miss?.[13]).toBe("unknown_key");

    const put = FIELDS.exec(lines.find((l) => l.includes(`"PUT /files/${key} `)) ?? "");
    expect(put?.[4]).toBe("201");

    const examples = readmeExamples();
    expect(examples).toHaveLength(2);
    for (const example of examples) {
      expect(FIELDS.test(example), example).toBe(true);
    }
  });
});

describe.skipIf(!counting)("counters (ngx.shared)", () => {
  it("move as a scripted sequence of requests says", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}scripted.bin`;
    const url = `${g.url}/files/${key}`;
    const body = randomBytes(4096);
    const before = await counters(g);

    expect((await fetchRaw(url, { method: "PUT", body })).status, g.errorLog()).toBe(201);
    expect((await get(url)).status).toBe(200); // fresh from the write's refresh: a hit
    expect((await get(url)).status).toBe(200); // a hit
    expect((await fetchRaw(url, { method: "HEAD" })).status).toBe(200);
    expect((await get(`${g.url}/files/${prefix}no-such-key`)).status).toBe(404); // a miss
    expect((await get(`${g.url}/files/${prefix}no-such-key`)).status).toBe(404); // cached
    expect((await fetchRaw(url, { method: "DELETE" })).status).toBe(204);
    expect((await fetchRaw(url, { method: "POST" })).status).toBe(405);

    const after = await counters(g);
    const requests = (method: string, status: number) =>
      delta(
        before,
        after,
        `mogilefs_gateway_requests_total{method="${method}",status="${status}"}`,
      );
    expect(requests("PUT", 201)).toBe(1);
    expect(requests("GET", 200)).toBe(2);
    expect(requests("HEAD", 200)).toBe(1);
    expect(requests("GET", 404)).toBe(2);
    expect(requests("DELETE", 204)).toBe(1);
    expect(requests("other", 405)).toBe(1);
    expect(delta(before, after, "mogilefs_gateway_uploads_total")).toBe(1);
    expect(delta(before, after, "mogilefs_gateway_uploaded_bytes_total")).toBe(body.length);
    expect(delta(before, after, 'mogilefs_gateway_lookups_total{cache="hit"}')).toBe(4);
    expect(delta(before, after, 'mogilefs_gateway_lookups_total{cache="miss"}')).toBe(1);
    expect(delta(before, after, "mogilefs_gateway_tracker_lookups_total")).toBe(1);
    expect(delta(before, after, 'mogilefs_gateway_tracker_errors_total{code="unknown_key"}')).toBe(
      1,
    );
    const histogram = "mogilefs_gateway_lookup_duration_seconds";
    expect(delta(before, after, `${histogram}_count`)).toBe(1);
    expect(delta(before, after, `${histogram}_sum`)).toBeGreaterThan(0);
    expect(delta(before, after, `${histogram}_bucket{le="+Inf"}`)).toBe(1);
  });

  itLocalOnly(
    "count a path failover when a storage node lost its copy",
    "removes a file from the cluster's storage node",
    async () => {
      const g = await logsOnFailure();
      const c = cluster();
      const key = `${prefix}two-copies.bin`;
      const body = randomBytes(2048);
      await storeFile(c.trackers[0].address, c.domain, key, body, { class: "two" });
      // Both copies, so the key can survive losing one.
      await eventually(
        "the second copy",
        () => pathsFor(c.trackers[0].address, c.domain, key),
        (paths) => paths.length === 2,
      );
      // The first read caches the lookup; its log line names the path it served,
      // which every later read tries first.
      const url = `${g.url}/files/${key}`;
      expect((await get(url)).status, g.errorLog()).toBe(200);
      const line = await logLine(g.accessLog, (l) => l.includes(key));
      const served = / path=(\S+)/.exec(line ?? "")?.[1] ?? "";
      expect(served, line).toMatch(/^http:\/\//);
      expect([200, 204]).toContain((await fetchRaw(served, { method: "DELETE" })).status);
      const before = await counters(g);
      const reply = await get(url);
      expect(reply.status, g.errorLog()).toBe(200);
      expect(reply.body.equals(body)).toBe(true);
      const after = await counters(g);
      expect(delta(before, after, "mogilefs_gateway_path_failovers_total")).toBe(1);
    },
    30_000,
  );

  it("add up to what clients saw under concurrent load", async () => {
    const g = await logsOnFailure();
    const before = await counters(g);
    const seen = new Map<string, number>();
    let stored = 0;
    let bytes = 0;
    // 8 clients at once, each a mix of PUT, GET, HEAD, DELETE and unknown keys,
    // over both workers: every answer must be counted once, none lost or doubled.
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = 0; i < 12; i++) {
          const key = `${prefix}load-${client}-${i % 4}`;
          const url = `${g.url}/files/${key}`;
          const method = ["PUT", "GET", "HEAD", "DELETE"][i % 4];
          const body = method === "PUT" ? randomBytes(100 + client * 10 + i) : undefined;
          const reply = await fetchRaw(url, { method, body });
          const series = `mogilefs_gateway_requests_total{method="${method}",status="${reply.status}"}`;
          seen.set(series, (seen.get(series) ?? 0) + 1);
          if (method === "PUT" && reply.status === 201) {
            stored++;
            bytes += body?.length ?? 0;
          }
        }
      }),
    );
    const after = await counters(g);
    for (const [series, count] of seen) {
      expect(delta(before, after, series), series).toBe(count);
    }
    const counted = [...after.keys()]
      .filter((k) => k.startsWith("mogilefs_gateway_requests_total{"))
      .reduce((n, k) => n + delta(before, after, k), 0);
    expect(counted).toBe(8 * 12);
    expect(delta(before, after, "mogilefs_gateway_uploads_total")).toBe(stored);
    expect(delta(before, after, "mogilefs_gateway_uploaded_bytes_total")).toBe(bytes);
  });

  itLocalOnly(
    "count tracker failovers while a tracker is down",
    "stops one of the cluster's trackers",
    async () => {
      const g = await logsOnFailure();
      const before = await counters(g);
      await cluster().killTracker(0);
      try {
        // Lookups of keys nobody cached: each goes to a tracker, and the ones
        // sent to the stopped tracker first move on to the other.
        for (let i = 0; i < 12; i++) {
          expect((await get(`${g.url}/files/${prefix}failover-${i}`)).status).toBe(404);
        }
      } finally {
        await cluster().startTracker(0);
      }
      const after = await counters(g);
      expect(delta(before, after, "mogilefs_gateway_tracker_lookups_total")).toBe(12);
      expect(delta(before, after, "mogilefs_gateway_tracker_failovers_total")).toBeGreaterThan(0);
    },
    60_000,
  );
});
