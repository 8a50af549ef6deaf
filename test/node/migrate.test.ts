// Migration from the C nginx_mogilefs_module: nginx syntax parsed as nginx reads it,
// every C directive translated (or named in the report as not translated), and the
// migrated documented example accepted by nginx -t with our snippets.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { resolveConfig } from "../../build/config.mjs";
import {
  formatReport,
  formatTime,
  migrateConfig,
  parseTime,
  type ReportEntry,
} from "../../build/migrate.mjs";
import { NginxSyntaxError, parseNginx } from "../../build/nginx-parse.mjs";
import { renderSnippets } from "../../build/render.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "njs-mogilefs-migrate-"));
  dirs.push(dir);
  return dir;
}

// The C module's documented example (../shared/c-module.md), line for line.
const documented = `http {
    include       mime.types;
    default_type  application/octet-stream;
    server {
        listen 80;
        location /download/ {                      # public reads
            mogilefs_tracker 192.168.2.2:7001;
            mogilefs_domain  example_domain;
            mogilefs_pass {
                proxy_pass        $mogilefs_path;
                proxy_hide_header Content-Type;    # storage says text/plain for .fid
                proxy_buffering   off;
            }
        }
        location /upload/ {                        # writes and deletes, LAN only
            allow 192.168.2.0/24;
            deny  all;
            mogilefs_tracker 192.168.2.2:7001;
            mogilefs_domain  example_domain;
            mogilefs_methods PUT DELETE;
            mogilefs_pass {
                proxy_pass        $mogilefs_path;
                proxy_hide_header Content-Type;
                proxy_buffering   off;
            }
        }
    }
}
`;

// A location block of the output, by its opening line.
function locationBody(conf: string, opening: string): string {
  const start = conf.indexOf(opening);
  expect(start, `${opening} in\n${conf}`).toBeGreaterThanOrEqual(0);
  return conf.slice(start, conf.indexOf("\n        }", start));
}

// Every note about one line, joined.
function notes(report: ReportEntry[], line: number): string {
  return report
    .filter((r) => r.line === line)
    .map((r) => `${r.action}: ${r.note}`)
    .join("\n");
}

function entry(report: ReportEntry[], line: number, action?: string): ReportEntry {
  const found = report.find((r) => r.line === line && (!action || r.action === action));
  expect(found, `report entry for line ${line}:\n${formatReport(report, "x")}`).toBeDefined();
  return found as ReportEntry;
}

// A server {} of the C module with the given locations, as a whole nginx.conf.
function wrap(server: string, http = ""): string {
  return `events {}\nhttp {\n${http}    server {\n        listen 80;\n${server}    }\n}\n`;
}

const passBlock = `mogilefs_pass {
                proxy_pass $mogilefs_path;
            }`;

// nginx's braced variable, "${host}", kept out of JavaScript template syntax.
const braced = `$${"{"}host}`;

describe("parseNginx", () => {
  test("reads comments, quotes, escapes, braced variables and nested blocks as nginx does", () => {
    const text = [
      "# a comment with ; and { }",
      "http {",
      '    log_format x "a;b \\"c\\" {d}" \'#not a comment\';  # trailing; comment {',
      `    location ~ "^/a{2}$" { return 200 ${braced}z#x; }`,
      "    set $v a\\;b;",
      "}",
      "",
    ].join("\n");
    const [http] = parseNginx(text);
    expect(http.name).toBe("http");
    expect(http.line).toBe(2);
    expect(http.endLine).toBe(6);
    const [logFormat, location, set] = http.block ?? [];
    expect(logFormat.args).toEqual(["x", 'a;b "c" {d}', "#not a comment"]);
    expect(logFormat.rawArgs[1]).toBe('"a;b \\"c\\" {d}"');
    expect(location.args).toEqual(["~", "^/a{2}$"]);
    expect(location.block?.[0].args).toEqual(["200", `${braced}z#x`]);
    expect(location.line).toBe(4);
    expect(set.args).toEqual(["$v", "a;b"]);
    expect(text.slice(set.start, set.end)).toBe("set $v a\\;b;");
  });

  test("names file and line of a syntax error", () => {
    expect(() => parseNginx("http {\n  server {\n  listen 80;\n}\n", "x.conf")).toThrow(
      /x\.conf:5: unexpected end of file: the block of "http" \(line 1\) is not closed/,
    );
    expect(() => parseNginx("a b\n}\n", "y.conf")).toThrow('y.conf:2: unexpected "}"');
    expect(() => parseNginx('set $a "open;\n', "z.conf")).toThrow(NginxSyntaxError);
    expect(() => parseNginx("}", "w.conf")).toThrow('w.conf:1: unexpected "}"');
  });
});

describe("time values", () => {
  test("nginx times convert to our config's form", () => {
    expect(parseTime("60")).toBe(60_000);
    expect(parseTime("1m30s")).toBe(90_000);
    expect(parseTime("500ms")).toBe(500);
    expect(parseTime("soon")).toBeNull();
    expect(formatTime(90_000)).toBe("90s");
    expect(formatTime(1500)).toBe("1500ms");
  });
});

describe("the documented example", () => {
  const result = migrateConfig(documented, { nginxDir: "/etc/nginx/mogilefs" });

  test("becomes gateway.json with its tracker, valid for the build", () => {
    expect(result.config).toEqual({
      nginxDir: "/etc/nginx/mogilefs",
      trackers: ["192.168.2.2:7001"],
    });
    expect(result.configProblems).toEqual([]);
    expect(resolveConfig(result.config, { env: {} }).problems).toEqual([]);
  });

  test("locations set our variables and include location.conf where mogilefs_pass was", () => {
    const conf = result.nginxConf;
    expect(locationBody(conf, "location /download/ {")).toBe(
      [
        "location /download/ {                      # public reads",
        "            set $mogilefs_domain example_domain;",
        "            set $mogilefs_noverify off;",
        "            include /etc/nginx/mogilefs/location.conf;",
      ].join("\n"),
    );
    expect(locationBody(conf, "location /upload/ {")).toBe(
      [
        "location /upload/ {                        # writes and deletes, LAN only",
        "            allow 192.168.2.0/24;",
        "            deny  all;",
        "            set $mogilefs_domain example_domain;",
        '            set $mogilefs_methods "PUT DELETE";',
        "            set $mogilefs_noverify off;",
        "            include /etc/nginx/mogilefs/location.conf;",
      ].join("\n"),
    );
    expect(conf).not.toMatch(/^\s*mogilefs_/m);
    expect(conf).not.toContain("proxy_buffering");
  });

  test("the snippets are included in main, http and server context", () => {
    const conf = result.nginxConf;
    expect(conf.startsWith("load_module /usr/lib/nginx/modules/ngx_http_js_module.so;\n")).toBe(
      true,
    );
    expect(conf).toContain("load_module /usr/lib/nginx/modules/ngx_stream_js_module.so;\n");
    expect(conf).toContain(
      "include /etc/nginx/mogilefs/main.conf;\nhttp {\n    include /etc/nginx/mogilefs/http.conf;\n    include       mime.types;",
    );
    expect(conf).toContain(
      "    server {\n        include /etc/nginx/mogilefs/server.conf;\n        listen 80;",
    );
    // Everything else is untouched, comments included.
    expect(conf).toContain("    default_type  application/octet-stream;\n");
    expect(() => parseNginx(conf)).not.toThrow();
  });

  test("the report names every C line with what became of it", () => {
    const { report } = result;
    expect(entry(report, 7).note).toContain("tracker 192.168.2.2:7001 in gateway.json");
    expect(entry(report, 8).note).toContain("set $mogilefs_domain example_domain;");
    expect(entry(report, 9).note).toContain('the key is the decoded URI after "/download/"');
    expect(entry(report, 10, "dropped").note).toContain("proxies each of the key's paths");
    expect(entry(report, 11, "dropped").note).toContain("Content-Type");
    expect(entry(report, 12, "dropped").note).toContain("proxy_buffering on");
    expect(entry(report, 16, "kept").text).toBe("allow 192.168.2.0/24;");
    expect(entry(report, 20).note).toContain('set $mogilefs_methods "PUT DELETE";');
    expect(entry(report, 6, "added").note).toContain("set $mogilefs_noverify off;");
    for (const line of [7, 8, 9, 10, 11, 12, 18, 19, 20, 21, 22, 23, 24]) {
      entry(report, line);
    }
    const text = formatReport(report, "nginx.conf");
    expect(text).toContain("nginx.conf:12: dropped: proxy_buffering off;\n");
    expect(text).toMatch(/\n\d+ changed, \d+ added, \d+ kept, \d+ dropped\n$/);
  });

  test("passes nginx -t with the snippets rendered from the produced gateway.json", () => {
    const dir = tempDir();
    const confDir = path.join(dir, "mogilefs");
    mkdirSync(confDir);
    mkdirSync(path.join(dir, "run"));
    const { nginxConf, config } = migrateConfig(documented, { nginxDir: confDir });
    const { config: resolved, problems } = resolveConfig(
      { ...config, runtimeDir: path.join(dir, "run"), cache: { path: path.join(dir, "cache") } },
      { env: {} },
    );
    expect(problems).toEqual([]);
    const files = renderSnippets(resolved, {
      templatesDir: path.join(root, "nginx"),
      mimeTypesText: readFileSync(resolved.mimeTypes, "utf8"),
    });
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(path.join(confDir, name), text);
    }
    writeFileSync(
      path.join(confDir, "mogilefs.js"),
      readFileSync(path.join(root, "dist/mogilefs.js")),
    );
    // The example names mime.types relative to nginx's conf folder, and has no events {}.
    const conf = nginxConf
      .replace("include       mime.types;", "include /etc/nginx/mime.types;")
      .replace(
        "include /etc/nginx/mogilefs/main.conf;".replace("/etc/nginx/mogilefs", confDir),
        `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\ninclude ${confDir}/main.conf;`,
      )
      .replace("listen 80;", `listen 127.0.0.1:1;\n        access_log off;`)
      .replace(
        "http {",
        `http {\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;`,
      );
    writeFileSync(path.join(dir, "nginx.conf"), conf);
    const check = spawnSync("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")], {
      encoding: "utf8",
    });
    expect(check.stderr).toContain("test is successful");
    expect(check.status).toBe(0);
  });
});

describe("variations", () => {
  test("an upstream of trackers becomes the tracker list and is dropped when only trackers use it", () => {
    const text = wrap(
      `        location /files/ {
            mogilefs_tracker trackers;
            mogilefs_domain files;
            ${passBlock}
        }
`,
      `    upstream trackers {
        server 10.0.0.1:7001;
        server 10.0.0.2 max_fails=3;
        server 10.0.0.3:7001 down;
    }
`,
    );
    const { config, nginxConf, report } = migrateConfig(text);
    expect(config.trackers).toEqual(["10.0.0.1:7001", "10.0.0.2:7001"]);
    expect(nginxConf).toContain(
      "    # mogilefs-migrate: its servers are the trackers in gateway.json\n    # upstream trackers {\n    #     server 10.0.0.1:7001;\n",
    );
    expect(() => parseNginx(nginxConf)).not.toThrow();
    const http = parseNginx(nginxConf).find((d) => d.name === "http");
    expect(http?.block?.some((d) => d.name === "upstream")).toBe(false);
    expect(entry(report, 3, "dropped").note).toContain("only named trackers");
    expect(entry(report, 5).note).toContain("nginx's upstream default is port 80");
    expect(entry(report, 5).note).toContain("max_fails=3 dropped");
    expect(entry(report, 6, "dropped").note).toContain("marked down");
    expect(entry(report, 11).note).toContain('upstream "trackers"');
  });

  test("an upstream also used by proxy_pass is kept", () => {
    const text = wrap(
      `        location /files/ {
            mogilefs_tracker trackers;
            mogilefs_domain files;
            ${passBlock}
        }
        location /admin/ {
            proxy_pass http://trackers;
        }
`,
      "    upstream trackers { server 10.0.0.1:7001; }\n",
    );
    const { config, nginxConf, report } = migrateConfig(text);
    expect(config.trackers).toEqual(["10.0.0.1:7001"]);
    expect(nginxConf).toContain("    upstream trackers { server 10.0.0.1:7001; }\n");
    expect(entry(report, 3, "kept").note).toContain("also used by other directives");
  });

  test("a tracker without a port gets 7001, and the report names the C default 6001", () => {
    const text = wrap(`        location /files/ {
            mogilefs_tracker 10.0.0.9;
            mogilefs_domain files;
            ${passBlock}
        }
`);
    const { config, report } = migrateConfig(text);
    expect(config.trackers).toEqual(["10.0.0.9:7001"]);
    const note = entry(report, 6).note;
    expect(note).toContain("the C module used port 6001");
    expect(note).toContain("write 10.0.0.9:6001");
  });

  test("server- and http-level settings are resolved into each location, nearest first", () => {
    const text = wrap(
      `        mogilefs_domain site_files;
        mogilefs_class photos thumbs;
        location /a/ {
            ${passBlock}
        }
        location /b/ {
            mogilefs_domain other;
            mogilefs_noverify on;
            ${passBlock}
        }
        location /static/ {
            root /srv;
        }
`,
      "    mogilefs_tracker 10.0.0.1:7001;\n    mogilefs_noverify off;\n",
    );
    const { config, nginxConf, report } = migrateConfig(text);
    expect(config.trackers).toEqual(["10.0.0.1:7001"]);
    expect(locationBody(nginxConf, "location /a/ {")).toContain(
      [
        "            set $mogilefs_domain site_files;",
        "            set $mogilefs_class photos;",
        "            set $mogilefs_noverify off;",
      ].join("\n"),
    );
    expect(locationBody(nginxConf, "location /b/ {")).toContain(
      [
        "            set $mogilefs_domain other;",
        "            set $mogilefs_class photos;",
        "            set $mogilefs_noverify on;",
      ].join("\n"),
    );
    expect(nginxConf).not.toMatch(/^\s*mogilefs_/m);
    expect(nginxConf).toContain("location /static/ {\n            root /srv;\n        }");
    expect(notes(report, 3)).toContain("http level, resolved into location /a/ (line 9)");
    // /b/ sets its own domain; both take the class.
    expect(entry(report, 7).note).toContain("(server level, resolved into location /a/ (line 9))");
    expect(entry(report, 8).note).toContain(
      "server level, resolved into location /a/ (line 9), location /b/ (line 14)",
    );
    expect(entry(report, 8).note).toContain("only the first value is kept");
    expect(entry(report, 4).note).toContain("written out in each location");
  });

  test("a key argument with variables becomes $mogilefs_key, quotes kept", () => {
    const text = wrap(`        location /by-arg/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            mogilefs_pass "prefix-$arg_k" {
                proxy_pass $mogilefs_path;
            }
        }
        location ~ ^/id/(?<id>[0-9]+)$ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            mogilefs_pass item-$id {
                proxy_pass $mogilefs_path;
            }
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).toContain('            set $mogilefs_key "prefix-$arg_k";\n');
    expect(nginxConf).toContain("            set $mogilefs_key item-$id;\n");
    expect(entry(report, 8).note).toContain('set $mogilefs_key "prefix-$arg_k";');
  });

  test("a location without a trailing slash keeps the C module's leading / in the key", () => {
    const text = wrap(`        location /dl {
            mogilefs_tracker 10.0.0.1:7001;
            ${passBlock}
        }
        location ~ ^/re/ {
            mogilefs_tracker 10.0.0.1:7001;
            ${passBlock}
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    expect(entry(report, 7).note).toContain('reads key "/a.jpg"');
    expect(entry(report, 13, "not translated").note).toContain("regex location without a key");
    expect(nginxConf).toContain("# mogilefs-migrate: set $mogilefs_key here");
    // No domain anywhere: the C module's default.
    expect(nginxConf).toContain("set $mogilefs_domain default;");
  });

  test("methods are case-insensitive; unknown ones are reported", () => {
    const text = wrap(`        location /files/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            mogilefs_methods get Put patch;
            ${passBlock}
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).toContain('set $mogilefs_methods "GET PUT";');
    expect(entry(report, 8, "not translated").note).toContain("PATCH");
  });

  test("timeouts: the largest per kind into gateway.json, send dropped, storage timeouts from the block", () => {
    const text = wrap(`        location /a/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            mogilefs_connect_timeout 2s;
            mogilefs_read_timeout 5;
            mogilefs_send_timeout 10s;
            mogilefs_pass {
                proxy_pass $mogilefs_path;
                proxy_read_timeout 20s;
                proxy_connect_timeout 500ms;
            }
        }
        location /b/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            mogilefs_connect_timeout 2s;
            mogilefs_read_timeout 1m;
            ${passBlock}
        }
`);
    const { config, report, configProblems } = migrateConfig(text);
    expect(config.tracker).toEqual({ connectTimeout: "2s", readTimeout: "60s" });
    expect(config.storage).toEqual({ connectTimeout: "500ms", readTimeout: "20s" });
    expect(configProblems).toEqual([]);
    expect(
      report.some((r) => r.line === 9 && r.note.includes("the locations differ (5s, 60s)")),
    ).toBe(true);
    expect(entry(report, 10, "dropped").note).toContain("no separate send timeout");
    expect(entry(report, 13).note).toContain("storage.readTimeout 20s");
  });

  test("a domain with a $ is reported: the C module sent it literally", () => {
    const text = wrap(`        location /files/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain $host;
            ${passBlock}
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).toContain("set $mogilefs_domain $host;");
    expect(
      report.some((r) => r.line === 7 && r.note.includes('sent the literal text "$host"')),
    ).toBe(true);
  });

  test("a hand-made failover to $mogilefs_path1 is dropped as no longer needed", () => {
    const text = wrap(`        location /files/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            error_page 502 504 = @second;
            mogilefs_pass {
                proxy_pass $mogilefs_path;
                proxy_intercept_errors on;
                error_page 404 502 = @second;
            }
        }
        location @second {
            proxy_pass $mogilefs_path1;
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).toContain(
      [
        "        # mogilefs-migrate: hand-made failover, no longer needed",
        "        # location @second {",
        "        #     proxy_pass $mogilefs_path1;",
        "        # }",
      ].join("\n"),
    );
    expect(nginxConf).not.toContain("error_page");
    expect(entry(report, 8, "dropped").note).toContain("@second was a hand-made failover");
    expect(entry(report, 11, "dropped").note).toContain("intercepts storage errors");
    expect(entry(report, 12, "dropped").note).toContain("no longer needed");
    expect(entry(report, 15, "dropped").note).toContain("ours tries every path");
    expect(() => parseNginx(nginxConf)).not.toThrow();
  });

  test("unknown directives are kept or commented out, each reported", () => {
    const text = wrap(`        location /files/ {
            mogilefs_tracker 10.0.0.1:7001;  # the tracker
            mogilefs_domain "files";
            mogilefs_future_option on;
            limit_rate 1m;
            root /srv;
            error_page 413 /too-big.html;
            mogilefs_pass {
                proxy_pass $mogilefs_path;
                proxy_set_header X-From gateway;
                expires 1h;
            }
        }
`);
    const { nginxConf, report } = migrateConfig(text);
    const body = locationBody(nginxConf, "location /files/ {");
    expect(body).toContain(
      "            # mogilefs-migrate: not translated, see the report\n            # mogilefs_future_option on;\n",
    );
    expect(body).toContain("            limit_rate 1m;\n");
    expect(body).toContain("            # root /srv;\n");
    expect(body).toContain("            error_page 413 /too-big.html;\n");
    expect(body).toContain(
      [
        '            set $mogilefs_domain "files";',
        "            set $mogilefs_noverify off;",
        "            expires 1h;",
        "            # mogilefs-migrate: not translated (see the report): proxy_set_header X-From gateway;",
        "            include /etc/nginx/mogilefs/location.conf;",
      ].join("\n"),
    );
    expect(body).not.toContain("the tracker");
    expect(entry(report, 8, "not translated").note).toContain("knows");
    expect(entry(report, 9, "kept").note).toContain("not a MogileFS directive");
    expect(entry(report, 10, "not translated").note).toContain("location.conf sets root");
    expect(entry(report, 11, "kept").text).toBe("error_page 413 /too-big.html;");
    expect(entry(report, 14, "not translated").note).toContain("storage-read.conf");
    expect(entry(report, 15, "kept").note).toContain("moved into the location");
  });

  test("includes are kept and reported as not followed; a stream {} block gets stream.conf", () => {
    const text = `include /etc/nginx/modules-enabled/*.conf;
stream {
    server { listen 9000; proxy_pass 10.0.0.5:9000; }
}
http {
    include /etc/nginx/sites-enabled/*;
    server {
        location /files/ {
            mogilefs_tracker 10.0.0.1:7001;
            mogilefs_domain files;
            ${passBlock}
        }
    }
}
`;
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).not.toContain("load_module");
    expect(nginxConf).not.toContain("main.conf");
    expect(nginxConf).toContain(
      "stream {\n    include /etc/nginx/mogilefs/stream.conf;\n    server",
    );
    expect(notes(report, 1)).toContain("no load_module added");
    expect(entry(report, 6, "kept").note).toContain("not followed");
  });

  test("a sites-enabled file (server blocks only) says where the other includes go", () => {
    const text = `server {
    listen 80;
    location /files/ {
        mogilefs_tracker 10.0.0.1:7001;
        mogilefs_domain files;
        mogilefs_pass { proxy_pass $mogilefs_path; }
    }
}
`;
    const { nginxConf, report } = migrateConfig(text);
    expect(nginxConf).toContain("server {\n    include /etc/nginx/mogilefs/server.conf;\n");
    expect(nginxConf).toContain(
      "        set $mogilefs_noverify off;\n        include /etc/nginx/mogilefs/location.conf;\n",
    );
    expect(
      report.some(
        (r) =>
          r.action === "not translated" &&
          r.note.includes("include /etc/nginx/mogilefs/main.conf; to nginx.conf's main context"),
      ),
    ).toBe(true);
  });
});

describe("node build.mjs --migrate", () => {
  test("writes the nginx config, gateway.json and the report, and prints the report", () => {
    const dir = tempDir();
    const input = path.join(dir, "nginx.conf");
    writeFileSync(input, documented);
    const out = path.join(dir, "out");
    const run = spawnSync(
      process.execPath,
      [path.join(root, "build.mjs"), "--migrate", input, "--out", out],
      { encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("nginx.conf:10: dropped: proxy_pass $mogilefs_path;");
    expect(readFileSync(path.join(out, "migration-report.txt"), "utf8")).toBe(run.stdout);
    expect(JSON.parse(readFileSync(path.join(out, "gateway.json"), "utf8"))).toEqual({
      nginxDir: "/etc/nginx/mogilefs",
      trackers: ["192.168.2.2:7001"],
    });
    expect(readFileSync(path.join(out, "nginx.conf"), "utf8")).toBe(
      migrateConfig(documented).nginxConf,
    );
  });

  test("stops with file and line on a syntax error, and never overwrites its input", () => {
    const dir = tempDir();
    const input = path.join(dir, "bad.conf");
    writeFileSync(input, "http {\n  server {\n}\n");
    const bad = spawnSync(process.execPath, [path.join(root, "build.mjs"), "--migrate", input], {
      encoding: "utf8",
      cwd: dir,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      'migrate: bad.conf:4: unexpected end of file: the block of "http" (line 1) is not closed',
    );
    const same = spawnSync(
      process.execPath,
      [path.join(root, "build.mjs"), "--migrate", input, "--out", dir],
      { encoding: "utf8" },
    );
    expect(same.status).toBe(1);
    expect(same.stderr).toContain("would overwrite");
  });
});
