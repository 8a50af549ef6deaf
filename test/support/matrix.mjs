#!/usr/bin/env node
// `npm run test:matrix`: the end-to-end gateway suites (test/gateway) against every
// nginx and njs the project supports. The host's Debian 12 nginx runs as it is; the
// newer releases run from Debian root filesystems made with debootstrap into a cache
// folder and reused, nginx started with `chroot <rootfs> nginx` on the host's loopback,
// next to the cluster (MariaDB, trackers, storage nodes) which stays on the host.
// Each entry also runs the njs unit tests and the module import in that release's njs
// command-line engine (with the entry's engine), and asks its nginx -t which newer njs
// directives it accepts (js_shared_dict_zone for ngx.shared, js_periodic).
// Ends with a table per entry and `tests: N passed, N failed`; exits 1 on any failure.
//
//   npm run test:matrix                          every entry
//   npm run test:matrix -- sid-qjs debian13      only these entries
//   npm run test:matrix -- sid-qjs test/gateway/read.test.ts   and only this suite
//
// Environment:
//   NJS_MOGILEFS_ROOTFS_CACHE   where root filesystems are kept
//                               (default ~/.cache/njs-mogilefs/rootfs)
//   NJS_MOGILEFS_DEBIAN_MIRROR  default http://deb.debian.org/debian
//   NJS_MOGILEFS_MATRIX_HEAVY=1 also run large.test.ts and soak.test.ts
//
// The gateway's files must be seen by the same path on the host (where the suites
// write them) and inside the chroot (where nginx reads them and binds its sockets).
// So each entry gets a folder inside the root filesystem, <rootfs>/tmp/njsm-<entry>-<pid>,
// and a symlink to it at /tmp/njsm-<entry>-<pid> on the host, which is TMPDIR for the
// suites: the same path names one folder on both sides, and nothing is mounted.
// Making a root filesystem needs root (debootstrap, chroot); debootstrap itself is
// installed from apt when missing.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nginxFeatures, nginxProber } from "../../build/features.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = path.join(root, "test-results", "matrix");
const vitestBin = path.join(root, "node_modules", ".bin", "vitest");
const cacheDir =
  process.env.NJS_MOGILEFS_ROOTFS_CACHE ||
  path.join(os.homedir(), ".cache", "njs-mogilefs", "rootfs");
const mirror = process.env.NJS_MOGILEFS_DEBIAN_MIRROR || "http://deb.debian.org/debian";
const PACKAGES = [
  "nginx",
  "libnginx-mod-http-js",
  "libnginx-mod-stream-js",
  "libnginx-mod-stream",
  "njs",
];
const HEAVY = ["large.test.ts", "soak.test.ts"];
// Written into a finished root filesystem last, so a half-made one is never reused.
const READY = ".njs-mogilefs-ready";

// suite: the Debian release to debootstrap (none: the host's nginx).
// engine: `js_engine` for http {} and stream {} (none: the build's default).
const ENTRIES = [
  { name: "debian12", suite: null, engine: null },
  { name: "debian13", suite: "trixie", engine: null },
  { name: "sid-njs", suite: "sid", engine: "njs" },
  { name: "sid-qjs", suite: "sid", engine: "qjs" },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) {
    throw new Error(`${command}: ${result.error.message}`);
  }
  return result;
}

// ---- root filesystems -------------------------------------------------------------

// Mount points at or below dir (debootstrap mounts /proc and /sys in its target and
// leaves them when killed): never delete through one.
function mountsBelow(dir) {
  const real = existsSync(dir) ? realpathSync(dir) : dir;
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point) => point && (point === real || point.startsWith(`${real}/`)))
    .map((point) => point.replace(/\\040/g, " "))
    .sort((a, b) => b.length - a.length);
}

function removeTree(dir) {
  for (const point of mountsBelow(dir)) {
    run("umount", [point]);
  }
  const left = mountsBelow(dir);
  if (left.length > 0) {
    throw new Error(`cannot remove ${dir}: still mounted: ${left.join(" ")}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

function ensureDebootstrap() {
  if (run("sh", ["-c", "command -v debootstrap"]).status === 0) {
    return;
  }
  console.log("matrix: installing debootstrap from apt");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env, stdio: "inherit" });
  const install = run(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", "debootstrap"],
    {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  if (install.status !== 0) {
    throw new Error("apt-get install debootstrap failed");
  }
}

// The root filesystem of a Debian release with nginx and njs, made once and reused.
// Returns its path and how long making it took (0 when it was there).
function ensureRootfs(suite) {
  const target = path.join(cacheDir, suite);
  if (existsSync(path.join(target, READY))) {
    return { rootfs: target, madeSeconds: 0 };
  }
  if (process.getuid() !== 0) {
    throw new Error(
      `the ${suite} root filesystem is missing from ${cacheDir}; making it needs root`,
    );
  }
  ensureDebootstrap();
  const started = Date.now();
  const partial = `${target}.partial`;
  removeTree(partial);
  removeTree(target);
  mkdirSync(cacheDir, { recursive: true });
  console.log(`matrix: debootstrap ${suite} into ${target} (once; reused afterwards)`);
  // debootstrap blocks service starts itself while it installs (its own policy-rc.d
  // and a fake start-stop-daemon), so the packaged nginx never starts on port 80.
  // A mirror can drop a download now and then: one more try before giving up.
  let made = null;
  for (let attempt = 1; attempt <= 2; attempt++) {
    removeTree(partial);
    made = run(
      "debootstrap",
      ["--variant=minbase", `--include=${PACKAGES.join(",")}`, suite, partial, mirror],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (made.status === 0) {
      break;
    }
    console.log(
      `matrix: debootstrap ${suite} failed (status ${made.status}), attempt ${attempt} of 2`,
    );
  }
  if (made.status !== 0) {
    removeTree(partial);
    throw new Error(`debootstrap ${suite} failed twice (status ${made.status}) from ${mirror}`);
  }
  // For any later apt-get inside: no service starts, and unstable's Release file may
  // be past its Valid-Until date.
  writeFileSync(
    path.join(partial, "usr/sbin/policy-rc.d"),
    "#!/bin/sh\n# written by njs-mogilefs: no service starts in this root filesystem\nexit 101\n",
    { mode: 0o755 },
  );
  writeFileSync(
    path.join(partial, "etc/apt/apt.conf.d/99njs-mogilefs"),
    'Acquire::Check-Valid-Until "false";\n',
  );
  for (const module of [
    "ngx_http_js_module.so",
    "ngx_stream_module.so",
    "ngx_stream_js_module.so",
  ]) {
    if (!existsSync(path.join(partial, "usr/lib/nginx/modules", module))) {
      removeTree(partial);
      throw new Error(`debootstrap ${suite}: /usr/lib/nginx/modules/${module} is missing`);
    }
  }
  writeFileSync(path.join(partial, READY), `${new Date().toISOString()} ${mirror}\n`);
  renameSync(partial, target);
  return { rootfs: target, madeSeconds: (Date.now() - started) / 1000 };
}

// ---- one entry ------------------------------------------------------------------------

function inRoot(rootfs, command, args) {
  return rootfs ? run("chroot", [rootfs, command, ...args]) : run(command, args);
}

function versions(rootfs) {
  const nginx = inRoot(rootfs, "nginx", ["-v"]);
  const njs = inRoot(rootfs, "njs", ["-v"]);
  return {
    nginx: (/nginx\/(\S+)/.exec(nginx.stderr) ?? [])[1] ?? "?",
    njs: njs.status === 0 ? njs.stdout.trim() : "?",
  };
}

// What this nginx and njs accept (build/features.mjs, as build.mjs asks it).
function features(rootfs, work) {
  const can = nginxFeatures({ rootfs, workDir: work }) ?? { sharedDict: false, periodic: false };
  const accepts = nginxProber({ rootfs, workDir: work });
  return {
    sharedDict: can.sharedDict,
    periodic: can.periodic,
    engine: (name) => (accepts ? accepts(`js_engine ${name};`) : { ok: false, stderr: "no nginx" }),
  };
}

// The chrooted nginx processes still running: any left after the suites is a leak.
function processesIn(rootfs) {
  const real = realpathSync(rootfs);
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      if (readlinkSync(`/proc/${name}/root`) === real) {
        pids.push(Number(name));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

// The unit tests and the module import in this release's njs command-line engine,
// with the entry's engine: the same checks `npm test` runs on the host's njs.
function njsCli(rootfs, work, engine) {
  const dir = path.join(work, "njs-cli");
  mkdirSync(dir, { recursive: true });
  for (const file of ["dist/test/njs-unit.js", "dist/mogilefs.js", "test/njs/load-module.js"]) {
    writeFileSync(path.join(dir, path.basename(file)), readFileSync(path.join(root, file)));
  }
  const choose = engine ? ["-n", engine === "qjs" ? "QuickJS" : engine] : [];
  const unit = inRoot(rootfs, "njs", [...choose, path.join(dir, "njs-unit.js")]);
  const summary = /^njs-unit: (\d+) passed, (\d+) failed$/m.exec(unit.stdout);
  const notes = unit.stdout
    .split("\n")
    .filter((line) => line.startsWith("FAIL "))
    .map((line) => `njs CLI: ${line.slice(5)}`);
  const result = summary
    ? { passed: Number(summary[1]), failed: Number(summary[2]), notes }
    : { passed: 0, failed: 1, notes: [`njs CLI unit runner printed no summary: ${unit.stderr}`] };
  // QuickJS reads a file as a script unless told it is a module.
  const modular = engine === "qjs" ? ["-m"] : [];
  const load = inRoot(rootfs, "njs", [
    ...choose,
    ...modular,
    "-p",
    dir,
    path.join(dir, "load-module.js"),
  ]);
  if (/^njs-module: ok /m.test(load.stdout)) {
    result.passed++;
  } else {
    result.failed++;
    result.notes.push(`njs CLI: dist/mogilefs.js does not import: ${load.stdout}${load.stderr}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

let current = null; // { child, cleanup } of the entry running, for SIGINT

function runVitest(args, env, logPath) {
  return new Promise((done) => {
    const log = [];
    const child = spawn(vitestBin, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    current.child = child;
    child.stdout.on("data", (d) => log.push(d));
    child.stderr.on("data", (d) => log.push(d));
    child.on("close", (status) => {
      writeFileSync(logPath, Buffer.concat(log));
      current.child = null;
      done(status);
    });
  });
}

async function runEntry(entry, filters) {
  const row = {
    entry: entry.name,
    nginx: "?",
    njs: "?",
    engine: entry.engine ?? "default",
    features: "",
    unit: "-",
    passed: 0,
    failed: 0,
    skipped: 0,
    seconds: 0,
    notes: [],
  };
  const started = Date.now();
  let rootfs = null;
  let work = null;
  let link = null;
  current = {
    child: null,
    cleanup: () => {
      if (link && lstatSync(link, { throwIfNoEntry: false })) {
        unlinkSync(link);
      }
      if (work) {
        removeTree(work);
      }
    },
  };
  try {
    if (entry.suite) {
      const made = ensureRootfs(entry.suite);
      rootfs = made.rootfs;
      if (made.madeSeconds > 0) {
        row.notes.push(`root filesystem made in ${made.madeSeconds.toFixed(0)} s`);
      }
      const name = `njsm-${entry.name}-${process.pid}`;
      work = path.join(rootfs, "tmp", name);
      link = path.join("/tmp", name);
      removeTree(work);
      mkdirSync(work, { recursive: true });
      if (lstatSync(link, { throwIfNoEntry: false })) {
        unlinkSync(link);
      }
      symlinkSync(work, link);
    } else {
      work = path.join(os.tmpdir(), `njsm-${entry.name}-${process.pid}`);
      mkdirSync(work, { recursive: true });
    }
    Object.assign(row, versions(rootfs));
    // Probes run where nginx sees them: by the host path through the symlink.
    const can = features(rootfs, link ?? work);
    row.features =
      [can.sharedDict && "ngx.shared", can.periodic && "js_periodic"].filter(Boolean).join(" ") ||
      "-";
    if (entry.engine) {
      const engine = can.engine(entry.engine);
      if (!engine.ok) {
        throw new Error(
          `js_engine ${entry.engine} is not accepted by this build: ${engine.stderr}`,
        );
      }
    }

    const cli = njsCli(rootfs, link ?? work, entry.engine);
    row.unit = `${cli.passed}/${cli.passed + cli.failed}`;
    row.passed += cli.passed;
    row.failed += cli.failed;
    row.notes.push(...cli.notes);

    const report = path.join(results, `${entry.name}.json`);
    rmSync(report, { force: true });
    const heavy = process.env.NJS_MOGILEFS_MATRIX_HEAVY === "1";
    const args = [
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
      ...(heavy ? [] : HEAVY.flatMap((file) => ["--exclude", `**/${file}`])),
      ...(filters.length > 0 ? filters : ["test/gateway"]),
    ];
    const env = { NJS_MOGILEFS_BUILT: "1", TMPDIR: link ?? work };
    if (rootfs) {
      env.NJS_MOGILEFS_NGINX_ROOT = rootfs;
    }
    if (entry.engine) {
      env.NJS_MOGILEFS_JS_ENGINE = entry.engine;
    }
    const logPath = path.join(results, `${entry.name}.log`);
    console.log(`\n== ${entry.name}: nginx ${row.nginx}, njs ${row.njs}, engine ${row.engine}`);
    await runVitest(args, env, logPath);
    if (!existsSync(report)) {
      throw new Error(`vitest wrote no report; see ${path.relative(root, logPath)}`);
    }
    const json = JSON.parse(readFileSync(report, "utf8"));
    row.passed += json.numPassedTests;
    row.failed += json.numFailedTests;
    row.skipped += json.numPendingTests + json.numTodoTests;
    for (const file of json.testResults) {
      const name = path.relative(root, file.name);
      // A file that failed outside its tests (a failed beforeAll marks every test
      // skipped) has no failed test to show for it: count the file.
      if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) {
        row.failed++;
        row.notes.push(`${name}: ${file.message.split("\n")[0]}`);
      }
      for (const test of file.assertionResults) {
        if (test.status === "failed") {
          const why = (test.failureMessages[0] ?? "").split("\n")[0];
          row.notes.push(`${name}: ${test.fullName}: ${why}`);
        }
      }
    }
    if (row.failed > 0) {
      row.notes.push(`full output: ${path.relative(root, logPath)}`);
    }
    if (rootfs) {
      const left = processesIn(rootfs);
      if (left.length > 0) {
        for (const pid of left) {
          process.kill(pid, "SIGKILL");
        }
        row.failed++;
        row.notes.push(`nginx processes left running in the root filesystem: ${left.join(" ")}`);
      }
    }
  } catch (e) {
    row.failed++;
    row.notes.push(e.message);
  } finally {
    current.cleanup();
    current = null;
  }
  row.seconds = (Date.now() - started) / 1000;
  return row;
}

// ---- the table ------------------------------------------------------------------------

function table(rows) {
  const head = [
    "entry",
    "nginx",
    "njs",
    "engine",
    "passed",
    "failed",
    "skipped",
    "time",
    "njs CLI unit",
    "njs features",
  ];
  const cells = rows.map((r) => [
    r.entry,
    r.nginx,
    r.njs,
    r.engine,
    String(r.passed),
    String(r.failed),
    String(r.skipped),
    `${r.seconds.toFixed(0)} s`,
    r.unit,
    r.features,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

async function main() {
  mkdirSync(results, { recursive: true });
  const args = process.argv.slice(2);
  const names = new Set(ENTRIES.map((e) => e.name));
  const chosen = args.filter((a) => names.has(a));
  const filters = args.filter((a) => !names.has(a));
  const entries = chosen.length > 0 ? ENTRIES.filter((e) => chosen.includes(e.name)) : ENTRIES;

  process.on("SIGINT", () => {
    // The suites stop their own daemons on SIGINT (the terminal sends it to them
    // too); wait for them, then remove this entry's folder and symlink.
    console.log("\nmatrix: interrupted; stopping the suites");
    const entry = current;
    if (entry?.child) {
      entry.child.kill("SIGINT");
      entry.child.on("close", () => {
        entry.cleanup();
        process.exit(130);
      });
    } else {
      entry?.cleanup();
      process.exit(130);
    }
  });

  const rows = [];
  for (const entry of entries) {
    rows.push(await runEntry(entry, filters));
  }
  console.log(`\n${table(rows)}\n`);
  for (const row of rows) {
    for (const note of row.notes) {
      console.log(`${row.entry}: ${note}`);
    }
  }
  const passed = rows.reduce((n, r) => n + r.passed, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  const skipped = rows.reduce((n, r) => n + r.skipped, 0);
  if (skipped > 0) {
    console.log(`skipped: ${skipped} (not counted as passed)`);
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
