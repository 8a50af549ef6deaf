// The gateway configuration: defaults, environment overrides, and validation that
// names every bad field. Everything the snippets need is derived here, once.
import path from "node:path";

export const DEFAULTS = {
  trackers: [],
  // Where the module and the snippets live on the nginx host.
  nginxDir: null,
  // Folder for the bridge's unix sockets; must exist and be writable by nginx's master.
  runtimeDir: "/var/lib/nginx",
  tracker: {
    connectTimeout: "1s",
    readTimeout: "3s",
    maxFails: 1,
    failTimeout: "2s",
    keepalive: 16,
    // Lookups per bridge connection before nginx opens a new one: the njs engine
    // frees a bridge session's memory only when its connection closes.
    keepaliveRequests: 25,
    keepaliveTimeout: "50s",
    idleTimeout: "60s",
  },
  cache: {
    // false: every lookup asks a tracker (still over kept-alive connections).
    enabled: true,
    path: "/var/cache/nginx/mogilefs",
    zoneSize: "10m",
    maxSize: "256m",
    inactive: "10m",
    ttl: "60s",
    unknownKeyTtl: "5s",
  },
  storage: {
    connectTimeout: "1s",
    readTimeout: "30s",
    // IPv4 networks storage URLs must lie in, e.g. ["10.0.0.0/8"]; empty: any host.
    allow: [],
  },
  // Opt-in: file bytes cached by storage URL (a fid's content never changes).
  byteCache: {
    enabled: false,
    path: "/var/cache/nginx/mogilefs-bytes",
    zoneSize: "10m",
    maxSize: "1g",
    inactive: "60m",
  },
  // Opt-in: a status location (counters and trackers, JSON or Prometheus text)
  // and a health location (200 while a tracker answers noop).
  status: {
    enabled: false,
    // Counters in an ngx.shared zone, which needs njs 0.8.0 or later: true,
    // false, or "auto" (build.mjs asks this host's nginx whether it has them).
    counters: "auto",
    path: "/_mogilefs/status",
    healthPath: "/_mogilefs/health",
    // Addresses allowed to read both; everything else gets 403.
    allow: ["127.0.0.1", "::1"],
    // How long a tracker may take to answer noop before it counts as down.
    timeout: "2s",
    zoneSize: "1m",
  },
  mimeTypes: "/etc/nginx/mime.types",
  locations: [],
};

const DEFAULT_TRACKER_PORT = 7001;
const TIME = /^[0-9]+(ms|s|m|h|d)?$/;
const SIZE = /^[0-9]+[kKmMgG]?$/;
const HOST_PORT =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?$/;
const DOMAIN = /^[A-Za-z0-9_.-]+$/;
const CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)(\/(3[0-2]|[12]?\d))?$/;
const METHODS = ["GET", "HEAD", "PUT", "DELETE"];
// What nginx's `allow` takes: an IPv4 or IPv6 address or network, or "all".
const ALLOW = /^(all|[0-9.]+(\/[0-9]{1,2})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(\/[0-9]{1,3})?)$/;
const STATUS_PATH = /^\/[A-Za-z0-9_./-]*$/;

// Environment variables that override the file, for containers.
export const ENVIRONMENT = {
  MOGILEFS_TRACKERS: (config, value) => {
    config.trackers = value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  },
  MOGILEFS_RUNTIME_DIR: (config, value) => {
    config.runtimeDir = value;
  },
  MOGILEFS_CACHE_PATH: (config, value) => {
    config.cache.path = value;
  },
  MOGILEFS_CACHE_TTL: (config, value) => {
    config.cache.ttl = value;
  },
  MOGILEFS_STORAGE_ALLOW: (config, value) => {
    config.storage.allow = value.split(/[\s,]+/).filter((s) => s !== "");
  },
};

function merge(defaults, given) {
  const out = {};
  for (const [name, value] of Object.entries(defaults)) {
    out[name] =
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? { ...value, ...(given?.[name] ?? {}) }
        : (given?.[name] ?? value);
  }
  return out;
}

function checkKnown(object, allowed, where, problems) {
  for (const name of Object.keys(object ?? {})) {
    if (!(name in allowed)) {
      problems.push(`${where}${name}: unknown setting`);
    }
  }
}

function checkLocation(location, i, problems) {
  const where = `locations[${i}]`;
  if (location === null || typeof location !== "object" || Array.isArray(location)) {
    problems.push(`${where}: must be an object`);
    return;
  }
  checkKnown(
    location,
    { path: 1, domain: 1, methods: 1, noverify: 1, key: 1, list: 1 },
    `${where}.`,
    problems,
  );
  if (typeof location.path !== "string" || !location.path.startsWith("/")) {
    problems.push(`${where}.path: must be a location prefix starting with "/"`);
  }
  if (typeof location.domain !== "string" || !DOMAIN.test(location.domain)) {
    problems.push(`${where}.domain: required, letters, digits, "_", "." or "-"`);
  }
  if (location.methods !== undefined) {
    if (!Array.isArray(location.methods) || location.methods.length === 0) {
      problems.push(`${where}.methods: must be a non-empty list of ${METHODS.join(", ")}`);
    } else {
      for (const method of location.methods) {
        if (typeof method !== "string" || !METHODS.includes(method.toUpperCase())) {
          problems.push(
            `${where}.methods: ${JSON.stringify(method)} is not one of ${METHODS.join(", ")}`,
          );
        }
      }
    }
  }
  for (const flag of ["noverify", "list"]) {
    if (location[flag] !== undefined && typeof location[flag] !== "boolean") {
      problems.push(`${where}.${flag}: must be true or false`);
    }
  }
  if (
    location.key !== undefined &&
    (typeof location.key !== "string" || /[;{}"\n]/.test(location.key))
  ) {
    problems.push(`${where}.key: must be an nginx value without ; { } " or newlines`);
  }
}

// Returns { config, problems }: the full configuration with defaults filled in,
// and one message per bad field.
/**
 * @param {unknown} given
 * @param {{ outDir?: string, env?: Record<string, string | undefined> }} [options]
 * @returns {{ config: any, problems: string[] }}
 */
export function resolveConfig(given, { outDir, env = {} } = {}) {
  const problems = [];
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    return { config: null, problems: ["the configuration must be a JSON object"] };
  }
  checkKnown(given, DEFAULTS, "", problems);
  for (const section of ["tracker", "cache", "storage", "byteCache", "status"]) {
    if (given[section] !== undefined) {
      if (
        typeof given[section] !== "object" ||
        given[section] === null ||
        Array.isArray(given[section])
      ) {
        problems.push(`${section}: must be an object`);
      } else {
        checkKnown(given[section], DEFAULTS[section], `${section}.`, problems);
      }
    }
  }
  const config = merge(DEFAULTS, given);
  for (const [name, apply] of Object.entries(ENVIRONMENT)) {
    if (env[name] !== undefined && env[name] !== "") {
      apply(config, env[name]);
    }
  }
  config.nginxDir = path.resolve(config.nginxDir ?? outDir ?? "dist");

  if (!Array.isArray(config.trackers) || config.trackers.length === 0) {
    problems.push("trackers: at least one tracker, as host[:port] (or MOGILEFS_TRACKERS)");
  } else {
    config.trackers = config.trackers.map((tracker, i) => {
      const match = typeof tracker === "string" ? HOST_PORT.exec(tracker) : null;
      const port = match?.[1] === undefined ? DEFAULT_TRACKER_PORT : Number(match[1]);
      if (!match || port < 1 || port > 65535) {
        problems.push(`trackers[${i}]: ${JSON.stringify(tracker)} is not host[:port]`);
        return String(tracker);
      }
      return match[1] === undefined ? `${tracker}:${DEFAULT_TRACKER_PORT}` : tracker;
    });
  }
  for (const [section, fields] of [
    [
      "tracker",
      ["connectTimeout", "readTimeout", "failTimeout", "keepaliveTimeout", "idleTimeout"],
    ],
    ["cache", ["ttl", "unknownKeyTtl", "inactive"]],
    ["storage", ["connectTimeout", "readTimeout"]],
    ["byteCache", ["inactive"]],
    ["status", ["timeout"]],
  ]) {
    for (const field of fields) {
      if (typeof config[section][field] !== "string" || !TIME.test(config[section][field])) {
        problems.push(`${section}.${field}: must be an nginx time such as "3s" or "500ms"`);
      }
    }
  }
  if (
    !Array.isArray(config.storage.allow) ||
    config.storage.allow.some((n) => typeof n !== "string" || !CIDR.test(n))
  ) {
    problems.push('storage.allow: must be a list of IPv4 networks such as "10.0.0.0/8"');
  }
  if (typeof config.status.zoneSize !== "string" || !SIZE.test(config.status.zoneSize)) {
    problems.push('status.zoneSize: must be an nginx size such as "1m"');
  }
  for (const section of ["cache", "byteCache"]) {
    for (const field of ["zoneSize", "maxSize"]) {
      if (typeof config[section][field] !== "string" || !SIZE.test(config[section][field])) {
        problems.push(`${section}.${field}: must be an nginx size such as "10m"`);
      }
    }
  }
  if (typeof config.byteCache.enabled !== "boolean") {
    problems.push("byteCache.enabled: must be true or false");
  }
  if (typeof config.status.enabled !== "boolean") {
    problems.push("status.enabled: must be true or false");
  }
  if (![true, false, "auto"].includes(config.status.counters)) {
    problems.push('status.counters: must be true, false or "auto"');
  }
  for (const field of ["path", "healthPath"]) {
    const value = config.status[field];
    if (typeof value !== "string" || !STATUS_PATH.test(value)) {
      problems.push(`status.${field}: must be a path such as "/_mogilefs/status"`);
    }
  }
  if (config.status.path === config.status.healthPath) {
    problems.push("status.healthPath: must differ from status.path");
  }
  if (
    !Array.isArray(config.status.allow) ||
    config.status.allow.some((a) => typeof a !== "string" || !ALLOW.test(a))
  ) {
    problems.push(
      'status.allow: must be a list of addresses or networks, such as "127.0.0.1" or "10.0.0.0/8", or "all"',
    );
  }
  if (typeof config.cache.enabled !== "boolean") {
    problems.push("cache.enabled: must be true or false");
  }
  if (!Number.isInteger(config.tracker.keepaliveRequests) || config.tracker.keepaliveRequests < 1) {
    problems.push("tracker.keepaliveRequests: must be a whole number above 0");
  }
  for (const field of ["maxFails", "keepalive"]) {
    if (!Number.isInteger(config.tracker[field]) || config.tracker[field] < 0) {
      problems.push(`tracker.${field}: must be a whole number`);
    }
  }
  for (const [name, value] of [
    ["runtimeDir", config.runtimeDir],
    ["cache.path", config.cache.path],
    ["byteCache.path", config.byteCache.path],
    ["mimeTypes", config.mimeTypes],
  ]) {
    if (typeof value !== "string" || !value.startsWith("/") || /[\s;{}"']/.test(value)) {
      problems.push(`${name}: must be an absolute path without spaces or ; { } quotes`);
    }
  }
  if (!Array.isArray(config.locations)) {
    problems.push("locations: must be a list");
  } else {
    config.locations.forEach((location, i) => {
      checkLocation(location, i, problems);
    });
  }
  return { config, problems };
}
