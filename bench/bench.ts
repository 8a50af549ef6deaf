// `npm run bench [-- --json FILE] [--duration S] [--connections N]`: the gateway
// against what an operator would run instead, side by side in one run on this
// machine: the storage node itself, a hand-written nginx `proxy_pass`, the gateway
// with cached lookups and with the cache off, for 4 KiB and 1 MiB objects; 1 MiB
// PUT through the gateway against a PUT straight to a storage node; the gateway's
// worker memory across the run. wrk (Debian) makes the load. Not a test: nothing
// here passes or fails on a number.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { TrackerConnection } from "../test/cluster/client";
import { storeFile } from "../test/cluster/files";
import { type Cluster, startCluster } from "../test/cluster/harness";
import { fetchRaw, type Gateway, gatewayFeatures, startGateway } from "../test/gateway/gateway";

const DOMAIN = "bench";
const CLASS = "one";

type Options = { json?: string; duration: number; connections: number; threads: number };

function options(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "8" },
      threads: { type: "string", default: "1" },
    },
    strict: true,
  });
  const number = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`--${name} must be a whole number above 0, not ${JSON.stringify(text)}`);
    }
    return n;
  };
  return {
    json: values.json,
    duration: number("duration", values.duration as string),
    connections: number("connections", values.connections as string),
    threads: number("threads", values.threads as string),
  };
}

// wrk from Debian, installed on demand the way test/support/ensure.mjs installs
// nginx: as root with service starts blocked; otherwise the command is printed.
function ensureWrk(): void {
  if (spawnSync("wrk", ["-v"]).error === undefined) {
    return;
  }
  const command = "apt-get install -y --no-install-recommends wrk";
  if (process.getuid?.() !== 0) {
    throw new Error(`wrk is missing: run as root first:\n  ${command}`);
  }
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    writeFileSync(policy, "#!/bin/sh\n# written by njs-mogilefs bench during apt-get\nexit 101\n", {
      mode: 0o755,
    });
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    console.log(`bench: installing wrk (${command})`);
    let install = spawnSync("sh", ["-c", `${command} -qq`], { env, stdio: "inherit" });
    if (install.status !== 0) {
      spawnSync("apt-get", ["update", "-qq"], { env, stdio: "inherit" });
      install = spawnSync("sh", ["-c", `${command} -qq`], { env, stdio: "inherit" });
    }
    if (install.status !== 0) {
      throw new Error("apt-get install wrk failed");
    }
  } finally {
    if (ownPolicy) {
      unlinkSync(policy);
    }
  }
}

// wrk's own summary, printed as one JSON line by the script's done().
type WrkResult = {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
  mibps: number;
};

const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"us":%d,"bytes":%d,"p50":%d,"p99":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

// PUT bodies of `size` bytes, each to a new path: `prefix` .. thread .. "-" .. n.
function putLua(prefix: string, size: number): string {
  return `
local body = string.rep("m", ${size})
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", "${prefix}" .. id .. "-" .. n .. "-" .. "${randomBytes(4).toString("hex")}", nil, body)
end
${DONE_LUA}`;
}

let scratch = "";

// Asynchronous, so the memory sampler keeps sampling while wrk runs.
async function wrk(
  url: string,
  opts: Options,
  script: string,
  seconds = opts.duration,
): Promise<WrkResult> {
  const file = join(scratch, `wrk-${randomBytes(4).toString("hex")}.lua`);
  writeFileSync(file, script);
  const { stdout: out } = await promisify(execFile)(
    "wrk",
    [
      `-t${opts.threads}`,
      `-c${opts.connections}`,
      `-d${seconds}s`,
      "--timeout",
      "10s",
      "--latency",
      "-s",
      file,
      url,
    ],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) {
    throw new Error(`wrk printed no summary:\n${out}`);
  }
  const raw = JSON.parse(line.slice(9)) as Record<string, number>;
  const secs = raw.us / 1e6;
  return {
    requests: raw.requests,
    seconds: secs,
    rps: raw.requests / secs,
    p50ms: raw.p50 / 1000,
    p99ms: raw.p99 / 1000,
    errors: raw.errors,
    non2xx: raw.non2xx,
    mibps: raw.bytes / secs / 1048576,
  };
}

// What a MogileFS client does without a gateway: create_open, PUT to the
// storage node, create_close; `connections` loops for `seconds`, each with its
// own tracker connection. The floor for any gateway's PUT.
async function clientPuts(tracker: string, body: Buffer, opts: Options): Promise<WrkResult> {
  const latencies: number[] = [];
  const started = Date.now();
  const deadline = started + opts.duration * 1000;
  const tag = randomBytes(4).toString("hex");
  let errors = 0;
  const loop = async (n: number) => {
    const connection = await TrackerConnection.connect(tracker);
    try {
      for (let i = 0; Date.now() < deadline; i++) {
        const t = process.hrtime.bigint();
        try {
          await storeFile(tracker, DOMAIN, `bench-client/${tag}-${n}-${i}`, body, {
            class: CLASS,
            connection,
          });
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        } catch {
          errors++;
        }
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, (_x, n) => loop(n)));
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
    errors,
    non2xx: 0,
    mibps: 0,
  };
}

// Peak VmRSS of every nginx worker of the gateways (not the cache manager and
// loader), sampled through the run; RssAnon is the part that is the worker's own
// (the rest is shared memory zones and mapped files).
type Rss = { rss: number; anon: number };

function rssOf(pid: number): Rss | null {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker process")) {
      return null;
    }
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS"), anon: kb("RssAnon") };
  } catch {
    return null;
  }
}

class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  readonly first = new Map<number, Rss>();
  readonly peak = new Map<number, Rss>();
  readonly last = new Map<number, Rss>();
  constructor(private readonly gateways: Gateway[]) {}
  sample(): void {
    for (const g of this.gateways) {
      for (const pid of g.workerPids()) {
        const now = rssOf(pid);
        if (now === null) {
          continue;
        }
        if (!this.first.has(pid)) {
          this.first.set(pid, now);
        }
        const peak = this.peak.get(pid) ?? now;
        this.peak.set(pid, {
          rss: Math.max(peak.rss, now.rss),
          anon: Math.max(peak.anon, now.anon),
        });
        this.last.set(pid, now);
      }
    }
  }
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
  // Largest figures over the workers, in MiB.
  summary(): {
    workers: number;
    startMiB: number;
    peakMiB: number;
    growthMiB: number;
    anonGrowthMiB: number;
    endGrowthMiB: number;
  } {
    let start = 0;
    let peak = 0;
    let growth = 0;
    let anonGrowth = 0;
    let endGrowth = 0;
    for (const [pid, p] of this.peak) {
      const first = this.first.get(pid) as Rss;
      const last = this.last.get(pid) as Rss;
      start = Math.max(start, first.rss);
      peak = Math.max(peak, p.rss);
      growth = Math.max(growth, p.rss - first.rss);
      anonGrowth = Math.max(anonGrowth, p.anon - first.anon);
      endGrowth = Math.max(endGrowth, last.rss - first.rss);
    }
    return {
      workers: this.peak.size,
      startMiB: start / 1024,
      peakMiB: peak / 1024,
      growthMiB: growth / 1024,
      anonGrowthMiB: anonGrowth / 1024,
      endGrowthMiB: endGrowth / 1024,
    };
  }
}

// TCP connections between the gateway's bridge and the tracker: established ones
// (local ports) and those closed lately (TIME-WAIT). A connect per lookup would show
// as thousands of ports.
function trackerSockets(port: number): { established: Set<string>; timeWait: number } {
  const ss = (state: string) =>
    execFileSync("ss", ["-Htn", "state", state, "dst", `127.0.0.1:${port}`], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((l) => l.trim() !== "");
  const established = new Set(ss("established").map((l) => l.trim().split(/\s+/)[2]));
  return { established, timeWait: ss("time-wait").length };
}

function machine(): Record<string, string> {
  const version = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  };
  // The nginx under test: the host's, or a root filesystem's (NJS_MOGILEFS_NGINX_ROOT).
  const root = process.env.NJS_MOGILEFS_NGINX_ROOT;
  const inRoot = (cmd: string, args: string[]) =>
    root ? version("chroot", [root, cmd, ...args]) : version(cmd, args);
  const njs = root
    ? `njs ${inRoot("njs", ["-v"])} (${root})`
    : // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      `libnginx-mod-http-js ${version("dpkg-query", ["-W", "-f=${Version}", "libnginx-mod-http-js"])}`;
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: String(cpus().length),
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: release(),
    nginx: inRoot("nginx", ["-v"]).replace(/^nginx version: /, ""),
    njs,
    wrk: version("wrk", ["-v"]).split("\n")[0],
    node: process.version,
    // Other work on the machine skews every figure: this says how busy it was.
    loadAverageAtStart: loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
  };
}

type Row = {
  name: string;
  size: string;
  target: string;
  result: WrkResult;
  // Against plain proxy_pass of the same size (GET), or direct PUT.
  ratio?: number;
  // Gateway workers' RSS figures after this row.
  memory?: ReturnType<MemorySampler["summary"]>;
};

function fmt(n: number, digits = 0): string {
  return n.toFixed(digits);
}

function table(rows: Row[]): string {
  const head = [
    "run",
    "size",
    "req/s",
    "MiB/s",
    "p50 ms",
    "p99 ms",
    "ratio",
    "errors",
    "RSS growth MiB",
  ];
  const body = rows.map((r) => [
    r.name,
    r.size,
    fmt(r.result.rps),
    fmt(r.result.mibps, 1),
    fmt(r.result.p50ms, 2),
    fmt(r.result.p99ms, 2),
    r.ratio === undefined ? "" : fmt(r.ratio, 2),
    String(r.result.errors + r.result.non2xx),
    r.memory === undefined ? "" : fmt(r.memory.growthMiB, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

function locations(paths: Record<string, string>): string {
  return `
    # The gateway, cached lookups (cache.enabled true).
    location /files/ {
      set $mogilefs_domain ${DOMAIN};
      include conf/location.conf;
    }
    # Writes through the gateway.
    location /put/ {
      set $mogilefs_domain ${DOMAIN};
      set $mogilefs_methods "GET HEAD PUT DELETE";
      set $mogilefs_class ${CLASS};
      client_max_body_size 0;
      include conf/location.conf;
    }
    # What an operator writes by hand for one known file: plain proxy_pass.
    location = /plain/4k {
      proxy_pass ${paths["4k"]};
    }
    location = /plain/1m {
      proxy_pass ${paths["1m"]};
    }`;
}

async function main(): Promise<void> {
  const opts = options();
  ensureWrk();
  scratch = mkdtempSync(join(tmpdir(), "njs-mogilefs-bench-"));
  const startedAt = Date.now();
  const info = machine();
  console.log(
    `bench: ${info.cores} x ${info.cpu}, ${info.memory}, Linux ${info.kernel}, nginx ${info.nginx}, ${info.njs}`,
  );
  console.log(
    `bench: wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s per run; starting the cluster`,
  );
  let cluster: Cluster | undefined;
  const gateways: Gateway[] = [];
  try {
    cluster = await startCluster({
      trackers: 1,
      storageHosts: 2,
      // One copy: replication would load the storage nodes in the middle of a run.
      domains: [{ name: DOMAIN, classes: [{ name: CLASS, mindevcount: 1 }] }],
    });
    const tracker = cluster.trackers[0];
    const objects: Record<string, Buffer> = {
      "4k": randomBytes(4096),
      "1m": randomBytes(1048576),
    };
    const paths: Record<string, string> = {};
    for (const [size, body] of Object.entries(objects)) {
      const stored = await storeFile(tracker.address, DOMAIN, `bench/${size}`, body, {
        class: CLASS,
      });
      paths[size] = stored.path;
    }
    const cached = await startGateway({
      trackers: [tracker.address],
      serverExtra: locations(paths),
    });
    gateways.push(cached);
    const uncached = await startGateway({
      trackers: [tracker.address],
      config: { cache: { enabled: false } },
      serverExtra: `
    # The gateway, every lookup a tracker round trip (cache.enabled false).
    location /files/ {
      set $mogilefs_domain ${DOMAIN};
      include conf/location.conf;
    }`,
    });
    gateways.push(uncached);
    const bytes = await startGateway({
      trackers: [tracker.address],
      config: { byteCache: { enabled: true, path: join(scratch, "byte-cache") } },
      serverExtra: `
    # The gateway with the opt-in byte cache (byteCache.enabled true).
    location /files/ {
      set $mogilefs_domain ${DOMAIN};
      include conf/location.conf;
    }`,
    });
    gateways.push(bytes);
    // The cached gateway with the status location's counters: a js_header_filter
    // per answer. Needs ngx.shared (njs 0.8.0+): run the bench with
    // NJS_MOGILEFS_NGINX_ROOT set to a matrix root filesystem to measure it.
    const counting = gatewayFeatures().sharedDict;
    const counted = counting
      ? await startGateway({
          trackers: [tracker.address],
          config: { status: { enabled: true, counters: true } },
          serverExtra: `
    # The gateway with counters (status.enabled and status.counters true).
    location /files/ {
      set $mogilefs_domain ${DOMAIN};
      include conf/location.conf;
    }`,
        })
      : undefined;
    if (counted) {
      gateways.push(counted);
    } else {
      console.log(
        "bench: no counters row: this nginx's njs has no ngx.shared (njs 0.8.0 and later have it)",
      );
    }
    // Every URL must serve the stored bytes before anything is timed.
    const urls = (size: string) => ({
      direct: paths[size],
      plain: `${cached.url}/plain/${size}`,
      cached: `${cached.url}/files/bench/${size}`,
      uncached: `${uncached.url}/files/bench/${size}`,
      bytes: `${bytes.url}/files/bench/${size}`,
      ...(counted ? { counted: `${counted.url}/files/bench/${size}` } : {}),
    });
    for (const size of Object.keys(objects)) {
      for (const [name, url] of Object.entries(urls(size))) {
        const reply = await fetchRaw(url);
        if (reply.status !== 200 || !reply.body.equals(objects[size])) {
          throw new Error(`${name} ${url}: HTTP ${reply.status}, not the stored ${size} object`);
        }
      }
    }
    // Output of wrk runs is only needed through its done() line.
    const get = DONE_LUA;
    const memory = new MemorySampler(gateways);
    memory.start();
    const rows: Row[] = [];
    let trackerProof: Record<string, number> = {};
    for (const size of Object.keys(objects)) {
      const u = urls(size);
      // A short warm-up fills the lookup cache and the page cache.
      await wrk(u.cached, opts, get, 2);
      await wrk(u.bytes, opts, get, 2);
      await wrk(u.plain, opts, get, 2);
      const run = async (name: string, target: string, url: string) => {
        process.stdout.write(`bench: ${name} GET ${size} ...`);
        const result = await wrk(url, opts, get);
        process.stdout.write(` ${fmt(result.rps)} req/s\n`);
        const row: Row = { name, size, target, result, memory: memory.summary() };
        rows.push(row);
        return row;
      };
      await run("storage node direct", "direct", u.direct);
      const plain = await run("nginx proxy_pass", "plain", u.plain);
      const hit = await run("gateway, cached lookup", "cached", u.cached);
      const before = trackerSockets(tracker.port);
      const seen = new Set(before.established);
      const watch = setInterval(() => {
        for (const p of trackerSockets(tracker.port).established) {
          seen.add(p);
        }
      }, 250);
      const miss = await run("gateway, cache off", "uncached", u.uncached);
      clearInterval(watch);
      const after = trackerSockets(tracker.port);
      for (const p of after.established) {
        seen.add(p);
      }
      const byteHit = await run("gateway, byte cache", "bytes", u.bytes);
      if (u.counted) {
        // Counted and uncounted alternate twice, so the machine's drift over the
        // run does not pass for the counters' cost.
        await wrk(u.counted, opts, get, 2);
        let counted = 0;
        let uncounted = 0;
        for (let i = 0; i < 2; i++) {
          uncounted += (await wrk(u.cached, opts, get)).rps;
          const row = await run("gateway, cached lookup, counted", "counted", u.counted);
          row.ratio = row.result.rps / plain.result.rps;
          counted += row.result.rps;
        }
        trackerProof[`counted_to_cached_${size}`] = counted / uncounted;
      }
      byteHit.ratio = byteHit.result.rps / plain.result.rps;
      hit.ratio = hit.result.rps / plain.result.rps;
      miss.ratio = miss.result.rps / plain.result.rps;
      trackerProof[`lookups_${size}`] = miss.result.requests;
      trackerProof[`connections_seen_${size}`] = seen.size;
      trackerProof[`connections_new_${size}`] = [...seen].filter(
        (p) => !before.established.has(p),
      ).length;
      trackerProof[`time_wait_added_${size}`] = Math.max(0, after.timeWait - before.timeWait);
      trackerProof[`uncached_to_cached_${size}`] = miss.result.rps / hit.result.rps;
    }
    trackerProof = { ...trackerProof };

    // PUT 1 MiB: straight to a storage node, then through the gateway (create_open,
    // PUT to storage, create_close, lookup refresh).
    const storage = cluster.storage[0];
    const devid = storage.devids[0];
    const size = 1048576;
    process.stdout.write("bench: storage node direct PUT 1m ...");
    const directPut = await wrk(
      `http://${storage.ip}:${storage.port}`,
      opts,
      putLua(`/dev${devid}/bench-put/`, size),
    );
    process.stdout.write(` ${fmt(directPut.rps)} req/s\n`);
    process.stdout.write("bench: gateway PUT 1m ...");
    const gatewayPut = await wrk(cached.url, opts, putLua("/put/bench-put/", size));
    process.stdout.write(` ${fmt(gatewayPut.rps)} req/s\n`);
    process.stdout.write("bench: MogileFS client direct PUT 1m ...");
    const clientPut = await clientPuts(tracker.address, randomBytes(size), opts);
    process.stdout.write(` ${fmt(clientPut.rps)} req/s\n`);
    rows.push({
      name: "storage node direct PUT",
      size: "1m",
      target: "direct-put",
      result: directPut,
    });
    rows.push({
      name: "MogileFS client PUT",
      size: "1m",
      target: "client-put",
      result: clientPut,
      ratio: clientPut.rps / directPut.rps,
    });
    rows.push({
      name: "gateway PUT",
      size: "1m",
      target: "gateway-put",
      result: gatewayPut,
      ratio: gatewayPut.rps / directPut.rps,
      memory: memory.summary(),
    });
    memory.stop();
    const mem = memory.summary();

    console.log(`\n${table(rows)}\n`);
    console.log(
      "ratio: GET rows against nginx proxy_pass of the same size; PUT rows against a PUT straight to the storage node.",
    );
    for (const size of Object.keys(objects)) {
      console.log(
        `cache off ${size}: ${trackerProof[`lookups_${size}`]} lookups over ${trackerProof[`connections_seen_${size}`]} tracker connection(s) ` +
          `(${trackerProof[`connections_new_${size}`]} opened during the run, ${trackerProof[`time_wait_added_${size}`]} closed); ` +
          `${fmt(trackerProof[`uncached_to_cached_${size}`], 2)} of cached req/s`,
      );
    }
    for (const size of Object.keys(objects)) {
      if (trackerProof[`counted_to_cached_${size}`] !== undefined) {
        console.log(
          `counters ${size}: ${fmt(trackerProof[`counted_to_cached_${size}`], 2)} of the uncounted cached req/s (two runs each, alternating)`,
        );
      }
    }
    console.log(
      `gateway PUT: ${fmt(gatewayPut.rps / directPut.rps, 2)} of a PUT straight to the storage node, ` +
        `${fmt(gatewayPut.rps / clientPut.rps, 2)} of a MogileFS client's create_open + PUT + create_close`,
    );
    console.log(
      `gateway workers (${mem.workers}): RSS ${fmt(mem.startMiB, 1)} MiB at start, peak ${fmt(mem.peakMiB, 1)} MiB; ` +
        `largest growth ${fmt(mem.growthMiB, 1)} MiB (own memory ${fmt(mem.anonGrowthMiB, 1)} MiB, ${fmt(mem.endGrowthMiB, 1)} MiB at the end)`,
    );
    console.log(
      `bench: done in ${fmt((Date.now() - startedAt) / 1000)} s; load average ${info.loadAverageAtStart} at start, ${loadavg()
        .map((n) => n.toFixed(2))
        .join(" ")} at the end`,
    );
    if (opts.json) {
      writeFileSync(
        opts.json,
        `${JSON.stringify(
          {
            date: new Date().toISOString(),
            machine: info,
            wrk: { threads: opts.threads, connections: opts.connections, seconds: opts.duration },
            rows,
            trackerConnections: trackerProof,
            gatewayPutToClientPut: gatewayPut.rps / clientPut.rps,
            memory: mem,
          },
          null,
          2,
        )}\n`,
      );
      console.log(`bench: wrote ${opts.json}`);
    }
  } finally {
    for (const g of gateways) {
      await g.stop().catch(() => undefined);
    }
    await cluster?.stop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${(e as Error).message ?? String(e)}`);
    process.exit(1);
  },
);
