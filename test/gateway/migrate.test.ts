// A C-module config migrated with node build.mjs --migrate's code, run as it comes
// out: the C module's documented example on loopback (trackers of the local
// cluster, or an external one), plus an upstream of trackers, a server-level
// domain, a location without a trailing slash and a key argument. The migrated
// nginx.conf must pass nginx -t and serve the keys the C config served.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { formatReport, type MigrationResult, migrateConfig } from "../../build/migrate.mjs";
import { storeFile } from "../cluster/files";
import { freePort } from "../cluster/ports";
import { printLogsOnFailure, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { fetchRaw, type Gateway, nginxCommand, startGateway } from "./gateway";

const cluster = useCluster({ trackers: 2, storageHosts: 2, domains: [{ name: "files" }] });
const prefix = uniquePrefix("migrate");
const dir = mkdtempSync(join(tmpdir(), "njs-mogilefs-migrate-"));

// What an operator of the C module had, with this test's folders and port.
function cModuleConfig(port: number): string {
  const [first, second] = cluster().trackers.map((t) => t.address);
  return `# The C module's documented example, on loopback.
daemon off;
worker_processes 2;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;

    upstream mogile_trackers {
        server ${first};
        server ${second ?? first};
    }

    server {
        listen 127.0.0.1:${port};
        mogilefs_domain  ${cluster().domain};          # for every location below

        location /download/ {                      # public reads
            mogilefs_tracker mogile_trackers;
            mogilefs_pass {
                proxy_pass        $mogilefs_path;
                proxy_hide_header Content-Type;    # storage says text/plain for .fid
                proxy_buffering   off;
            }
        }
        location /upload/ {                        # writes and deletes, loopback only
            allow 127.0.0.0/8;
            deny  all;
            mogilefs_tracker ${first};
            mogilefs_methods put delete;
            mogilefs_read_timeout 5s;
            client_max_body_size 10m;
            mogilefs_pass {
                proxy_pass        $mogilefs_path;
                proxy_hide_header Content-Type;
                proxy_buffering   off;
            }
        }
        location /noslash {                        # the C quirk: keys keep a leading /
            mogilefs_tracker ${first};
            mogilefs_pass {
                proxy_pass $mogilefs_path;
            }
        }
        location /by-arg/ {
            mogilefs_tracker mogile_trackers;
            mogilefs_noverify on;
            mogilefs_pass "$arg_k" {
                proxy_pass $mogilefs_path;
            }
        }
    }
}
`;
}

let started: Promise<{ gateway: Gateway; migrated: MigrationResult }> | undefined;
function gateway(): Promise<{ gateway: Gateway; migrated: MigrationResult }> {
  started ??= (async () => {
    const port = await freePort();
    const migrated = migrateConfig(cModuleConfig(port), {
      file: "nginx.conf",
      nginxDir: join(dir, "conf"),
    });
    const { trackers, nginxDir: _nginxDir, ...rest } = migrated.config;
    const gateway = await startGateway({
      trackers: trackers as string[],
      dir,
      port,
      config: rest,
      nginxConf: migrated.nginxConf,
    });
    return { gateway, migrated };
  })();
  return started;
}

afterAll(async () => {
  await (await started?.catch(() => undefined))?.gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function logsOnFailure(): Promise<{ gateway: Gateway; migrated: MigrationResult }> {
  printLogsOnFailure(cluster);
  const g = await gateway();
  onTestFailed(() => {
    console.error(`migrated nginx.conf:\n${g.migrated.nginxConf}`);
    console.error(`report:\n${formatReport(g.migrated.report, "nginx.conf")}`);
    console.error(`gateway error log:\n${g.gateway.errorLog()}`);
  });
  return g;
}

function url(g: Gateway, location: string, key: string): string {
  return `${g.url}${location}${key.split("/").map(encodeURIComponent).join("/")}`;
}

describe("a migrated C-module config", () => {
  it("translates every line and passes nginx -t", async () => {
    const { gateway: g, migrated } = await logsOnFailure();
    expect(migrated.configProblems).toEqual([]);
    expect(migrated.report.filter((r) => r.action === "not translated")).toEqual([]);
    expect(migrated.config.trackers).toEqual([
      ...new Set(cluster().trackers.map((t) => t.address)),
    ]);
    expect(migrated.config.tracker).toEqual({ readTimeout: "5s" });
    expect(migrated.nginxConf).not.toMatch(/^\s*mogilefs_/m);
    const check = spawnSync(...nginxCommand(["-t", "-p", g.dir, "-c", join(g.dir, "nginx.conf")]), {
      encoding: "utf8",
    });
    expect(check.stderr).toContain("test is successful");
    expect(check.status).toBe(0);
  });

  it("serves GET and HEAD on /download/ with the key after the prefix", async () => {
    const { gateway: g } = await logsOnFailure();
    const key = `${prefix}photos/a b+c.jpg`;
    const body = randomBytes(20_000);
    await storeFile(cluster().trackers[0].address, cluster().domain, key, body);
    const got = await fetchRaw(url(g, "/download/", key));
    expect(got.status).toBe(200);
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers["content-type"]).toBe("image/jpeg");
    const head = await fetchRaw(url(g, "/download/", key), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(body.length));
    expect((await fetchRaw(url(g, "/download/", `${prefix}missing.jpg`))).status).toBe(404);
    // mogilefs_methods was not set: the C default, GET (and HEAD) only.
    const put = await fetchRaw(url(g, "/download/", key), {
      method: "PUT",
      body: Buffer.from("x"),
    });
    expect(put.status).toBe(405);
  });

  it("serves PUT and DELETE on /upload/, and nothing else there, as mogilefs_methods said", async () => {
    const { gateway: g } = await logsOnFailure();
    const key = `${prefix}upload/b.bin`;
    const body = randomBytes(50_000);
    const put = await fetchRaw(url(g, "/upload/", key), { method: "PUT", body });
    expect(put.status).toBe(201);
    const got = await fetchRaw(url(g, "/download/", key));
    expect(got.status).toBe(200);
    expect(got.body.equals(body)).toBe(true);
    expect((await fetchRaw(url(g, "/upload/", key))).status).toBe(405);
    expect((await fetchRaw(url(g, "/upload/", key), { method: "DELETE" })).status).toBe(204);
    expect((await fetchRaw(url(g, "/download/", key))).status).toBe(404);
    // The C module said 204 here too; ours tells the truth.
    expect((await fetchRaw(url(g, "/upload/", key), { method: "DELETE" })).status).toBe(404);
  });

  it("keeps the leading / of keys under a location without a trailing slash, as the C module did", async () => {
    const { gateway: g } = await logsOnFailure();
    const key = `${prefix}slash.txt`;
    const body = Buffer.from("stored under a key that starts with /");
    await storeFile(cluster().trackers[0].address, cluster().domain, `/${key}`, body);
    const got = await fetchRaw(url(g, "/noslash/", key));
    expect(got.status).toBe(200);
    expect(got.body.equals(body)).toBe(true);
  });

  it("reads the key from the mogilefs_pass argument", async () => {
    const { gateway: g } = await logsOnFailure();
    const key = `${prefix}by-arg.txt`;
    const body = Buffer.from("key from $arg_k");
    await storeFile(cluster().trackers[0].address, cluster().domain, key, body);
    // nginx does not decode $arg_k: the key goes as it is (letters, digits, - and /).
    const got = await fetchRaw(`${g.url}/by-arg/?k=${key}`);
    expect(got.status).toBe(200);
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers["content-type"]).toBe("text/plain");
  });
});
