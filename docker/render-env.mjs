// The container's configuration, from MOGILEFS_* environment variables.
//
// build.mjs bundles this file into dist/docker/render-env.js for the njs
// command-line engine that the official nginx image ships (/usr/bin/njs), and
// docker/entrypoint.d/40-mogilefs.sh runs it before nginx starts. So the image
// needs no Node, and the settings go through the same validation
// (build/config.mjs) and templates (build/render.mjs) as `node build.mjs --config`.
//
// It prints one line per bad variable, `error: NAME...`, and writes nothing then;
// otherwise it writes nginx.conf, gateway.conf and the snippets into
// MOGILEFS_NGINX_DIR, copies the module there, and prints `ok`. Only this script
// reads the environment: the module inside nginx reads none, so it needs no
// `env` line.
import { accessSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolveConfig } from "../build/config.mjs";
import { renderSnippets } from "../build/render.mjs";

const SIZE = /^[0-9]+[kKmMgG]?$/;
const NAME = /^[A-Za-z0-9_.-]+$/;
const ON = /^(on|true|yes|1)$/i;
const OFF = /^(off|false|no|0)$/i;
const LOG_LEVELS = ["debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"];

// Problems from build/config.mjs name a configuration field; here they name the
// variable it came from.
const FIELD_VARIABLES = [
  ["trackers", "MOGILEFS_TRACKERS"],
  ["runtimeDir", "MOGILEFS_RUNTIME_DIR"],
  ["mimeTypes", "MOGILEFS_MIME_TYPES"],
  ["tracker.connectTimeout", "MOGILEFS_TRACKER_CONNECT_TIMEOUT"],
  ["tracker.readTimeout", "MOGILEFS_TRACKER_READ_TIMEOUT"],
  ["cache.path", "MOGILEFS_CACHE_PATH"],
  ["cache.ttl", "MOGILEFS_CACHE_TTL"],
  ["cache.unknownKeyTtl", "MOGILEFS_CACHE_UNKNOWN_KEY_TTL"],
  ["cache.maxSize", "MOGILEFS_CACHE_MAX_SIZE"],
  ["cache.enabled", "MOGILEFS_CACHE"],
  ["storage.connectTimeout", "MOGILEFS_STORAGE_CONNECT_TIMEOUT"],
  ["storage.readTimeout", "MOGILEFS_STORAGE_READ_TIMEOUT"],
  ["storage.allow", "MOGILEFS_STORAGE_ALLOW"],
  ["status.allow", "MOGILEFS_STATUS_ALLOW"],
  ["locations[0].path", "MOGILEFS_LOCATION"],
  ["locations[0].domain", "MOGILEFS_DOMAIN"],
  ["locations[0].methods", "MOGILEFS_METHODS"],
  ["locations[0].list", "MOGILEFS_LIST"],
  ["locations[0].noverify", "MOGILEFS_NOVERIFY"],
];

function variableProblem(problem, env) {
  for (const [field, name] of FIELD_VARIABLES) {
    const rest = problem.startsWith(field) ? problem.slice(field.length) : null;
    if (rest !== null && /^(\[[0-9]+\])?: /.test(rest)) {
      const reason = rest.replace(/^(\[[0-9]+\])?: /, "");
      return `${name}=${JSON.stringify(env[name] ?? "")}: ${reason}`;
    }
  }
  return problem;
}

/**
 * @param {Record<string, string | undefined>} env
 */
export function renderFromEnvironment(env) {
  const problems = [];
  const value = (name, fallback) =>
    env[name] === undefined || env[name] === "" ? fallback : String(env[name]);
  const flag = (name, fallback) => {
    const given = value(name, fallback);
    if (ON.test(given)) {
      return true;
    }
    if (OFF.test(given)) {
      return false;
    }
    problems.push(`${name}=${JSON.stringify(given)}: must be on or off`);
    return fallback === "on";
  };
  const absolute = (name, fallback) => {
    const given = value(name, fallback);
    if (!given.startsWith("/") || /[\s;{}"'#]/.test(given)) {
      problems.push(
        `${name}=${JSON.stringify(given)}: must be an absolute path without spaces, quotes or ; { } #`,
      );
    }
    return given.replace(/\/+$/, "") || "/";
  };

  const share = absolute("MOGILEFS_SHARE_DIR", "/usr/share/njs-mogilefs");
  const nginxDir = absolute("MOGILEFS_NGINX_DIR", "/etc/nginx/mogilefs");
  const extensionsDir = absolute("MOGILEFS_EXTENSIONS_DIR", "/etc/nginx/mogilefs.d");
  const modulesDir = absolute("MOGILEFS_MODULES_DIR", "/usr/lib/nginx/modules");
  const pidFile = absolute("MOGILEFS_PID_FILE", "/run/nginx.pid");
  const tempDir = env.MOGILEFS_TEMP_DIR ? absolute("MOGILEFS_TEMP_DIR", "") : "";

  if (!value("MOGILEFS_TRACKERS", "")) {
    problems.push(
      "MOGILEFS_TRACKERS is required: the trackers as comma-separated host[:port] (port 7001 when omitted)",
    );
  }
  const domain = value("MOGILEFS_DOMAIN", "");
  if (!domain) {
    problems.push(
      'MOGILEFS_DOMAIN is required: the MogileFS domain to serve (letters, digits, "_", "." or "-")',
    );
  }
  const location = value("MOGILEFS_LOCATION", "/");
  if (!/^\/[^\s;{}"'#\\]*$/.test(location)) {
    problems.push(
      `MOGILEFS_LOCATION=${JSON.stringify(location)}: must be a URI prefix starting with "/", without spaces, quotes or ; { } #`,
    );
  }
  const methods = value("MOGILEFS_METHODS", "GET HEAD")
    .split(/[\s,]+/)
    .filter((m) => m !== "");
  const list = flag("MOGILEFS_LIST", "off");
  const noverify = flag("MOGILEFS_NOVERIFY", "on");
  const cacheEnabled = flag("MOGILEFS_CACHE", "on");
  const statusEnabled = flag("MOGILEFS_STATUS", "on");
  // Counters cost a little JavaScript per answer (BENCHMARKS.md): off to spare it.
  const statusCounters = flag("MOGILEFS_STATUS_COUNTERS", "on");
  const statusAllow = value("MOGILEFS_STATUS_ALLOW", "127.0.0.1,::1")
    .split(/[\s,]+/)
    .filter((a) => a !== "");
  const mogilefsClass = value("MOGILEFS_CLASS", "");
  if (mogilefsClass && !NAME.test(mogilefsClass)) {
    problems.push(
      `MOGILEFS_CLASS=${JSON.stringify(mogilefsClass)}: must be a class name (letters, digits, "_", "." or "-")`,
    );
  }
  const maxBodySize = value("MOGILEFS_MAX_BODY_SIZE", "1m");
  if (!SIZE.test(maxBodySize)) {
    problems.push(
      `MOGILEFS_MAX_BODY_SIZE=${JSON.stringify(maxBodySize)}: must be an nginx size such as "1m" or "2g" (0: no limit)`,
    );
  }
  const port = value("MOGILEFS_PORT", "80");
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    problems.push(`MOGILEFS_PORT=${JSON.stringify(port)}: must be a port number, 1 to 65535`);
  }
  const workers = value("MOGILEFS_WORKER_PROCESSES", "auto");
  if (!/^(auto|[1-9][0-9]{0,3})$/.test(workers)) {
    problems.push(
      `MOGILEFS_WORKER_PROCESSES=${JSON.stringify(workers)}: must be "auto" or a number of workers`,
    );
  }
  const logLevel = value("MOGILEFS_LOG_LEVEL", "notice");
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(
      `MOGILEFS_LOG_LEVEL=${JSON.stringify(logLevel)}: must be one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  const accessLog = value("MOGILEFS_ACCESS_LOG", "/dev/stdout");
  if (accessLog !== "off" && (!accessLog.startsWith("/") || /[\s;{}"'#]/.test(accessLog))) {
    problems.push(
      `MOGILEFS_ACCESS_LOG=${JSON.stringify(accessLog)}: must be "off" or an absolute path without spaces, quotes or ; { } #`,
    );
  }
  // Unset: the image's default ("nginx"); empty: no user directive (non-root).
  const user = env.MOGILEFS_USER === undefined ? "nginx" : String(env.MOGILEFS_USER);
  if (user !== "" && !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(user)) {
    problems.push(
      `MOGILEFS_USER=${JSON.stringify(user)}: must be a user name, or empty to run nginx as the container's user`,
    );
  }

  const tracker = {};
  const cache = { enabled: cacheEnabled };
  const storage = {};
  for (const [name, section, field] of [
    ["MOGILEFS_TRACKER_CONNECT_TIMEOUT", tracker, "connectTimeout"],
    ["MOGILEFS_TRACKER_READ_TIMEOUT", tracker, "readTimeout"],
    ["MOGILEFS_CACHE_UNKNOWN_KEY_TTL", cache, "unknownKeyTtl"],
    ["MOGILEFS_CACHE_MAX_SIZE", cache, "maxSize"],
    ["MOGILEFS_STORAGE_CONNECT_TIMEOUT", storage, "connectTimeout"],
    ["MOGILEFS_STORAGE_READ_TIMEOUT", storage, "readTimeout"],
  ]) {
    if (value(name, "") !== "") {
      section[field] = value(name, "");
    }
  }
  const given = {
    nginxDir,
    // The image's own folder for the bridge sockets (build/config.mjs defaults to
    // Debian's /var/lib/nginx, which the official image lacks).
    runtimeDir: "/run/mogilefs",
    mimeTypes: value("MOGILEFS_MIME_TYPES", "/etc/nginx/mime.types"),
    tracker,
    cache,
    storage,
    locations: [{ path: location, domain: domain || "-", methods, list, noverify }],
    status: {
      enabled: statusEnabled,
      counters: statusCounters && countersAvailable(),
      allow: statusAllow,
    },
  };
  // MOGILEFS_TRACKERS, _RUNTIME_DIR, _CACHE_PATH, _CACHE_TTL and _STORAGE_ALLOW are
  // read by build/config.mjs itself, as for `node build.mjs`.
  const resolved = resolveConfig(given, { env });
  // One line per variable: build/config.mjs may find again what was reported above.
  const reported = problems.map((p) => /^MOGILEFS_[A-Z_]+/.exec(p)?.[0]);
  for (const problem of resolved.problems) {
    const line = variableProblem(problem, env);
    if (!reported.includes(/^MOGILEFS_[A-Z_]+/.exec(line)?.[0])) {
      problems.push(line);
    }
  }
  let mimeTypesText = "";
  let bundle = null;
  if (problems.length === 0) {
    try {
      mimeTypesText = readFileSync(resolved.config.mimeTypes, "utf8");
    } catch (e) {
      problems.push(
        `MOGILEFS_MIME_TYPES=${JSON.stringify(resolved.config.mimeTypes)}: cannot read it (${e.code || e.message})`,
      );
    }
    try {
      bundle = readFileSync(`${share}/mogilefs.js`);
    } catch (e) {
      problems.push(
        `MOGILEFS_SHARE_DIR=${JSON.stringify(share)}: no mogilefs.js there (${e.code || e.message})`,
      );
    }
  }
  if (problems.length > 0) {
    return { problems, files: null, dirs: [], nginxDir };
  }
  const config = resolved.config;
  const files = renderSnippets(config, { templatesDir: `${share}/nginx`, mimeTypesText });
  files["mogilefs.js"] = bundle;
  files["gateway.conf"] = gatewayConf({
    nginxDir,
    extensionsDir,
    port,
    maxBodySize,
    mogilefsClass,
  });
  files["nginx.conf"] = nginxConf({
    nginxDir,
    extensionsDir,
    mimeTypes: config.mimeTypes,
    modules: loadableModules(modulesDir),
    user,
    workers,
    pidFile,
    logLevel,
    accessLog,
    tempDir,
  });
  return {
    problems,
    files,
    dirs: [nginxDir, config.runtimeDir, tempDir].filter((d) => d !== ""),
    nginxDir,
  };
}

// Counters need ngx.shared, which njs has from 0.8.0 on. The image's njs
// command-line engine comes from the same njs release as its nginx module, so
// its version answers for both; run by Node (tests), there is no engine to ask.
function countersAvailable() {
  if (typeof njs === "undefined") {
    return false;
  }
  const [major, minor] = String(njs.version).split(".").map(Number);
  return major > 0 || minor >= 8;
}

// ngx_stream_module is built into the official image and a separate module on
// Debian: load each module whose file is there.
function loadableModules(dir) {
  const found = [];
  for (const name of ["ngx_stream_module.so", "ngx_http_js_module.so", "ngx_stream_js_module.so"]) {
    try {
      accessSync(`${dir}/${name}`);
      found.push(`${dir}/${name}`);
    } catch (_e) {
      // Built in, or missing: `nginx -t` names what is missing.
    }
  }
  return found;
}

function gatewayConf(o) {
  const lines = [
    "# njs-mogilefs container: the gateway's server, rendered from MOGILEFS_* variables",
    "# by /docker-entrypoint.d/40-mogilefs.sh at every start.",
    "server {",
    `    listen ${o.port};`,
    "    # Largest PUT body (MOGILEFS_MAX_BODY_SIZE); larger ones get 413, no tracker asked.",
    `    client_max_body_size ${o.maxBodySize};`,
  ];
  if (o.mogilefsClass) {
    lines.push(
      "    # Class for new files (MOGILEFS_CLASS).",
      `    set $mogilefs_class ${o.mogilefsClass};`,
    );
  }
  lines.push(
    `    include ${o.nginxDir}/server.conf;`,
    "    # The location from MOGILEFS_LOCATION, MOGILEFS_DOMAIN, MOGILEFS_METHODS...",
    `    include ${o.nginxDir}/locations.conf;`,
    "    # Extension point: locations of your own (health and status checks, say);",
    "    # mount files here. The image ships empty stubs.",
    `    include ${o.extensionsDir}/server/*.conf;`,
    "}",
    "",
  );
  return lines.join("\n");
}

function nginxConf(o) {
  const temp = o.tempDir
    ? ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (kind) => `    ${kind}_temp_path ${o.tempDir}/${kind};`,
      )
    : [];
  return [
    "# njs-mogilefs container: rendered from MOGILEFS_* variables by",
    "# /docker-entrypoint.d/40-mogilefs.sh at every start; edits are lost.",
    ...o.modules.map((m) => `load_module ${m};`),
    ...(o.user ? [`user ${o.user};`] : []),
    `worker_processes ${o.workers};`,
    `pid ${o.pidFile};`,
    `error_log stderr ${o.logLevel};`,
    "",
    "events {",
    "    worker_connections 1024;",
    "}",
    "",
    "# The tracker bridge (stream {}).",
    `include ${o.nginxDir}/main.conf;`,
    "",
    "http {",
    `    include ${o.mimeTypes};`,
    "    default_type application/octet-stream;",
    "    sendfile on;",
    "    # The gateway's maps and js_var add many variables; nginx 1.30 warns at 1024.",
    "    variables_hash_max_size 2048;",
    "    keepalive_timeout 65;",
    ...temp,
    `    include ${o.nginxDir}/http.conf;`,
    "    # The gateway's log format, defined in http.conf (MOGILEFS_ACCESS_LOG).",
    `    access_log ${o.accessLog === "off" ? "off" : `${o.accessLog} mogilefs_gateway`};`,
    "    # Extension point: http-level settings of your own; mount files here.",
    `    include ${o.extensionsDir}/http/*.conf;`,
    `    include ${o.nginxDir}/gateway.conf;`,
    "}",
    "",
  ].join("\n");
}

function main() {
  const { problems, files, dirs, nginxDir } = renderFromEnvironment(process.env);
  if (problems.length > 0) {
    for (const problem of problems) {
      console.log(`error: ${problem}`);
    }
    return;
  }
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
  }
  for (const name of Object.keys(files)) {
    writeFileSync(`${nginxDir}/${name}`, files[name]);
  }
  console.log("ok");
}

main();
