import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeTrackerConnections, expectOk, TrackerConnection, trackerCommand } from "./client";
import { type DbConfig, type MariaDb, startMariaDb } from "./mariadb";
import { freePort } from "./ports";
import { type Daemon, killAllDaemonsNow, logTail, spawnDaemon, waitFor } from "./process";
import { createStorageNode, type StorageNode } from "./storage";

// The local MogileFS cluster: MariaDB, N trackers (test/cluster/tracker) and M
// nginx storage nodes on 127.0.0.2, 127.0.0.3, ..., registered through the
// tracker's admin commands exactly as `mogadm` would. With MOGILEFS_TRACKERS set it
// starts nothing and hands out the given trackers instead (external mode).

export type ClassSpec = { name: string; mindevcount: number; replpolicy?: string };
export type DomainSpec = { name: string; classes?: ClassSpec[] };

export type ClusterOptions = {
  trackers?: number;
  storageHosts?: number;
  devicesPerHost?: number;
  domains?: DomainSpec[];
  // Kept between runs (npm start uses .mogilefs/); otherwise a fresh temp dir.
  stateDir?: string;
  // Extra tracker command-line options, e.g. ["--tempfile-max-age", "2"].
  trackerArgs?: string[];
};

export type TrackerInfo = { host: string; port: number; address: string };
export type StorageInfo = {
  hostid: number;
  hostname: string;
  ip: string;
  port: number;
  devids: number[];
};

export type Cluster = {
  external: boolean;
  // The domain tests use: the first configured one, or MOGILEFS_DOMAIN.
  domain: string;
  trackers: TrackerInfo[];
  storage: StorageInfo[];
  db: DbConfig | undefined;
  dir: string | undefined;
  logs(): string;
  killStorage(index: number): Promise<void>;
  startStorage(index: number): Promise<void>;
  killTracker(index: number): Promise<void>;
  // Make a daemon hang (accepting, never answering) and recover: SIGSTOP/SIGCONT.
  pauseStorage(index: number): void;
  // Resolves once every tracker takes writes on the node's devices again.
  resumeStorage(index: number): Promise<void>;
  pauseTracker(index: number): void;
  resumeTracker(index: number): void;
  // Stop MariaDB under running trackers, and start it again on the same data.
  stopDatabase(): Promise<void>;
  startDatabase(): Promise<void>;
  startTracker(index: number): Promise<void>;
  stop(): Promise<void>;
};

export function externalTrackers(): string[] {
  return (process.env.MOGILEFS_TRACKERS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function isExternal(): boolean {
  return externalTrackers().length > 0;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error("package.json not found above the cluster harness");
    }
    dir = parent;
  }
  return dir;
}

// build.mjs writes the bundle; when it has not run (a lone `npx vitest`), build it here.
async function trackerScript(): Promise<string> {
  const root = repoRoot();
  const out = join(root, "dist", "cluster", "tracker.mjs");
  if (!existsSync(out)) {
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(root, "test", "cluster", "tracker", "main.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outfile: out,
      logLevel: "warning",
    });
  }
  return out;
}

function toInfo(address: string): TrackerInfo {
  const match = /^(.+):(\d+)$/.exec(address);
  if (!match) {
    throw new Error(`MOGILEFS_TRACKERS entry is not host:port: ${address}`);
  }
  return { host: match[1], port: Number(match[2]), address };
}

function externalCluster(): Cluster {
  const domain = process.env.MOGILEFS_DOMAIN;
  if (!domain) {
    throw new Error(
      "MOGILEFS_TRACKERS is set but MOGILEFS_DOMAIN is not: name the domain the tests may use",
    );
  }
  const refuse = async () => {
    throw new Error("external mode: this cluster's daemons are not ours to stop or start");
  };
  return {
    external: true,
    domain,
    trackers: externalTrackers().map(toInfo),
    storage: [],
    db: undefined,
    dir: undefined,
    logs: () => "(external cluster: no daemon logs here)",
    killStorage: refuse,
    startStorage: refuse,
    killTracker: refuse,
    pauseStorage: () => {
      throw new Error("external mode: this cluster's daemons are not ours to pause");
    },
    resumeStorage: async () => undefined,
    pauseTracker: () => {
      throw new Error("external mode: this cluster's daemons are not ours to pause");
    },
    resumeTracker: () => undefined,
    stopDatabase: refuse,
    startDatabase: refuse,
    startTracker: refuse,
    async stop() {
      closeTrackerConnections();
    },
  };
}

type SavedState = { trackerPorts?: number[]; storagePorts?: number[] };

function readState(dir: string): SavedState {
  try {
    return JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as SavedState;
  } catch {
    return {};
  }
}

// A port saved by an earlier run is reused when still free, so URLs stay the same.
async function portFor(ip: string, saved: number | undefined): Promise<number> {
  if (saved) {
    const { createServer } = await import("node:net");
    const free = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once("error", () => res(false));
      s.listen(saved, ip, () => s.close(() => res(true)));
    });
    if (free) {
      return saved;
    }
  }
  return freePort(ip);
}

const clusters = new Set<Cluster>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  // Daemons must not outlive the process that started them, however it ends.
  process.once("exit", () => killAllDaemonsNow());
  // A terminal's Ctrl-C reaches this process and its daemons alike, and often twice:
  // later signals must not cut the first one's orderly stop short.
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) {
        return;
      }
      stopping = true;
      Promise.all([...clusters].map((c) => c.stop())).finally(() => process.exit(130));
    });
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  if (isExternal()) {
    return externalCluster();
  }
  installExitHooks();
  const trackerCount = options.trackers ?? 2;
  const hostCount = options.storageHosts ?? 2;
  const devicesPerHost = options.devicesPerHost ?? 1;
  const domains = options.domains ?? [
    { name: "files", classes: [{ name: "two", mindevcount: 2 }] },
  ];
  const persistent = options.stateDir !== undefined;
  const dir = persistent
    ? resolve(options.stateDir as string)
    : mkdtempSync(join(tmpdir(), "njs-mogilefs-"));
  mkdirSync(dir, { recursive: true });
  const saved = persistent ? readState(dir) : {};

  let db: MariaDb | undefined;
  const trackerDaemons: Array<Daemon | undefined> = [];
  const trackers: TrackerInfo[] = [];
  const nodes: StorageNode[] = [];
  const storage: StorageInfo[] = [];
  const script = await trackerScript();

  const startTracker = async (index: number) => {
    if (trackerDaemons[index]) {
      return;
    }
    const t = trackers[index];
    const daemon = spawnDaemon(
      `tracker${index + 1}`,
      process.execPath,
      [
        script,
        "--listen",
        t.address,
        "--name",
        `tracker${index + 1}`,
        "--db-socket",
        (db as MariaDb).socketPath,
        "--db-user",
        (db as MariaDb).user,
        "--db-password",
        (db as MariaDb).password,
        "--db-name",
        (db as MariaDb).database,
        ...(options.trackerArgs ?? []),
      ],
      join(dir, `tracker${index + 1}.log`),
    );
    trackerDaemons[index] = daemon;
    let exited = false;
    daemon.exited.then(() => {
      exited = true;
      if (trackerDaemons[index] === daemon) {
        trackerDaemons[index] = undefined;
      }
    });
    await waitFor(`tracker ${t.address}`, async () => {
      if (exited) {
        throw new Error(`tracker exited; see ${daemon.logPath}`);
      }
      if (!logTail(daemon.logPath, 400).includes(`ready: listening on ${t.address}`)) {
        return false;
      }
      const conn = await TrackerConnection.connect(t.address, 1000);
      try {
        const answer = await conn.command("noop");
        return answer.kind === "ok";
      } finally {
        conn.close();
      }
    });
  };

  // A storage node back from a stop or a pause is writable again only once each
  // tracker's monitor has seen it (about a second): until then create_open may
  // answer no_devices. Ask every running tracker until it offers the node's devices.
  const devicesWritable = async (devids: number[]) => {
    const domain = domains[0]?.name ?? "files";
    // Only trackers that run: one killed on purpose cannot answer.
    const running = trackers.filter((_t, i) => trackerDaemons[i] !== undefined);
    for (const tracker of running) {
      await waitFor(
        `tracker ${tracker.address} to write to devices ${devids.join(", ")}`,
        async () => {
          const answer = await trackerCommand(tracker.address, "create_open", {
            domain,
            key: "njs-mogilefs-harness/writable-probe",
            multi_dest: "1",
          });
          if (answer.kind !== "ok") {
            return false;
          }
          const offered = Object.keys(answer.args)
            .filter((name) => /^devid_\d+$/.test(name))
            .map((name) => Number(answer.args[name]));
          return devids.every((devid) => offered.includes(devid));
        },
        20_000,
        200,
      );
    }
  };

  const cluster: Cluster = {
    external: false,
    domain: domains[0]?.name ?? "files",
    trackers,
    storage,
    db: undefined,
    dir,
    logs() {
      const parts: string[] = [];
      if (db) {
        parts.push(`--- mariadb (${db.logPath}) ---\n${logTail(db.logPath, 20)}`);
      }
      trackers.forEach((_t, i) => {
        const path = join(dir, `tracker${i + 1}.log`);
        parts.push(`--- tracker${i + 1} (${path}) ---\n${logTail(path, 80)}`);
      });
      for (const node of nodes) {
        parts.push(
          `--- storage ${node.ip}:${node.port} (${node.logPath}) ---\n${logTail(node.logPath, 20)}`,
        );
      }
      return parts.join("\n");
    },
    killStorage: (i) => nodes[i].stop(),
    pauseStorage: (i) => nodes[i].pause(),
    async resumeStorage(i) {
      nodes[i].resume();
      await devicesWritable(nodes[i].devids);
    },
    pauseTracker(i) {
      const pid = trackerDaemons[i]?.child.pid;
      if (pid) {
        process.kill(pid, "SIGSTOP");
      }
    },
    resumeTracker(i) {
      const pid = trackerDaemons[i]?.child.pid;
      if (pid) {
        process.kill(pid, "SIGCONT");
      }
    },
    async stopDatabase() {
      await db?.stop();
    },
    async startDatabase() {
      // Same data directory and socket: the trackers' pools reconnect by themselves.
      db = await startMariaDb(join(dir, "mariadb"));
    },
    async startStorage(i) {
      await nodes[i].start();
      await devicesWritable(nodes[i].devids);
    },
    async killTracker(i) {
      const daemon = trackerDaemons[i];
      trackerDaemons[i] = undefined;
      await daemon?.stop();
    },
    startTracker,
    async stop() {
      clusters.delete(cluster);
      closeTrackerConnections();
      await Promise.all(trackerDaemons.map((d) => d?.stop()));
      await Promise.all(nodes.map((n) => n.stop()));
      await db?.stop();
      if (!persistent && !process.env.KEEP_CLUSTER) {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  clusters.add(cluster);

  try {
    db = await startMariaDb(join(dir, "mariadb"));
    cluster.db = {
      socketPath: db.socketPath,
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
    };
    // Ports are picked free but bound a moment later, so another cluster starting in
    // parallel can take one first: a daemon that fails to start gets a new port.
    for (let i = 0; i < hostCount; i++) {
      const ip = `127.0.0.${i + 2}`;
      const devids = Array.from({ length: devicesPerHost }, (_x, k) => i * devicesPerHost + k + 1);
      for (let attempt = 0; ; attempt++) {
        const port =
          attempt === 0 ? await portFor(ip, saved.storagePorts?.[i]) : await freePort(ip);
        const node = await createStorageNode(join(dir, `storage${i + 1}`), ip, devids, port);
        try {
          await node.start();
          nodes.push(node);
          break;
        } catch (e) {
          await node.stop();
          if (attempt >= 2) {
            throw e;
          }
        }
      }
    }
    for (let i = 0; i < trackerCount; i++) {
      const port = await portFor("127.0.0.1", saved.trackerPorts?.[i]);
      trackers.push({ host: "127.0.0.1", port, address: `127.0.0.1:${port}` });
    }
    const startTrackerRetrying = async (i: number) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await startTracker(i);
        } catch (e) {
          if (attempt >= 2) {
            throw e;
          }
          const port = await freePort();
          trackers[i] = { host: "127.0.0.1", port, address: `127.0.0.1:${port}` };
        }
      }
    };
    // The first tracker creates the schema; the others then start together.
    await startTrackerRetrying(0);
    await Promise.all(trackers.slice(1).map((_t, i) => startTrackerRetrying(i + 1)));
    if (persistent) {
      writeFileSync(
        join(dir, "cluster.json"),
        `${JSON.stringify({ trackerPorts: trackers.map((t) => t.port), storagePorts: nodes.map((n) => n.port) })}\n`,
      );
    }
    await register(trackers[0].address, nodes, domains, storage);
    return cluster;
  } catch (e) {
    const logs = cluster.logs();
    await cluster.stop().catch(() => undefined);
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}

// What `mogadm host add`, `device add`, `domain add` and `class add` send. A cluster
// kept in stateDir already has them: existing entries are updated instead.
async function register(
  tracker: string,
  nodes: StorageNode[],
  domains: DomainSpec[],
  storage: StorageInfo[],
): Promise<void> {
  const tolerate = async (
    run: () => Promise<unknown>,
    code: string,
    instead?: () => Promise<unknown>,
  ) => {
    try {
      await run();
    } catch (e) {
      if (!String((e as Error).message).includes(` ${code} `)) {
        throw e;
      }
      await instead?.();
    }
  };
  for (const [i, node] of nodes.entries()) {
    const hostname = `storage${i + 1}`;
    const host = { host: hostname, ip: node.ip, port: String(node.port), status: "alive" };
    await tolerate(
      () => expectOk(tracker, "create_host", host),
      "host_exists",
      () => expectOk(tracker, "update_host", host),
    );
    for (const devid of node.devids) {
      await tolerate(
        () =>
          expectOk(tracker, "create_device", { hostname, devid: String(devid), state: "alive" }),
        "existing_devid",
      );
    }
    const hosts = await expectOk(tracker, "get_hosts", {});
    let hostid = 0;
    for (let n = 1; n <= Number(hosts.hosts); n++) {
      if (hosts[`host${n}_hostname`] === hostname) {
        hostid = Number(hosts[`host${n}_hostid`]);
      }
    }
    storage.push({ hostid, hostname, ip: node.ip, port: node.port, devids: node.devids });
  }
  for (const domain of domains) {
    await tolerate(
      () => expectOk(tracker, "create_domain", { domain: domain.name }),
      "domain_exists",
    );
    for (const cls of domain.classes ?? []) {
      const args: Record<string, string> = {
        domain: domain.name,
        class: cls.name,
        mindevcount: String(cls.mindevcount),
      };
      if (cls.replpolicy) {
        args.replpolicy = cls.replpolicy;
      }
      await tolerate(
        () => expectOk(tracker, "create_class", args),
        "class_exists",
        () => expectOk(tracker, "update_class", args),
      );
    }
  }
}
