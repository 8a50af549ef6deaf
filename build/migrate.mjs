// Migration from the C nginx_mogilefs_module: reads an nginx config that uses its
// directives and returns the gateway configuration (JSON), the same nginx config
// rewritten to use our snippets, and a report of every line changed, kept, dropped
// or not translated. Every byte the migration does not touch is left as it was.
//
//   node build.mjs --migrate nginx.conf [--out DIR]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveConfig } from "./config.mjs";
import { nginxEditor } from "./nginx-edit.mjs";
import { NginxSyntaxError, parseNginx, walkNginx } from "./nginx-parse.mjs";

/** @typedef {import("./nginx-parse.mjs").NginxDirective} NginxDirective */

/**
 * @typedef {object} ReportEntry
 * @property {number} line     1-based line in the input (0: about the whole file)
 * @property {"changed" | "kept" | "dropped" | "not translated" | "added"} action
 * @property {string} text     the directive as written (a block as its first line)
 * @property {string} note     what became of it, and why
 */

/**
 * @typedef {object} MigrationResult
 * @property {string} nginxConf            the rewritten nginx config
 * @property {Record<string, unknown>} config  the gateway configuration (JSON)
 * @property {string[]} configProblems     what resolveConfig says about that config
 * @property {ReportEntry[]} report        sorted by line
 */

// Where the snippets are included from unless told otherwise (README's example).
export const DEFAULT_NGINX_DIR = "/etc/nginx/mogilefs";
// Where Debian keeps dynamic modules.
export const DEFAULT_MODULES_DIR = "/usr/lib/nginx/modules";
const C_DEFAULT_PORT = 6001;
const TRACKER_PORT = 7001;
const MARK = "mogilefs-migrate:";

// The C module's per-location settings, inherited from server and http level.
const SETTINGS = [
  "mogilefs_tracker",
  "mogilefs_domain",
  "mogilefs_class",
  "mogilefs_methods",
  "mogilefs_noverify",
  "mogilefs_connect_timeout",
  "mogilefs_send_timeout",
  "mogilefs_read_timeout",
];
const C_METHODS = ["GET", "PUT", "DELETE"];
const MODULES = ["ngx_http_js_module", "ngx_stream_module", "ngx_stream_js_module"];

// What location.conf (and storage-read.conf, included by it) sets in the location
// itself: nginx refuses a second value of these in the same location, or the
// operator's value would change how our snippets read storage or route errors.
const SET_BY_LOCATION_CONF = new Set([
  "alias",
  "root",
  "auth_request",
  "js_content",
  "uninitialized_variable_warn",
  "recursive_error_pages",
  "proxy_pass",
  "proxy_buffering",
  "proxy_intercept_errors",
  "proxy_http_version",
  "proxy_pass_request_headers",
  "proxy_pass_request_body",
  "proxy_connect_timeout",
  "proxy_read_timeout",
]);
// Status codes location.conf routes with error_page: an operator's error_page
// for them, written before the include, would win and cut the failover short.
const OUR_ERROR_CODES = new Set(["400", "401", "403", "404", "405", "500", "502", "503", "504"]);

const FAILOVER_VARIABLE = /\$\{?mogilefs_path[1-9]\b/;
const PATH_VARIABLE = /\$\{?mogilefs_path\b(?![1-9])/;

/** nginx time ("1m30s", "500ms", "60") in milliseconds, or null. */
export function parseTime(value) {
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  if (/^[0-9]+$/.test(value)) {
    return Number(value) * 1000;
  }
  const parts = value.match(/[0-9]+(ms|s|m|h|d|w)/g);
  if (!parts || parts.join("") !== value) {
    return null;
  }
  let total = 0;
  for (const part of parts) {
    const [, number, unit] = /** @type {RegExpExecArray} */ (/^([0-9]+)(ms|s|m|h|d|w)$/.exec(part));
    total += Number(number) * units[unit];
  }
  return total;
}

/** Milliseconds as our config's time ("90s", "500ms"). */
export function formatTime(ms) {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

// A tracker address of the C module ("IP", "IP:port", "host:port") -> host:port
// and what to say about the port.
function trackerAddress(value, defaultPortNote) {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(value);
  if (!match) {
    return null;
  }
  if (match[2] !== undefined) {
    return { address: value, note: "" };
  }
  return { address: `${match[1]}:${TRACKER_PORT}`, note: defaultPortNote(match[1]) };
}

/**
 * @param {string} text the nginx config
 * @param {{ file?: string, nginxDir?: string, modulesDir?: string }} [options]
 * @returns {MigrationResult}
 */
export function migrateConfig(text, options = {}) {
  const file = options.file ?? "nginx.conf";
  const nginxDir = options.nginxDir ?? DEFAULT_NGINX_DIR;
  const modulesDir = options.modulesDir ?? DEFAULT_MODULES_DIR;
  const top = parseNginx(text, file);

  /** @type {ReportEntry[]} */
  const report = [];
  /** @type {Set<NginxDirective>} */
  const handled = new Set();

  const source = (d) =>
    text
      .slice(d.start, d.block ? /** @type {number} */ (d.blockOpen) + 1 : d.end)
      .replace(/\s+/g, " ");
  const add = (d, action, note) => {
    report.push({ line: d ? d.line : 0, action, text: d ? source(d) : "", note });
  };
  const editor = nginxEditor(text);
  const { lineStart, indentOf, span, remove, insertAfterOpen } = editor;
  const commentOut = (d, reason) => editor.commentOut(d, `${MARK} ${reason}`);
  // The context of the file's top level: a whole nginx.conf, or a file meant for
  // inclusion inside http {} (sites-enabled) or server {}.
  const names = top.map((d) => d.name);
  const topContext = names.includes("http")
    ? "main"
    : names.includes("server")
      ? "http"
      : names.includes("location")
        ? "server"
        : "main";

  /** @type {Map<string, NginxDirective>} */
  const upstreams = new Map();
  /** @type {{ location: NginxDirective, pass: NginxDirective, ancestors: NginxDirective[] }[]} */
  const mogilefsLocations = [];
  /** @type {NginxDirective[]} */
  const failoverUses = [];
  walkNginx(top, (d, ancestors) => {
    if (d.name === "upstream" && d.block && d.args.length === 1) {
      upstreams.set(d.args[0], d);
    }
    if (d.name === "mogilefs_pass") {
      const parent = ancestors[ancestors.length - 1];
      if (parent?.name === "location" && d.block) {
        mogilefsLocations.push({ location: parent, pass: d, ancestors });
      } else {
        handled.add(d);
        commentOut(d, "not translated, see the report");
        add(
          d,
          "not translated",
          d.block
            ? `mogilefs_pass outside a location (in ${parent ? parent.name : "the main context"}) has no equivalent: make a location of it`
            : "mogilefs_pass without its { } block: not valid for the C module either",
        );
      }
    }
    const inPass = ancestors.some((a) => a.name === "mogilefs_pass");
    if (!inPass && d.args.some((a) => FAILOVER_VARIABLE.test(a))) {
      failoverUses.push(d);
    }
  });

  // Hand-made failover: named locations that proxy to $mogilefs_path1..9.
  /** @type {Set<string>} */
  const droppedNamed = new Set();
  // An error_page whose target is a dropped hand-made failover location goes
  // with it; true when d was one.
  const dropFailoverErrorPage = (d) => {
    const target = d.args[d.args.length - 1] ?? "";
    if (d.name !== "error_page" || !droppedNamed.has(target)) {
      return false;
    }
    handled.add(d);
    remove(d);
    add(d, "dropped", `its target ${target} was a hand-made failover, no longer needed`);
    return true;
  };
  /** @type {NginxDirective[]} */
  const failoverLocations = [];
  for (const d of failoverUses) {
    /** @type {NginxDirective | undefined} */
    let owner;
    walkNginx(top, (candidate, ancestors) => {
      if (candidate === d) {
        owner = [...ancestors]
          .reverse()
          .find((a) => a.name === "location" && (a.args[0] ?? "").startsWith("@"));
      }
    });
    if (owner && !failoverLocations.includes(owner)) {
      failoverLocations.push(owner);
      droppedNamed.add(owner.args[0]);
    }
  }

  // Resolve every MogileFS location's settings, the nearest level winning.
  const trackers = [];
  const addTracker = (address) => {
    if (!trackers.includes(address)) {
      trackers.push(address);
    }
  };
  /** @type {Map<NginxDirective, string[]>} */
  const usedBy = new Map();
  /** @type {Map<string, { node: NginxDirective, ms: number }[]>} */
  const timeouts = new Map();
  const trackerNotes = new Set();
  /** @type {Set<string>} */
  const trackerUpstreams = new Set();
  const serversToInclude = new Set();
  let sawDefaultTimeouts = false;

  for (const { location, pass, ancestors } of mogilefsLocations) {
    const where = `location ${location.args.join(" ")} (line ${location.line})`;
    /** @type {Record<string, NginxDirective>} */
    const settings = {};
    for (const level of [location, ...[...ancestors].reverse().slice(1)]) {
      for (const d of level.block ?? []) {
        if (SETTINGS.includes(d.name) && !settings[d.name]) {
          settings[d.name] = d;
        }
      }
      if (level.name === "server") {
        serversToInclude.add(level);
      }
    }
    if (topContext === "server" && !ancestors.some((a) => a.name === "server")) {
      serversToInclude.add("file");
    }
    for (const d of Object.values(settings)) {
      usedBy.set(d, [...(usedBy.get(d) ?? []), where]);
    }

    // Trackers, into gateway.json.
    const tracker = settings.mogilefs_tracker;
    if (!tracker) {
      add(
        location,
        "not translated",
        "no mogilefs_tracker for this location (the C module required one): add the trackers to gateway.json",
      );
    } else if (!trackerNotes.has(tracker)) {
      trackerNotes.add(tracker);
      const value = tracker.args[0] ?? "";
      const upstream = upstreams.get(value);
      if (upstream) {
        trackerUpstreams.add(value);
        const taken = [];
        for (const server of upstream.block ?? []) {
          if (server.name !== "server") {
            continue;
          }
          const params = server.args.slice(1);
          if (params.includes("down")) {
            add(server, "dropped", "marked down: not a tracker in gateway.json");
            continue;
          }
          const parsed = trackerAddress(
            server.args[0] ?? "",
            (host) =>
              `no port: nginx's upstream default is port 80; MogileFS trackers listen on ${TRACKER_PORT}, so ${host}:${TRACKER_PORT} is used: give the real port if it differs`,
          );
          if (!parsed) {
            add(server, "not translated", "not a host[:port] address");
            continue;
          }
          addTracker(parsed.address);
          taken.push(parsed.address);
          const extra = params.length
            ? `; ${params.join(" ")} dropped: gateway.json's tracker.maxFails and tracker.failTimeout apply to every tracker`
            : "";
          add(
            server,
            "changed",
            `tracker ${parsed.address} in gateway.json${parsed.note ? `; ${parsed.note}` : ""}${extra}`,
          );
        }
        add(
          tracker,
          "changed",
          `upstream "${value}" (line ${upstream.line}): its servers ${taken.join(", ")} are the trackers in gateway.json. The C module tried the next one on connect error or timeout only; ours also on garbled answers`,
        );
      } else {
        const parsed = trackerAddress(
          value,
          (host) =>
            `no port: the C module used port ${C_DEFAULT_PORT}, but MogileFS trackers listen on ${TRACKER_PORT}, so ${host}:${TRACKER_PORT} is used. If this config worked as it was, your tracker listens on ${C_DEFAULT_PORT}: write ${host}:${C_DEFAULT_PORT} in gateway.json`,
        );
        if (!parsed || tracker.args.length !== 1) {
          add(tracker, "not translated", "neither an address nor the name of an upstream {} block");
        } else {
          addTracker(parsed.address);
          add(
            tracker,
            "changed",
            `tracker ${parsed.address} in gateway.json${parsed.note ? `; ${parsed.note}` : ""}`,
          );
        }
      }
    }

    // Tracker timeouts, into gateway.json (one value for the whole gateway).
    for (const name of ["mogilefs_connect_timeout", "mogilefs_read_timeout"]) {
      const d = settings[name];
      if (d) {
        const ms = parseTime(d.args[0] ?? "");
        if (ms === null || d.args.length !== 1) {
          continue;
        }
        timeouts.set(name, [...(timeouts.get(name) ?? []), { node: d, ms }]);
      } else {
        sawDefaultTimeouts = true;
      }
    }

    // The settings, as `set` lines where mogilefs_pass was.
    const lines = [];
    const domain = settings.mogilefs_domain;
    if (domain) {
      const value = domain.args[0] ?? "";
      lines.push(`set $mogilefs_domain ${domain.rawArgs[0] ?? "default"};`);
      if (value.includes("$")) {
        add(
          domain,
          "changed",
          `${where}: the C module did not evaluate variables here and sent the literal text "${value}" as the domain; ours evaluates them. Check that this names the domain you meant`,
        );
      }
    } else {
      lines.push("set $mogilefs_domain default;");
      add(
        location,
        "changed",
        `${where}: no mogilefs_domain: the C module's default domain "default" is set explicitly`,
      );
    }
    const methods = settings.mogilefs_methods;
    if (methods) {
      const valid = [];
      const invalid = [];
      for (const m of methods.args) {
        (C_METHODS.includes(m.toUpperCase()) || m.toUpperCase() === "HEAD" ? valid : invalid).push(
          m.toUpperCase(),
        );
      }
      if (valid.length > 0) {
        lines.push(`set $mogilefs_methods "${valid.join(" ")}";`);
      }
      if (invalid.length > 0) {
        add(
          methods,
          "not translated",
          `${where}: ${invalid.join(", ")}: not a method the C module or ours serves`,
        );
      }
    }
    const cls = settings.mogilefs_class;
    if (cls && cls.rawArgs.length > 0) {
      lines.push(`set $mogilefs_class ${cls.rawArgs[0]};`);
    }
    const noverify = settings.mogilefs_noverify;
    const noverifyOn = noverify?.args[0]?.toLowerCase() === "on";
    lines.push(`set $mogilefs_noverify ${noverifyOn ? "on" : "off"};`);
    if (!noverify) {
      add(
        location,
        "added",
        `${where}: set $mogilefs_noverify off; keeps the C module's default (the tracker checks each path before answering). Ours defaults to on, which is faster and safe since ours fails over to the next path: delete the line to get it`,
      );
    }

    // The key: the argument of mogilefs_pass, or the URI after the prefix.
    const modifier = location.args.length > 1 ? location.args[0] : "";
    if (pass.args.length > 0) {
      lines.push(`set $mogilefs_key ${pass.rawArgs[0]};`);
      add(
        pass,
        "changed",
        `${where}: the key argument becomes set $mogilefs_key ${pass.rawArgs[0]};`,
      );
    } else if (modifier === "~" || modifier === "~*") {
      lines.push(`# ${MARK} set $mogilefs_key here: a regex location has no prefix to strip`);
      add(
        pass,
        "not translated",
        `${where}: regex location without a key: the C module cut as many bytes as the regex is long (right only by coincidence); ours needs set $mogilefs_key (for example from a capture)`,
      );
    } else if (modifier === "=") {
      add(
        pass,
        "not translated",
        `${where}: exact-match location without a key: the key is always empty (the C module answered 500, ours 400); add set $mogilefs_key`,
      );
    } else {
      const prefix = location.args[location.args.length - 1] ?? "";
      add(
        pass,
        "changed",
        prefix.endsWith("/")
          ? `${where}: the key is the decoded URI after "${prefix}", as before`
          : `${where}: the key is the decoded URI after "${prefix}", which keeps its leading "/" (GET ${prefix}/a.jpg reads key "/a.jpg"), as the C module did`,
      );
    }

    // The mogilefs_pass block's contents.
    const movedIn = [];
    const blockedOut = [];
    for (const d of pass.block ?? []) {
      handled.add(d);
      const line = source(d);
      if (d.name === "proxy_pass") {
        add(d, "dropped", "location.conf proxies each of the key's paths in turn");
      } else if (d.name === "proxy_hide_header" && d.args[0]?.toLowerCase() === "content-type") {
        add(
          d,
          "dropped",
          "ours hides the storage node's Content-Type and sets it from the key's extension",
        );
      } else if (d.name === "proxy_buffering") {
        add(
          d,
          "dropped",
          "location.conf sets proxy_buffering on for every path (nginx refuses a second value); large files still stream, spilling to proxy_temp_path",
        );
      } else if (d.name === "proxy_connect_timeout" || d.name === "proxy_read_timeout") {
        const ms = parseTime(d.args[0] ?? "");
        const field =
          d.name === "proxy_connect_timeout" ? "storage.connectTimeout" : "storage.readTimeout";
        if (ms === null) {
          add(d, "not translated", "not an nginx time");
        } else {
          timeouts.set(field, [...(timeouts.get(field) ?? []), { node: d, ms }]);
        }
      } else if (d.name === "proxy_intercept_errors" || d.name === "recursive_error_pages") {
        add(d, "dropped", "location.conf intercepts storage errors itself, to fail over");
      } else if (d.name === "proxy_send_timeout") {
        add(
          d,
          "dropped",
          "reads send storage nodes a few header lines; PUTs use storage.readTimeout for sending",
        );
      } else if (d.name === "error_page" || FAILOVER_VARIABLE.test(d.args.join(" "))) {
        add(
          d,
          "dropped",
          "a hand-made failover is no longer needed: ours tries every path, then asks the tracker again",
        );
      } else if (d.name.startsWith("proxy_") || SET_BY_LOCATION_CONF.has(d.name)) {
        blockedOut.push(line);
        add(
          d,
          "not translated",
          `storage reads are set up in ${nginxDir}/storage-read.conf for every path; in the location this line would apply to path 1 only (or clash with location.conf). Add it to storage-read.conf if you need it`,
        );
      } else {
        movedIn.push(line);
        add(
          d,
          "kept",
          "moved into the location, before include location.conf. It applies when path 1 serves; the failover locations @mogilefs_path2.. take their settings from the server level",
        );
      }
    }
    const indent = indentOf(pass);
    const replacement = [
      ...lines,
      ...movedIn,
      ...blockedOut.map((l) => `# ${MARK} not translated (see the report): ${l}`),
      `include ${nginxDir}/location.conf;`,
    ]
      .map((l) => `${indent}${l}\n`)
      .join("");
    const s = span(pass);
    editor.replace(s.start, s.end, s.whole ? replacement : `\n${replacement}`);
    handled.add(pass);

    // The location's other directives.
    for (const d of location.block ?? []) {
      if (d === pass || SETTINGS.includes(d.name) || handled.has(d)) {
        continue;
      }
      if (d.name.startsWith("mogilefs_")) {
        continue;
      }
      if (dropFailoverErrorPage(d)) {
        continue;
      }
      if (d.name === "error_page") {
        const codes = d.args.filter((a) => /^[0-9]{3}$/.test(a));
        if (codes.some((c) => OUR_ERROR_CODES.has(c))) {
          handled.add(d);
          commentOut(d, "not translated, see the report");
          add(
            d,
            "not translated",
            `${where}: error_page for ${codes.filter((c) => OUR_ERROR_CODES.has(c)).join(" ")} would take over the failover and failure answers of location.conf`,
          );
          continue;
        }
      }
      if (SET_BY_LOCATION_CONF.has(d.name)) {
        handled.add(d);
        commentOut(d, "not translated, see the report");
        add(d, "not translated", `${where}: location.conf sets ${d.name} itself`);
        continue;
      }
      handled.add(d);
      add(d, "kept", `${where}: not a MogileFS directive`);
    }
  }

  // The C module's directives: translated above into the locations that use them.
  walkNginx(top, (d, ancestors) => {
    if (handled.has(d) || ancestors.some((a) => a.name === "mogilefs_pass")) {
      return;
    }
    if (SETTINGS.includes(d.name)) {
      handled.add(d);
      remove(d);
      const users = usedBy.get(d) ?? [];
      const parent = ancestors[ancestors.length - 1];
      const level = parent ? parent.name : "main";
      if (users.length === 0) {
        add(d, "dropped", "no MogileFS location uses it");
        return;
      }
      const into =
        parent?.name === "location" ? "" : ` (${level} level, resolved into ${users.join(", ")})`;
      if (d.name === "mogilefs_tracker") {
        if (into) {
          add(d, "changed", `trackers in gateway.json${into}`);
        }
      } else if (d.name === "mogilefs_domain") {
        add(d, "changed", `set $mogilefs_domain ${d.rawArgs[0] ?? ""};${into}`);
      } else if (d.name === "mogilefs_class") {
        add(
          d,
          "changed",
          `set $mogilefs_class ${d.rawArgs[0] ?? ""};${into}${d.args.length > 1 ? `; only the first value is kept (the C module sent the first non-empty one): ${d.rawArgs.slice(1).join(" ")} dropped` : ""}`,
        );
      } else if (d.name === "mogilefs_methods") {
        add(
          d,
          "changed",
          `set $mogilefs_methods "${d.args.map((m) => m.toUpperCase()).join(" ")}";${into} (GET allows HEAD, as before)`,
        );
      } else if (d.name === "mogilefs_noverify") {
        add(
          d,
          "changed",
          `set $mogilefs_noverify ${d.args[0]?.toLowerCase() === "on" ? "on" : "off"};${into}: written out in each location because ours defaults to on and the C module to off`,
        );
      } else if (d.name === "mogilefs_send_timeout") {
        add(
          d,
          "dropped",
          `no separate send timeout: the request line is a few hundred bytes${into}`,
        );
      } else {
        add(
          d,
          "changed",
          `tracker.${d.name === "mogilefs_connect_timeout" ? "connectTimeout" : "readTimeout"} in gateway.json${into}`,
        );
      }
    } else if (d.name.startsWith("mogilefs_")) {
      handled.add(d);
      commentOut(d, "not translated, see the report");
      add(d, "not translated", "not a directive of the C module that the migration knows");
    }
  });

  // Timeouts: one value each for the whole gateway, the largest given.
  const gateway = { nginxDir, trackers };
  const fields = {
    mogilefs_connect_timeout: ["tracker", "connectTimeout"],
    mogilefs_read_timeout: ["tracker", "readTimeout"],
    "storage.connectTimeout": ["storage", "connectTimeout"],
    "storage.readTimeout": ["storage", "readTimeout"],
  };
  for (const [name, values] of timeouts) {
    const [section, field] = fields[name];
    const largest = Math.max(...values.map((v) => v.ms));
    gateway[section] = { ...(gateway[section] ?? {}), [field]: formatTime(largest) };
    const differ = new Set(values.map((v) => v.ms)).size > 1;
    for (const { node } of new Set(values)) {
      if (section === "storage") {
        add(
          node,
          "changed",
          `${section}.${field} ${formatTime(largest)} in gateway.json, for every path`,
        );
      }
    }
    if (differ) {
      add(
        values[0].node,
        "changed",
        `${section}.${field}: the locations differ (${[...new Set(values.map((v) => formatTime(v.ms)))].join(", ")}); ours has one value for the gateway: the largest, ${formatTime(largest)}`,
      );
    }
  }
  if (sawDefaultTimeouts && mogilefsLocations.length > 0) {
    add(
      null,
      "changed",
      "tracker timeouts not set in some locations: the C module waited 60 s; ours uses gateway.json's tracker.connectTimeout (1s) and tracker.readTimeout (3s) unless set, then tries the next tracker",
    );
  }

  // Upstreams that only listed trackers, and hand-made failover.
  for (const name of trackerUpstreams) {
    const upstream = /** @type {NginxDirective} */ (upstreams.get(name));
    let usedElsewhere = false;
    walkNginx(top, (d, ancestors) => {
      if (d === upstream || ancestors.includes(upstream) || d.name === "mogilefs_tracker") {
        return;
      }
      if (d.args.some((a) => a === name || a.includes(`://${name}`))) {
        usedElsewhere = true;
      }
    });
    if (usedElsewhere || name === "mogilefs_trackers") {
      add(
        upstream,
        "kept",
        name === "mogilefs_trackers"
          ? "the name clashes with the upstream of http.conf: rename this one"
          : "also used by other directives; its servers are the trackers in gateway.json too",
      );
    } else {
      commentOut(upstream, "its servers are the trackers in gateway.json");
      add(
        upstream,
        "dropped",
        "only named trackers for mogilefs_tracker: its servers are the trackers in gateway.json",
      );
    }
    handled.add(upstream);
  }
  for (const owner of failoverLocations) {
    handled.add(owner);
    commentOut(owner, "hand-made failover, no longer needed");
    add(
      owner,
      "dropped",
      "a hand-made failover to $mogilefs_path1..9 is no longer needed: ours tries every path of the key, then asks the tracker once more",
    );
  }
  for (const d of failoverUses) {
    if (handled.has(d) || failoverLocations.some((o) => isInside(top, d, o))) {
      continue;
    }
    handled.add(d);
    add(
      d,
      "kept",
      "uses $mogilefs_path1..9: in the C module they held the tracker's path 2..10; ours has $mogilefs_path1..4 holding path 1..4, set only in MogileFS locations",
    );
  }
  walkNginx(top, (d, ancestors) => {
    if (handled.has(d) || ancestors.some((a) => handled.has(a))) {
      return;
    }
    if (dropFailoverErrorPage(d)) {
      // dropped with the hand-made failover it pointed to
    } else if (d.args.some((a) => PATH_VARIABLE.test(a))) {
      handled.add(d);
      add(d, "kept", "$mogilefs_path is now the storage URL that served (the last path tried)");
    } else if (d.name === "include") {
      add(
        d,
        "kept",
        "not followed: migrate an included file that holds MogileFS directives on its own",
      );
    } else if (d.name === "load_module" && /mogilefs/.test(d.args[0] ?? "")) {
      handled.add(d);
      remove(d);
      add(d, "dropped", "the C module is replaced");
    }
  });

  // The snippets.
  if (mogilefsLocations.length > 0) {
    const http = top.find((d) => d.name === "http" && d.block);
    if (topContext === "main" && http) {
      const loaded = top.filter((d) => d.name === "load_module").map((d) => d.args[0] ?? "");
      const modulesEnabled = top.find(
        (d) => d.name === "include" && /modules-enabled/.test(d.args[0] ?? ""),
      );
      const missing = MODULES.filter((m) => !loaded.some((l) => l.includes(`${m}.so`)));
      if (modulesEnabled) {
        add(
          modulesEnabled,
          "kept",
          `loads the modules nginx needs (${MODULES.join(", ")}) once Debian's libnginx-mod-http-js and libnginx-mod-stream-js are installed; no load_module added`,
        );
      } else if (missing.length > 0) {
        const first = top[0];
        const at = lineStart(first.start);
        editor.replace(
          at,
          at,
          `${missing.map((m) => `load_module ${modulesDir}/${m}.so;`).join("\n")}\n`,
        );
        add(null, "added", `load_module for ${missing.join(", ")} (from ${modulesDir}) at the top`);
      }
      const stream = top.find((d) => d.name === "stream" && d.block);
      if (stream) {
        insertAfterOpen(stream, [`include ${nginxDir}/stream.conf;`]);
        add(
          stream,
          "changed",
          `include ${nginxDir}/stream.conf; added: the tracker bridge (nginx allows one stream {} block)`,
        );
      } else {
        const at = lineStart(http.start);
        editor.replace(at, at, `${indentOf(http)}include ${nginxDir}/main.conf;\n`);
        add(
          http,
          "added",
          `include ${nginxDir}/main.conf; before it: the tracker bridge (a stream {} block)`,
        );
      }
      insertAfterOpen(http, [`include ${nginxDir}/http.conf;`]);
      add(http, "changed", `include ${nginxDir}/http.conf; added at the top of http {}`);
    } else {
      add(
        null,
        "not translated",
        `this file is included inside ${topContext === "http" ? "http {}" : "server {}"}: add include ${nginxDir}/main.conf; to nginx.conf's main context${topContext === "server" ? `, include ${nginxDir}/http.conf; to its http {} and include ${nginxDir}/server.conf; to the server {}` : ` and include ${nginxDir}/http.conf; to its http {}`}, with the js and stream modules loaded`,
      );
    }
    for (const server of serversToInclude) {
      if (server === "file") {
        continue;
      }
      insertAfterOpen(server, [`include ${nginxDir}/server.conf;`]);
      add(server, "changed", `include ${nginxDir}/server.conf; added: the internal locations`);
    }
  } else {
    add(null, "not translated", "no location with mogilefs_pass: nothing to migrate");
  }

  const { problems } = resolveConfig(gateway, { env: {} });
  for (const problem of problems) {
    add(null, "not translated", `gateway.json: ${problem}`);
  }
  return {
    nginxConf: editor.apply(),
    config: gateway,
    configProblems: problems,
    report: report.sort((a, b) => a.line - b.line),
  };
}

// Whether inner is owner or inside its block.
function isInside(top, inner, owner) {
  let inside = inner === owner;
  walkNginx(top, (d, ancestors) => {
    if (d === inner && ancestors.includes(owner)) {
      inside = true;
    }
  });
  return inside;
}

/**
 * The report as text, one entry per line (a long note on the next line).
 * @param {ReportEntry[]} report
 * @param {string} file
 * @returns {string}
 */
export function formatReport(report, file) {
  const counts = {};
  const lines = report.map((r) => {
    counts[r.action] = (counts[r.action] ?? 0) + 1;
    const where = r.line > 0 ? `${file}:${r.line}` : file;
    return `${where}: ${r.action}: ${r.text ? `${r.text}\n    ` : ""}${r.note}`;
  });
  const summary = Object.entries(counts)
    .map(([action, n]) => `${n} ${action}`)
    .join(", ");
  return `${lines.join("\n")}\n${summary}\n`;
}

/**
 * `node build.mjs --migrate FILE [--out DIR]`: writes DIR/<FILE's name> (the nginx
 * config), DIR/gateway.json and DIR/migration-report.txt, and prints the report.
 * @param {string} file
 * @param {{ out?: string, nginxDir?: string }} [options]
 * @returns {number} the exit status
 */
export function runMigrate(file, options = {}) {
  const out = path.resolve(options.out ?? "migrated");
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    console.error(`migrate: cannot read ${file}: ${e.code || e.message}`);
    return 1;
  }
  const confOut = path.join(out, path.basename(file));
  if (path.resolve(file) === confOut) {
    console.error(`migrate: --out ${out} would overwrite ${file}: choose another folder`);
    return 1;
  }
  let result;
  try {
    result = migrateConfig(text, { file: path.basename(file), nginxDir: options.nginxDir });
  } catch (e) {
    console.error(e instanceof NginxSyntaxError ? `migrate: ${e.message}` : `migrate: ${e.stack}`);
    return 1;
  }
  const reportText = [
    `njs-mogilefs migration of ${file}`,
    `wrote ${confOut}, ${path.join(out, "gateway.json")}, ${path.join(out, "migration-report.txt")}`,
    `next: node build.mjs --config ${path.join(out, "gateway.json")} --out ${result.config.nginxDir}, then check ${confOut} and nginx -t`,
    "",
    formatReport(result.report, path.basename(file)),
  ].join("\n");
  mkdirSync(out, { recursive: true });
  writeFileSync(confOut, result.nginxConf);
  writeFileSync(path.join(out, "gateway.json"), `${JSON.stringify(result.config, null, 2)}\n`);
  writeFileSync(path.join(out, "migration-report.txt"), reportText);
  process.stdout.write(reportText);
  return 0;
}
