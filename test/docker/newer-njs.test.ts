// The start-up script with newer njs command-line engines and nginx releases than
// Debian 12's, closer to what the official image ships: run inside the root
// filesystems `npm run test:matrix` keeps (Debian 13, unstable), with chroot.
// Skipped, with one line, where there are none or this is not root.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { root } from "./entrypoint";

const cache =
  process.env.NJS_MOGILEFS_ROOTFS_CACHE || join(homedir(), ".cache", "njs-mogilefs", "rootfs");
const rootfses =
  process.getuid?.() === 0 && existsSync(cache)
    ? readdirSync(cache).filter((name) => existsSync(join(cache, name, "usr", "bin", "njs")))
    : [];
if (rootfses.length === 0) {
  console.info(
    `skipped test/docker/newer-njs.test.ts: ${process.getuid?.() === 0 ? `no root filesystem with njs in ${cache} (npm run test:matrix makes them)` : "chroot needs root"}`,
  );
}

function inRoot(rootfs: string, args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(
    "chroot",
    [
      rootfs,
      "env",
      "-i",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...args,
    ],
    { encoding: "utf8" },
  );
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe.skipIf(rootfses.length === 0)("newer njs engines", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const suite of rootfses) {
    it(`${suite}: renders a configuration its nginx accepts, and names a bad variable`, () => {
      const rootfs = join(cache, suite);
      // The same path inside the chroot and, under the root filesystem, outside.
      const work = `/tmp/njsm-docker-${process.pid}-${suite}`;
      const outside = join(rootfs, work);
      made.push(outside);
      mkdirSync(join(outside, "share", "nginx"), { recursive: true });
      copyFileSync(
        join(root, "dist", "docker", "render-env.js"),
        join(outside, "share", "render-env.js"),
      );
      copyFileSync(join(root, "dist", "mogilefs.js"), join(outside, "share", "mogilefs.js"));
      for (const name of readdirSync(join(root, "nginx")).filter((n) => n.endsWith(".conf"))) {
        copyFileSync(join(root, "nginx", name), join(outside, "share", "nginx", name));
      }
      copyFileSync(
        join(root, "docker", "entrypoint.d", "40-mogilefs.sh"),
        join(outside, "40-mogilefs.sh"),
      );
      const env = {
        MOGILEFS_SHARE_DIR: `${work}/share`,
        MOGILEFS_NGINX_DIR: `${work}/conf`,
        MOGILEFS_EXTENSIONS_DIR: `${work}/extensions`,
        MOGILEFS_PID_FILE: `${work}/nginx.pid`,
        MOGILEFS_TEMP_DIR: `${work}/tmp`,
        MOGILEFS_RUNTIME_DIR: `${work}/run`,
        MOGILEFS_CACHE_PATH: `${work}/cache`,
        // No /dev in the chroot.
        MOGILEFS_ACCESS_LOG: `${work}/access.log`,
        MOGILEFS_USER: "root",
      };
      const good = inRoot(rootfs, ["sh", `${work}/40-mogilefs.sh`], {
        ...env,
        MOGILEFS_TRACKERS: "127.0.0.1:7001,127.0.0.1:7002",
        MOGILEFS_DOMAIN: "files",
        MOGILEFS_METHODS: "GET HEAD PUT DELETE",
        MOGILEFS_LIST: "on",
      });
      expect(good.out).toBe(`40-mogilefs.sh: rendered the nginx configuration in ${work}/conf\n`);
      expect(good.status).toBe(0);
      const test = inRoot(rootfs, ["nginx", "-t", "-c", `${work}/conf/nginx.conf`]);
      expect(test.out).toContain("test is successful");
      expect(test.out).not.toMatch(/\[(warn|error|emerg)\]/);
      expect(test.status).toBe(0);
      // njs 0.8.0 and later: the status location keeps counters in ngx.shared.
      const http = readFileSync(join(outside, "conf", "http.conf"), "utf8");
      expect(http).toMatch(/^js_shared_dict_zone zone=mogilefs_metrics:1m type=number;$/m);
      const uncounted = inRoot(rootfs, ["sh", `${work}/40-mogilefs.sh`], {
        ...env,
        MOGILEFS_NGINX_DIR: `${work}/uncounted`,
        MOGILEFS_TRACKERS: "127.0.0.1:7001",
        MOGILEFS_DOMAIN: "files",
        MOGILEFS_STATUS_COUNTERS: "off",
      });
      expect(uncounted.status, uncounted.out).toBe(0);
      expect(readFileSync(join(outside, "uncounted", "http.conf"), "utf8")).not.toContain(
        "js_shared_dict_zone",
      );
      const bad = inRoot(rootfs, ["sh", `${work}/40-mogilefs.sh`], {
        ...env,
        MOGILEFS_NGINX_DIR: `${work}/bad`,
        MOGILEFS_TRACKERS: "127.0.0.1:7001",
        MOGILEFS_DOMAIN: "files",
        MOGILEFS_CACHE_TTL: "soon",
      });
      expect(bad.out).toBe(
        '40-mogilefs.sh: error: MOGILEFS_CACHE_TTL="soon": must be an nginx time such as "3s" or "500ms"\n',
      );
      expect(bad.status).toBe(1);
    });
  }
});
