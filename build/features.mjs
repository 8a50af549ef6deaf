// What the nginx that will run the gateway accepts, asked of `nginx -t` with a
// small configuration per feature: js_shared_dict_zone (ngx.shared, njs 0.8.0+),
// js_periodic (0.8.1+), js_engine (0.8.6+). build.mjs uses it to resolve
// status.counters "auto"; the compatibility matrix to show each release's features.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const MODULES = "/usr/lib/nginx/modules";

// nginx itself: `nginx` on PATH, else Debian's and the official image's place.
function nginxBinary() {
  const found = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  if (found.status === 0 && found.stdout.trim() !== "") {
    return found.stdout.trim();
  }
  return existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null;
}

// rootfs: ask `chroot <rootfs> nginx` instead of the host's nginx; workDir must
// then be seen by the same path inside it. Returns null when there is no nginx.
export function nginxProber({ rootfs = null, workDir = null } = {}) {
  const binary = rootfs ? "nginx" : nginxBinary();
  if (binary === null) {
    return null;
  }
  const base = workDir ?? os.tmpdir();
  const jsModule = path.join(rootfs ?? "/", MODULES, "ngx_http_js_module.so");
  const load = existsSync(jsModule)
    ? `load_module ${MODULES}/ngx_http_js_module.so;`
    : "# the js module is built in, or not there at all";
  // Whether nginx -t accepts `body` inside http {}, next to a js_import.
  return (body) => {
    mkdirSync(base, { recursive: true });
    const dir = mkdtempSync(path.join(base, "njs-mogilefs-probe-"));
    try {
      writeFileSync(path.join(dir, "probe.js"), "function tick() {}\nexport default { tick };\n");
      writeFileSync(
        path.join(dir, "nginx.conf"),
        `${load}\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\n` +
          `http {\n  js_import probe from ${dir}/probe.js;\n  ${body}\n}\n`,
      );
      const args = ["-t", "-q", "-p", dir, "-c", path.join(dir, "nginx.conf")];
      const check = rootfs
        ? spawnSync("chroot", [rootfs, binary, ...args], { encoding: "utf8" })
        : spawnSync(binary, args, { encoding: "utf8" });
      return { ok: check.status === 0, stderr: (check.stderr ?? "").trim() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

// { js, sharedDict, periodic } for that nginx, or null when there is none.
export function nginxFeatures(options = {}) {
  const accepts = nginxProber(options);
  if (accepts === null) {
    return null;
  }
  const server = (inside) => `server { listen 127.0.0.1:1; location / { ${inside} } }`;
  const js = accepts("").ok;
  return {
    js,
    sharedDict: js && accepts("js_shared_dict_zone zone=probe:32k type=number;").ok,
    periodic: js && accepts(server("js_periodic probe.tick interval=60s;")).ok,
  };
}

// status.counters "auto" made true or false: on when that nginx has ngx.shared
// (njs 0.8.0 and later), which the counters live in. `features` defaults to this
// host's nginx. Returns the line saying what was chosen and why, or null when
// there was nothing to choose.
/**
 * @param {any} config
 * @param {{ sharedDict: boolean } | null} [features]
 * @returns {string | null}
 */
export function resolveStatusCounters(config, features = undefined) {
  if (!config.status.enabled || config.status.counters !== "auto") {
    return null;
  }
  const can = features === undefined ? nginxFeatures() : features;
  config.status.counters = can?.sharedDict === true;
  const why =
    can === null
      ? "no nginx found here to ask; set status.counters to true for njs 0.8.0 or later"
      : can.sharedDict
        ? "this host's nginx has js_shared_dict_zone (ngx.shared)"
        : "this host's nginx lacks js_shared_dict_zone (njs before 0.8.0); the status location says so";
  return `status.counters auto: ${config.status.counters ? "on" : "off"}: ${why}`;
}
