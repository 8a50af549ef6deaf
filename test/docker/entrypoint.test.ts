// The container's start-up script (docker/entrypoint.d/40-mogilefs.sh) outside a
// container: configurations rendered from environment variables by the njs
// command-line engine, checked by Debian's nginx and serving the local cluster;
// and the one line each bad variable stops the start with.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { printLogsOnFailure, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import {
  expectReadWriteCycle,
  nginxTest,
  type RunningNginx,
  readWriteEnvironment,
  root,
  runScript,
  type Sandbox,
  sandbox,
  sandboxWithFreePort,
  startRendered,
} from "./entrypoint";

const boxes: Sandbox[] = [];
function box(): Sandbox {
  const b = sandbox();
  boxes.push(b);
  return b;
}
afterAll(() => {
  if (!process.env.KEEP_CLUSTER) {
    for (const b of boxes) {
      rmSync(b.dir, { recursive: true, force: true });
    }
  }
});

const GOOD = { MOGILEFS_TRACKERS: "127.0.0.1:7001", MOGILEFS_DOMAIN: "files" };
const E = "40-mogilefs.sh: error: ";

describe("bad variables", () => {
  // Each stops the start with exactly this line on stderr, a non-zero exit, and
  // nothing written.
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    [
      "no trackers",
      { MOGILEFS_TRACKERS: undefined },
      "MOGILEFS_TRACKERS is required: the trackers as comma-separated host[:port] (port 7001 when omitted)",
    ],
    [
      "no domain",
      { MOGILEFS_DOMAIN: "" },
      'MOGILEFS_DOMAIN is required: the MogileFS domain to serve (letters, digits, "_", "." or "-")',
    ],
    [
      "a tracker port out of range",
      { MOGILEFS_TRACKERS: "10.0.0.1:7001,tracker:99999" },
      'MOGILEFS_TRACKERS="10.0.0.1:7001,tracker:99999": "tracker:99999" is not host[:port]',
    ],
    [
      "a tracker with a path",
      { MOGILEFS_TRACKERS: "http://tracker/" },
      'MOGILEFS_TRACKERS="http://tracker/": "http://tracker/" is not host[:port]',
    ],
    [
      "a domain with a space",
      { MOGILEFS_DOMAIN: "my files" },
      'MOGILEFS_DOMAIN="my files": required, letters, digits, "_", "." or "-"',
    ],
    [
      "a location without its leading slash",
      { MOGILEFS_LOCATION: "files/" },
      'MOGILEFS_LOCATION="files/": must be a URI prefix starting with "/", without spaces, quotes or ; { } #',
    ],
    [
      "a location with a semicolon",
      { MOGILEFS_LOCATION: "/files/;" },
      'MOGILEFS_LOCATION="/files/;": must be a URI prefix starting with "/", without spaces, quotes or ; { } #',
    ],
    [
      "a method the gateway does not serve",
      { MOGILEFS_METHODS: "GET POST" },
      'MOGILEFS_METHODS="GET POST": "POST" is not one of GET, HEAD, PUT, DELETE',
    ],
    ["a list flag", { MOGILEFS_LIST: "maybe" }, 'MOGILEFS_LIST="maybe": must be on or off'],
    [
      "a noverify flag",
      { MOGILEFS_NOVERIFY: "sometimes" },
      'MOGILEFS_NOVERIFY="sometimes": must be on or off',
    ],
    ["a cache flag", { MOGILEFS_CACHE: "please" }, 'MOGILEFS_CACHE="please": must be on or off'],
    [
      "a cache TTL in words",
      { MOGILEFS_CACHE_TTL: "1 minute" },
      'MOGILEFS_CACHE_TTL="1 minute": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "an unknown-key TTL",
      { MOGILEFS_CACHE_UNKNOWN_KEY_TTL: "-5s" },
      'MOGILEFS_CACHE_UNKNOWN_KEY_TTL="-5s": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "a cache size",
      { MOGILEFS_CACHE_MAX_SIZE: "lots" },
      'MOGILEFS_CACHE_MAX_SIZE="lots": must be an nginx size such as "10m"',
    ],
    [
      "a relative cache path",
      { MOGILEFS_CACHE_PATH: "cache" },
      'MOGILEFS_CACHE_PATH="cache": must be an absolute path without spaces or ; { } quotes',
    ],
    [
      "a relative runtime folder",
      { MOGILEFS_RUNTIME_DIR: "run" },
      'MOGILEFS_RUNTIME_DIR="run": must be an absolute path without spaces or ; { } quotes',
    ],
    [
      "a tracker connect timeout",
      { MOGILEFS_TRACKER_CONNECT_TIMEOUT: "1 s" },
      'MOGILEFS_TRACKER_CONNECT_TIMEOUT="1 s": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "a tracker read timeout",
      { MOGILEFS_TRACKER_READ_TIMEOUT: "soon" },
      'MOGILEFS_TRACKER_READ_TIMEOUT="soon": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "a storage connect timeout",
      { MOGILEFS_STORAGE_CONNECT_TIMEOUT: "1.5s" },
      'MOGILEFS_STORAGE_CONNECT_TIMEOUT="1.5s": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "a storage read timeout",
      { MOGILEFS_STORAGE_READ_TIMEOUT: "30sec" },
      'MOGILEFS_STORAGE_READ_TIMEOUT="30sec": must be an nginx time such as "3s" or "500ms"',
    ],
    [
      "a storage network by name",
      { MOGILEFS_STORAGE_ALLOW: "10.0.0.0/8,storage.example" },
      'MOGILEFS_STORAGE_ALLOW="10.0.0.0/8,storage.example": must be a list of IPv4 networks such as "10.0.0.0/8"',
    ],
    [
      "a class with a space",
      { MOGILEFS_CLASS: "big files" },
      'MOGILEFS_CLASS="big files": must be a class name (letters, digits, "_", "." or "-")',
    ],
    [
      "a body size in words",
      { MOGILEFS_MAX_BODY_SIZE: "big" },
      'MOGILEFS_MAX_BODY_SIZE="big": must be an nginx size such as "1m" or "2g" (0: no limit)',
    ],
    [
      "a port name",
      { MOGILEFS_PORT: "http" },
      'MOGILEFS_PORT="http": must be a port number, 1 to 65535',
    ],
    [
      "a port too high",
      { MOGILEFS_PORT: "70000" },
      'MOGILEFS_PORT="70000": must be a port number, 1 to 65535',
    ],
    [
      "a worker count",
      { MOGILEFS_WORKER_PROCESSES: "many" },
      'MOGILEFS_WORKER_PROCESSES="many": must be "auto" or a number of workers',
    ],
    [
      "a log level",
      { MOGILEFS_LOG_LEVEL: "loud" },
      'MOGILEFS_LOG_LEVEL="loud": must be one of debug, info, notice, warn, error, crit, alert, emerg',
    ],
    [
      "an access log that is not a path",
      { MOGILEFS_ACCESS_LOG: "stdout" },
      'MOGILEFS_ACCESS_LOG="stdout": must be "off" or an absolute path without spaces, quotes or ; { } #',
    ],
    [
      "a user with a semicolon",
      { MOGILEFS_USER: "root;" },
      'MOGILEFS_USER="root;": must be a user name, or empty to run nginx as the container\'s user',
    ],
    [
      "a mime.types file that is not there",
      { MOGILEFS_MIME_TYPES: "/nonexistent/mime.types" },
      'MOGILEFS_MIME_TYPES="/nonexistent/mime.types": cannot read it (ENOENT)',
    ],
    [
      "a status allow entry that is no address",
      { MOGILEFS_STATUS_ALLOW: "127.0.0.1,everyone" },
      'MOGILEFS_STATUS_ALLOW="127.0.0.1,everyone": must be a list of addresses or networks, such as "127.0.0.1" or "10.0.0.0/8", or "all"',
    ],
    [
      "a status switch that is neither on nor off",
      { MOGILEFS_STATUS: "sometimes" },
      'MOGILEFS_STATUS="sometimes": must be on or off',
    ],
    [
      "a snippet folder with a space",
      { MOGILEFS_NGINX_DIR: "/etc/nginx/mogile fs" },
      'MOGILEFS_NGINX_DIR="/etc/nginx/mogile fs": must be an absolute path without spaces, quotes or ; { } #',
    ],
  ];
  for (const [what, change, line] of cases) {
    it(`stops on ${what}, naming the variable and what it expects`, () => {
      const b = box();
      const run = runScript({ ...b.env, ...GOOD, ...change });
      expect(run.stderr).toBe(`${E}${line}\n`);
      expect(run.status).toBe(1);
      expect(existsSync(join(b.nginxDir, "nginx.conf"))).toBe(false);
    });
  }

  it("names every bad variable at once, one line each", () => {
    const b = box();
    const run = runScript({
      ...b.env,
      MOGILEFS_TRACKERS: "",
      MOGILEFS_DOMAIN: "a/b",
      MOGILEFS_CACHE_TTL: "x",
      MOGILEFS_PORT: "0",
    });
    expect(run.status).toBe(1);
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([
      `${E}MOGILEFS_TRACKERS is required: the trackers as comma-separated host[:port] (port 7001 when omitted)`,
      `${E}MOGILEFS_PORT="0": must be a port number, 1 to 65535`,
      `${E}MOGILEFS_CACHE_TTL="x": must be an nginx time such as "3s" or "500ms"`,
      `${E}MOGILEFS_DOMAIN="a/b": required, letters, digits, "_", "." or "-"`,
    ]);
  });

  it("says so, with the engine's words, when the renderer itself cannot run", () => {
    const b = box();
    const run = runScript({ ...b.env, ...GOOD, MOGILEFS_SHARE_DIR: join(b.dir, "nowhere") });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^40-mogilefs\.sh: error: the renderer failed \(njs exit status [1-9][0-9]*\):\n.*render-env\.js/,
    );
  });
});

describe("rendering", () => {
  it("renders a configuration nginx accepts from the two required variables alone", () => {
    const b = box();
    const run = runScript({ ...b.env, ...GOOD });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`40-mogilefs.sh: rendered the nginx configuration in ${b.nginxDir}\n`);
    expect(run.status).toBe(0);
    expect(readdirSync(b.nginxDir).sort()).toEqual([
      "gateway.conf",
      "http.conf",
      "location.conf",
      "locations.conf",
      "main.conf",
      "mogilefs.js",
      "nginx.conf",
      "server.conf",
      "storage-read.conf",
      "stream.conf",
    ]);
    const test = nginxTest(b.nginxDir, b.dir);
    expect(test.stderr).toContain("test is successful");
    expect(test.status).toBe(0);
    const locations = readFileSync(join(b.nginxDir, "locations.conf"), "utf8");
    expect(locations).toContain("location / {");
    expect(locations).toContain('set $mogilefs_methods "GET HEAD";');
    expect(locations).not.toContain("$mogilefs_list");
    const gateway = readFileSync(join(b.nginxDir, "gateway.conf"), "utf8");
    expect(gateway).toContain("listen 80;");
    expect(gateway).toContain("client_max_body_size 1m;");
    expect(gateway).not.toContain("$mogilefs_class");
    expect(gateway).toContain(`include ${b.env.MOGILEFS_EXTENSIONS_DIR}/server/*.conf;`);
  });

  it("renders every setting where nginx reads it", () => {
    const b = box();
    const run = runScript({
      ...b.env,
      MOGILEFS_TRACKERS: " 127.0.0.1:7001 , 127.0.0.2 ",
      MOGILEFS_DOMAIN: "photos.v2",
      MOGILEFS_LOCATION: "/media/",
      MOGILEFS_METHODS: "get,head put DELETE",
      MOGILEFS_LIST: "on",
      MOGILEFS_NOVERIFY: "off",
      MOGILEFS_CLASS: "two",
      MOGILEFS_MAX_BODY_SIZE: "2g",
      MOGILEFS_PORT: "8080",
      MOGILEFS_WORKER_PROCESSES: "3",
      MOGILEFS_LOG_LEVEL: "info",
      MOGILEFS_CACHE: "off",
      MOGILEFS_CACHE_TTL: "5m",
      MOGILEFS_CACHE_UNKNOWN_KEY_TTL: "2s",
      MOGILEFS_CACHE_MAX_SIZE: "1g",
      MOGILEFS_TRACKER_CONNECT_TIMEOUT: "500ms",
      MOGILEFS_TRACKER_READ_TIMEOUT: "7s",
      MOGILEFS_STORAGE_CONNECT_TIMEOUT: "2s",
      MOGILEFS_STORAGE_READ_TIMEOUT: "45s",
      MOGILEFS_STORAGE_ALLOW: "10.0.0.0/8, 192.168.2.7",
      MOGILEFS_STATUS_ALLOW: "10.1.0.0/16,fd00::/8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(nginxTest(b.nginxDir, b.dir).status).toBe(0);
    const read = (name: string) => readFileSync(join(b.nginxDir, name), "utf8");
    expect(read("locations.conf")).toContain("location /media/ {");
    expect(read("locations.conf")).toContain("set $mogilefs_domain photos.v2;");
    expect(read("locations.conf")).toContain('set $mogilefs_methods "GET HEAD PUT DELETE";');
    expect(read("locations.conf")).toContain("set $mogilefs_list on;");
    expect(read("locations.conf")).toContain("set $mogilefs_noverify off;");
    expect(read("gateway.conf")).toContain("listen 8080;");
    expect(read("gateway.conf")).toContain("client_max_body_size 2g;");
    expect(read("gateway.conf")).toContain("set $mogilefs_class two;");
    expect(read("nginx.conf")).toContain("worker_processes 3;");
    expect(read("nginx.conf")).toContain("error_log stderr info;");
    expect(read("server.conf")).toContain("proxy_cache off;");
    expect(read("server.conf")).toContain("proxy_cache_valid 200 5m;");
    expect(read("server.conf")).toContain("proxy_cache_valid 401 2s;");
    expect(read("server.conf")).toContain("proxy_read_timeout 7s;");
    expect(read("http.conf")).toContain("max_size=1g");
    expect(read("stream.conf")).toContain("proxy_pass 127.0.0.2:7001;");
    expect(read("stream.conf")).toContain("proxy_connect_timeout 500ms;");
    expect(read("stream.conf")).toContain(
      'js_var $mogilefs_storage_allow "10.0.0.0/8 192.168.2.7";',
    );
    expect(read("storage-read.conf")).toContain("proxy_connect_timeout 2s;");
    expect(read("storage-read.conf")).toContain("proxy_read_timeout 45s;");
    expect(read("server.conf")).toMatch(/^location = \/_mogilefs\/health \{$/m);
    expect(read("server.conf")).toMatch(
      /^\s*allow 10\.1\.0\.0\/16;\n\s*allow fd00::\/8;\n\s*deny all;$/m,
    );
    // Debian 12's njs 0.7.9 has no ngx.shared: no counters.
    expect(read("http.conf")).not.toContain("js_shared_dict_zone");
    expect(read("nginx.conf")).toMatch(/access_log \S+ mogilefs_gateway;/);
  });

  it("leaves out the status and health locations with MOGILEFS_STATUS=off", () => {
    const b = box();
    const run = runScript({
      ...b.env,
      MOGILEFS_TRACKERS: "127.0.0.1:7001",
      MOGILEFS_DOMAIN: "files",
      MOGILEFS_STATUS: "off",
    });
    expect(run.status).toBe(0);
    expect(nginxTest(b.nginxDir, b.dir).status).toBe(0);
    const server = readFileSync(join(b.nginxDir, "server.conf"), "utf8");
    expect(server).not.toContain("/_mogilefs/health");
    expect(server).not.toContain("mogilefs.status");
  });

  it("leaves out the user directive when MOGILEFS_USER is empty (the non-root image)", () => {
    const b = box();
    expect(runScript({ ...b.env, ...GOOD, MOGILEFS_USER: "" }).status).toBe(0);
    expect(readFileSync(join(b.nginxDir, "nginx.conf"), "utf8")).not.toMatch(/^user /m);
    const c = box();
    expect(runScript({ ...c.env, ...GOOD, MOGILEFS_USER: undefined }).status).toBe(0);
    expect(readFileSync(join(c.nginxDir, "nginx.conf"), "utf8")).toMatch(/^user nginx;$/m);
  });

  it("needs no env line: the module inside nginx reads no environment variable", () => {
    // nginx hides every variable without an `env NAME;` line from njs: a setting
    // read there would be silently off. Only the renderer, outside nginx, reads them.
    const b = box();
    expect(runScript({ ...b.env, ...GOOD }).status).toBe(0);
    const nginxConf = readFileSync(join(b.nginxDir, "nginx.conf"), "utf8");
    const read = new Set<string>();
    for (const file of readdirSync(join(root, "src"))) {
      const text = readFileSync(join(root, "src", file), "utf8");
      expect(text, `src/${file} reads the environment by a computed name`).not.toMatch(
        /process\.env\s*\[/,
      );
      for (const m of text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
        read.add(m[1]);
      }
    }
    for (const name of read) {
      expect(nginxConf, `src/ reads ${name}`).toContain(`env ${name};`);
    }
  });

  it("documents every variable it reads in docker/README.md, and no other", () => {
    const names = (text: string) =>
      new Set([...text.matchAll(/\bMOGILEFS_[A-Z_]+[A-Z]\b/g)].map((m) => m[0]));
    const readByRenderer = names(
      ["docker/render-env.mjs", "docker/entrypoint.d/40-mogilefs.sh", "build/config.mjs"]
        .map((file) => readFileSync(join(root, file), "utf8"))
        .join("\n"),
    );
    const readme = readFileSync(join(root, "docker", "README.md"), "utf8");
    const table = names(
      readme
        .split("\n")
        .filter((l) => l.startsWith("| `MOGILEFS_"))
        .join("\n"),
    );
    expect([...table].sort()).toEqual([...readByRenderer].sort());
  });
});

describe("serving the cluster", () => {
  const cluster = useCluster({
    trackers: 2,
    storageHosts: 2,
    domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
  });
  const prefix = uniquePrefix("docker");
  let nginx: RunningNginx | undefined;
  afterAll(async () => {
    await nginx?.stop();
  });

  it("reads, writes, lists and deletes through the rendered configuration", async () => {
    printLogsOnFailure(cluster);
    const b = await sandboxWithFreePort();
    boxes.push(b);
    onTestFailed(() => {
      console.error(`rendered nginx's output:\n${nginx?.log() ?? "(not started)"}`);
    });
    const run = runScript({ ...b.env, ...readWriteEnvironment(cluster()) });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    nginx = await startRendered(b);
    await expectReadWriteCycle(`http://127.0.0.1:${nginx.port}/files/`, cluster(), prefix);
    // The access log in the gateway's mogilefs_gateway format, with the lookup's
    // cache status, the tracker and the path that served.
    expect(readFileSync(b.env.MOGILEFS_ACCESS_LOG, "utf8")).toMatch(
      /"GET \/files\/\S+ HTTP\/1\.1" 200 \d+ [\d.]+ domain=\S+ key="[^"]+" cache=(MISS|HIT|EXPIRED) .*tracker=\S+ .*attempts=1 path=http:\/\/\S+ storage=200$/m,
    );
  });
});
