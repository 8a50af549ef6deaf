import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { trackerCommand } from "../cluster/client";
import type { Cluster } from "../cluster/harness";
import { freePort } from "../cluster/ports";
import { type Daemon, logTail, spawnDaemon, waitFor } from "../cluster/process";
import { fetchRaw } from "../gateway/gateway";

// The container's start-up script, run outside a container: the files the
// Dockerfile copies into the image are laid out the same way in a temporary
// folder, and every path the script writes to points into it.

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    dir = dirname(dir);
  }
  return dir;
}

export const root = projectRoot();
export const script = join(root, "docker", "entrypoint.d", "40-mogilefs.sh");

// What docker/Dockerfile puts in /usr/share/njs-mogilefs.
export function makeShareDir(dir: string): string {
  const share = join(dir, "share");
  mkdirSync(join(share, "nginx"), { recursive: true });
  copyFileSync(join(root, "dist", "docker", "render-env.js"), join(share, "render-env.js"));
  copyFileSync(join(root, "dist", "mogilefs.js"), join(share, "mogilefs.js"));
  for (const name of readdirSync(join(root, "nginx"))) {
    if (name.endsWith(".conf")) {
      copyFileSync(join(root, "nginx", name), join(share, "nginx", name));
    }
  }
  return share;
}

export type Sandbox = { dir: string; nginxDir: string; env: Record<string, string> };

// A fresh folder and the variables that move every path of the script into it.
export function sandbox(port = 80): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "njs-mogilefs-docker-"));
  const nginxDir = join(dir, "conf");
  return {
    dir,
    nginxDir,
    env: {
      MOGILEFS_SHARE_DIR: makeShareDir(dir),
      MOGILEFS_NGINX_DIR: nginxDir,
      MOGILEFS_EXTENSIONS_DIR: join(dir, "extensions"),
      MOGILEFS_PID_FILE: join(dir, "nginx.pid"),
      MOGILEFS_TEMP_DIR: join(dir, "tmp"),
      MOGILEFS_RUNTIME_DIR: join(dir, "run"),
      MOGILEFS_CACHE_PATH: join(dir, "cache"),
      MOGILEFS_ACCESS_LOG: join(dir, "access.log"),
      MOGILEFS_PORT: String(port),
      // As root, workers would drop to "nginx", a user Debian lacks; as another
      // user there is nobody to switch to.
      MOGILEFS_USER: process.getuid?.() === 0 ? "root" : "",
    },
  };
}

export type ScriptRun = { status: number | null; stdout: string; stderr: string };

// Runs the script with exactly these variables (and PATH): the caller's own
// MOGILEFS_* settings must not leak in.
export function runScript(env: Record<string, string | undefined>): ScriptRun {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) {
      clean[name] = value;
    }
  }
  const run = spawnSync("sh", [script], { env: clean, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function nginxTest(nginxDir: string, prefix: string): ScriptRun {
  const run = spawnSync("nginx", ["-t", "-p", prefix, "-c", join(nginxDir, "nginx.conf")], {
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 1000 }, (res) => {
      res.resume();
      done(true);
    });
    req.on("error", () => done(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export type RunningNginx = { port: number; log(): string; stop(): Promise<void> };

// nginx as the image's CMD starts it, on the configuration the script rendered.
export async function startRendered(box: Sandbox): Promise<RunningNginx> {
  const port = Number(box.env.MOGILEFS_PORT);
  const logPath = join(box.dir, "nginx.out");
  const daemon: Daemon = spawnDaemon(
    "container nginx",
    "nginx",
    ["-p", box.dir, "-c", join(box.nginxDir, "nginx.conf"), "-g", "daemon off;"],
    logPath,
  );
  try {
    await waitFor("the rendered nginx to listen", () => answers(port), 15_000);
  } catch (e) {
    await daemon.stop("SIGQUIT", 5_000);
    throw new Error(`${(e as Error).message}\n${logTail(logPath)}`);
  }
  return {
    port,
    log: () => logTail(logPath, 80),
    stop: () => daemon.stop("SIGQUIT", 5_000),
  };
}

export async function sandboxWithFreePort(): Promise<Sandbox> {
  return sandbox(await freePort());
}

// What a gateway configured with MOGILEFS_LOCATION=/files/, all four methods,
// MOGILEFS_LIST=on, MOGILEFS_MAX_BODY_SIZE=10m and (on the local cluster)
// MOGILEFS_CLASS=two must do: the same checks for the script run here and for the
// image.
export async function expectReadWriteCycle(
  url: string,
  cluster: Cluster,
  prefix: string,
): Promise<void> {
  // A key with a space, a plus and an ampersand, written as a client would.
  const key = `${prefix}a b+c&d.txt`;
  const path = `${url}${key.split("/").map(encodeURIComponent).join("/")}`;
  const body = Buffer.from("stored through the container's configuration\n");

  const put = await fetchRaw(path, { method: "PUT", body });
  expect(put.status).toBe(201);
  const get = await fetchRaw(path);
  expect(get.status).toBe(200);
  expect(get.body.equals(body)).toBe(true);
  expect(get.headers["content-type"]).toBe("text/plain");
  const range = await fetchRaw(path, { headers: { Range: "bytes=0-5" } });
  expect(range.status).toBe(206);
  expect(range.body.toString()).toBe("stored");
  if (!cluster.external) {
    const info = await trackerCommand(cluster.trackers[0].address, "file_info", {
      domain: cluster.domain,
      key,
    });
    expect(info.kind === "ok" && info.args.class).toBe("two");
  }
  const listing = await fetchRaw(`${url}?prefix=${encodeURIComponent(prefix)}`);
  expect(listing.status).toBe(200);
  expect(JSON.parse(listing.body.toString()).keys).toEqual([key]);
  expect((await fetchRaw(path, { method: "POST", body })).status).toBe(405);
  const big = Buffer.alloc(11 * 1024 * 1024, 1);
  expect((await fetchRaw(`${url}${prefix}big`, { method: "PUT", body: big })).status).toBe(413);
  expect((await fetchRaw(path, { method: "DELETE" })).status).toBe(204);
  expect((await fetchRaw(path)).status).toBe(404);
}

// The variables of that gateway.
export function readWriteEnvironment(cluster: Cluster): Record<string, string> {
  const env: Record<string, string> = {
    MOGILEFS_TRACKERS: cluster.trackers.map((t) => t.address).join(","),
    MOGILEFS_DOMAIN: cluster.domain,
    MOGILEFS_LOCATION: "/files/",
    MOGILEFS_METHODS: "GET HEAD PUT DELETE",
    MOGILEFS_LIST: "on",
    MOGILEFS_MAX_BODY_SIZE: "10m",
    MOGILEFS_LOG_LEVEL: "info",
    MOGILEFS_WORKER_PROCESSES: "2",
  };
  // A class this cluster has; an external one may not.
  if (!cluster.external) {
    env.MOGILEFS_CLASS = "two";
  }
  return env;
}
