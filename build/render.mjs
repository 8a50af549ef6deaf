// Renders the snippet templates in nginx/ from a resolved configuration.
import { readFileSync } from "node:fs";
import path from "node:path";

// The failover chain's length; the bridge hands over as many paths
// (MAX_PATHS in src/bridge.ts, checked equal by the tests).
export const MAX_PATHS = 4;

// The files an operator includes; the other templates are fragments of these.
export const SNIPPETS = [
  "main.conf",
  "stream.conf",
  "http.conf",
  "server.conf",
  "location.conf",
  "storage-read.conf",
];

function fill(template, values, name) {
  return template.replace(/\{\{(\w+)\}\}/g, (_whole, key) => {
    if (!(key in values)) {
      throw new Error(`nginx/${name}: no value for {{${key}}}`);
    }
    return String(values[key]);
  });
}

// nginx's own mime.types: `types { text/html html htm; ... }` -> [[ext, type]].
export function parseMimeTypes(text) {
  const body = text
    .replace(/#.*$/gm, "")
    .replace(/^\s*types\s*\{/, "")
    .replace(/\}\s*$/, "");
  // An object, not a Set: this also runs in the njs engine (build/njs-cli.mjs).
  const seen = {};
  const pairs = [];
  for (const entry of body.split(";")) {
    const words = entry.trim().split(/\s+/).filter(Boolean);
    if (words.length < 2) {
      continue;
    }
    for (const extension of words.slice(1)) {
      if (/^[A-Za-z0-9]+$/.test(extension) && seen[extension] !== true) {
        seen[extension] = true;
        pairs.push([extension, words[0]]);
      }
    }
  }
  return pairs;
}

function locationBlock(location, nginxDir) {
  const methods = (location.methods ?? ["GET", "HEAD"]).map((m) => m.toUpperCase()).join(" ");
  const lines = [
    `location ${location.path} {`,
    "    # The MogileFS domain this location serves.",
    `    set $mogilefs_domain ${location.domain};`,
    "    # Methods allowed here (GET allows HEAD).",
    `    set $mogilefs_methods "${methods}";`,
    "    # Whether the tracker skips checking each path before answering.",
    `    set $mogilefs_noverify ${location.noverify === false ? "off" : "on"};`,
  ];
  if (location.list) {
    lines.push("    # GET of the location's own prefix lists keys as JSON (list_keys).");
    lines.push("    set $mogilefs_list on;");
  }
  if (location.key !== undefined) {
    lines.push("    # The key, instead of the URI after the location prefix.");
    lines.push(`    set $mogilefs_key "${location.key}";`);
  }
  lines.push(`    include ${nginxDir}/location.conf;`, "}", "");
  return lines.join("\n");
}

// Returns { fileName: text } for every snippet, plus locations.conf when the
// configuration lists locations.
/**
 * @param {any} config
 * @param {{ templatesDir: string, mimeTypesText: string }} sources
 * @returns {Record<string, string>}
 */
export function renderSnippets(config, { templatesDir, mimeTypesText }) {
  const template = (name) => readFileSync(path.join(templatesDir, name), "utf8");
  const trackerServers = config.trackers
    .map((address, i) =>
      fill(
        template("tracker-server.conf"),
        {
          index: i + 1,
          address,
          runtimeDir: config.runtimeDir,
          connectTimeout: config.tracker.connectTimeout,
          idleTimeout: config.tracker.idleTimeout,
          storageAllow: config.storage.allow.join(" "),
        },
        "tracker-server.conf",
      ),
    )
    .join("");
  const trackerUpstreams = config.trackers
    .map(
      (address, i) =>
        `    # ${address}\n    server unix:${config.runtimeDir}/mogilefs-tracker-${i + 1}.sock max_fails=${config.tracker.maxFails} fail_timeout=${config.tracker.failTimeout};`,
    )
    .join("\n");
  // Counters need status on, and "auto" resolved to true by build.mjs (which asks
  // nginx); anything else renders no counting at all.
  const counters = config.status.enabled && config.status.counters === true;
  const pathChainMaps = [];
  const pathLocations = [];
  const pathCaptures = [];
  const pathByAttempt = [];
  for (let i = 1; i <= MAX_PATHS; i++) {
    pathCaptures.push(`auth_request_set $mogilefs_path${i} $upstream_http_x_mogilefs_path${i};`);
    pathByAttempt.push(`    ${i === 1 ? "default" : i}  $mogilefs_path${i};`);
    const next = i < MAX_PATHS ? `$mogilefs_after_path${i}` : "@mogilefs_failed";
    if (i < MAX_PATHS) {
      pathChainMaps.push(
        `map $mogilefs_path${i + 1} $mogilefs_after_path${i} {\n    ""       @mogilefs_failed;\n    default  @mogilefs_path${i + 1};\n}\n`,
      );
    }
    pathLocations.push(
      fill(
        template("path-location.conf"),
        {
          index: i,
          next,
          nginxDir: config.nginxDir,
          countFilter: counters ? "    js_header_filter mogilefs.count;\n" : "",
        },
        "path-location.conf",
      ),
    );
  }
  // One entry per path tried, " : " between error_page steps; the fresh lookup
  // can walk the chain twice.
  const maxAttempts = 2 * MAX_PATHS;
  const attemptCounts = [];
  for (let n = 1; n <= maxAttempts; n++) {
    attemptCounts.push(`    "~^[^ ]+${n > 1 ? `( : [^ ]+){${n - 1}}` : ""}$"  ${n};`);
  }
  const contentTypes = parseMimeTypes(mimeTypesText)
    .map(([extension, type]) => `    ${extension}  ${type};`)
    .join("\n");

  const statusLocations = config.status.enabled
    ? fill(
        template("status.conf"),
        {
          statusPath: config.status.path,
          healthPath: config.status.healthPath,
          allowLines: config.status.allow.map((a) => `    allow ${a};`).join("\n"),
          trackerList: config.trackers.join(" "),
          timeout: config.status.timeout,
          noopLocations: config.trackers
            .map((address, i) =>
              fill(
                template("noop-location.conf"),
                {
                  index: i + 1,
                  address,
                  runtimeDir: config.runtimeDir,
                  timeout: config.status.timeout,
                },
                "noop-location.conf",
              ),
            )
            .join(""),
        },
        "status.conf",
      )
    : "# (status.enabled is false: no status or health location)\n";

  const values = {
    nginxDir: config.nginxDir,
    metricsZone: counters
      ? `# Counters for the status location: one entry per series (status.counters).\njs_shared_dict_zone zone=mogilefs_metrics:${config.status.zoneSize} type=number;`
      : "# (no counters: status.counters is off, or status.enabled is false)",
    countFilter: counters
      ? "# Adds each answer to the counters (status.counters).\njs_header_filter mogilefs.count;"
      : "# (no counters: status.counters is off)",
    countFilterLine: counters ? "    js_header_filter mogilefs.count;\n" : "",
    statusLocations,
    runtimeDir: config.runtimeDir,
    trackerServers,
    trackerUpstreams,
    trackerKeepalive: config.tracker.keepalive,
    trackerKeepaliveRequests: config.tracker.keepaliveRequests,
    keepaliveTimeout: config.tracker.keepaliveTimeout,
    trackerReadTimeout: config.tracker.readTimeout,
    trackerCount: config.trackers.length,
    cachePath: config.cache.path,
    cacheZone: config.cache.enabled ? "mogilefs_paths" : "off",
    byteCachePath: config.byteCache.enabled
      ? `proxy_cache_path ${config.byteCache.path} levels=1:2 keys_zone=mogilefs_bytes:${config.byteCache.zoneSize} max_size=${config.byteCache.maxSize} inactive=${config.byteCache.inactive} use_temp_path=off;`
      : "# (off: byteCache.enabled is false)",
    byteCacheZone: config.byteCache.enabled ? "mogilefs_bytes" : "off",
    byteCacheInactive: config.byteCache.inactive,
    cacheZoneSize: config.cache.zoneSize,
    cacheMaxSize: config.cache.maxSize,
    cacheInactive: config.cache.inactive,
    cacheTtl: config.cache.ttl,
    unknownKeyTtl: config.cache.unknownKeyTtl,
    storageConnectTimeout: config.storage.connectTimeout,
    storageReadTimeout: config.storage.readTimeout,
    maxPaths: MAX_PATHS,
    pathChainMaps: pathChainMaps.join("\n"),
    pathLocations: pathLocations.join(""),
    pathCaptures: pathCaptures.join("\n"),
    pathDeclarations: pathCaptures
      .map((line) => `    ${line.replace(/ \$upstream_http_\S+;$/, ' "";')}`)
      .join("\n"),
    pathByAttempt: pathByAttempt.join("\n"),
    attemptCounts: attemptCounts.join("\n"),
    maxAttempts,
    mimeTypesFile: config.mimeTypes,
    contentTypes,
  };
  const files = {};
  for (const name of SNIPPETS) {
    files[name] = fill(template(name), values, name);
  }
  if (config.locations.length > 0) {
    files["locations.conf"] = [
      "# njs-mogilefs: the locations from the configuration. Include in a server {}",
      "# next to server.conf.",
      "",
      ...config.locations.map((location) => locationBlock(location, config.nginxDir)),
    ].join("\n");
  }
  return files;
}
