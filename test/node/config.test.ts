// The gateway configuration: validation that names each bad field, environment
// overrides, and snippets that nginx accepts.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { resolveConfig } from "../../build/config.mjs";
import { migrateConfig } from "../../build/migrate.mjs";
import {
  parseMimeTypes,
  MAX_PATHS as RENDERED_PATHS,
  renderSnippets,
} from "../../build/render.mjs";
import { MAX_PATHS } from "../../src/bridge";

const root = path.resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "njs-mogilefs-config-"));
  dirs.push(dir);
  return dir;
}

describe("resolveConfig", () => {
  test("fills defaults: tracker port 7001, connect 1 s, read 3 s, cache 60 s", () => {
    const { config, problems } = resolveConfig(
      { trackers: ["10.0.0.1", "10.0.0.2:7002"] },
      { outDir: "/x" },
    );
    expect(problems).toEqual([]);
    expect(config.trackers).toEqual(["10.0.0.1:7001", "10.0.0.2:7002"]);
    expect(config.tracker.connectTimeout).toBe("1s");
    expect(config.tracker.readTimeout).toBe("3s");
    expect(config.cache.ttl).toBe("60s");
    expect(config.cache.unknownKeyTtl).toBe("5s");
    expect(config.nginxDir).toBe("/x");
  });

  test("names every bad field", () => {
    const { problems } = resolveConfig({
      trackers: ["10.0.0.1:99999", "bad host"],
      tracker: { readTimeout: "soon", bogus: 1 },
      cache: { zoneSize: "big" },
      colour: "blue",
      locations: [
        { path: "files", methods: ["PATCH"] },
        { path: "/x/", domain: "d", list: "yes" },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "colour: unknown setting",
        "tracker.bogus: unknown setting",
        'trackers[0]: "10.0.0.1:99999" is not host[:port]',
        'trackers[1]: "bad host" is not host[:port]',
        'tracker.readTimeout: must be an nginx time such as "3s" or "500ms"',
        'cache.zoneSize: must be an nginx size such as "10m"',
        'locations[0].path: must be a location prefix starting with "/"',
        'locations[0].domain: required, letters, digits, "_", "." or "-"',
        'locations[0].methods: "PATCH" is not one of GET, HEAD, PUT, DELETE',
        "locations[1].list: must be true or false",
      ]),
    );
  });

  test("checks storage.allow networks, from the file or MOGILEFS_STORAGE_ALLOW", () => {
    expect(
      resolveConfig({ trackers: ["h"], storage: { allow: ["10.0.0.0/8", "127.0.0.2"] } }).problems,
    ).toEqual([]);
    expect(
      resolveConfig({ trackers: ["h"], storage: { allow: ["10.0.0.0/33"] } }).problems,
    ).toEqual(['storage.allow: must be a list of IPv4 networks such as "10.0.0.0/8"']);
    const { config } = resolveConfig(
      { trackers: ["h"] },
      { env: { MOGILEFS_STORAGE_ALLOW: "10.1.0.0/16, 10.2.0.0/16" } },
    );
    expect(config.storage.allow).toEqual(["10.1.0.0/16", "10.2.0.0/16"]);
  });

  test("requires at least one tracker", () => {
    expect(resolveConfig({}).problems).toContain(
      "trackers: at least one tracker, as host[:port] (or MOGILEFS_TRACKERS)",
    );
  });

  test("lets the environment override the file", () => {
    const { config, problems } = resolveConfig(
      { trackers: ["10.0.0.1"] },
      { env: { MOGILEFS_TRACKERS: "10.9.9.9:7001, 10.9.9.8", MOGILEFS_CACHE_TTL: "5m" } },
    );
    expect(problems).toEqual([]);
    expect(config.trackers).toEqual(["10.9.9.9:7001", "10.9.9.8:7001"]);
    expect(config.cache.ttl).toBe("5m");
  });
});

describe("rendered snippets", () => {
  test("carry as many paths as the bridge hands over", () => {
    expect(RENDERED_PATHS).toBe(MAX_PATHS);
  });

  test("map file extensions from nginx's mime.types", () => {
    const pairs = parseMimeTypes(
      "types {\n  text/html  html htm;\n  image/jpeg jpeg jpg; # photos\n}\n",
    );
    expect(pairs).toEqual([
      ["html", "text/html"],
      ["htm", "text/html"],
      ["jpeg", "image/jpeg"],
      ["jpg", "image/jpeg"],
    ]);
  });

  test("leave no placeholder unfilled", () => {
    const { config } = resolveConfig({
      trackers: ["127.0.0.1"],
      locations: [{ path: "/f/", domain: "d" }],
    });
    const files = renderSnippets(config, {
      templatesDir: path.join(root, "nginx"),
      mimeTypesText: "types { text/plain txt; }",
    });
    for (const [name, text] of Object.entries(files)) {
      expect(text, name).not.toMatch(/\{\{/);
    }
    expect(Object.keys(files).sort()).toEqual([
      "http.conf",
      "location.conf",
      "locations.conf",
      "main.conf",
      "server.conf",
      "storage-read.conf",
      "stream.conf",
    ]);
  });

  test("turn the lookup cache off with cache.enabled false, and only then", () => {
    const render = (cache: object) => {
      const { config, problems } = resolveConfig({ trackers: ["127.0.0.1"], cache });
      expect(problems).toEqual([]);
      return renderSnippets(config, {
        templatesDir: path.join(root, "nginx"),
        mimeTypesText: "types { text/plain txt; }",
      })["server.conf"];
    };
    expect(render({})).toMatch(/^\s*proxy_cache mogilefs_paths;$/m);
    expect(render({ enabled: false })).toMatch(/^\s*proxy_cache off;$/m);
    expect(resolveConfig({ trackers: ["127.0.0.1"], cache: { enabled: "no" } }).problems).toEqual([
      "cache.enabled: must be true or false",
    ]);
  });

  test("cache file bytes by storage URL only with byteCache.enabled", () => {
    const render = (byteCache: object) => {
      const { config, problems } = resolveConfig({ trackers: ["127.0.0.1"], byteCache });
      expect(problems).toEqual([]);
      return renderSnippets(config, {
        templatesDir: path.join(root, "nginx"),
        mimeTypesText: "types { text/plain txt; }",
      });
    };
    const off = render({});
    expect(off["storage-read.conf"]).toMatch(/^proxy_cache off;$/m);
    expect(off["http.conf"]).not.toMatch(/mogilefs_bytes/);
    const on = render({ enabled: true, path: "/tmp/bytes", maxSize: "2g" });
    expect(on["storage-read.conf"]).toMatch(/^proxy_cache mogilefs_bytes;$/m);
    expect(on["http.conf"]).toContain(
      "proxy_cache_path /tmp/bytes levels=1:2 keys_zone=mogilefs_bytes:10m max_size=2g inactive=60m",
    );
    expect(on["location.conf"]).toMatch(/^proxy_cache_key \$mogilefs_path1;$/m);
    expect(on["server.conf"]).toMatch(/^\s*proxy_cache_key \$mogilefs_path2;$/m);
    expect(
      resolveConfig({ trackers: ["127.0.0.1"], byteCache: { enabled: 1, maxSize: "lots" } })
        .problems,
    ).toEqual([
      'byteCache.maxSize: must be an nginx size such as "10m"',
      "byteCache.enabled: must be true or false",
    ]);
  });

  test("render status, health and counting only as status says", () => {
    const render = (status: object) => {
      const { config, problems } = resolveConfig({
        trackers: ["127.0.0.1", "10.0.0.2:7002"],
        status,
      });
      expect(problems).toEqual([]);
      return renderSnippets(config, {
        templatesDir: path.join(root, "nginx"),
        mimeTypesText: "types { text/plain txt; }",
      });
    };
    const filters = (files: Record<string, string>) =>
      Object.values(files)
        .join("\n")
        .match(/^\s*js_header_filter mogilefs\.count;$/gm) ?? [];
    const off = render({});
    expect(off["server.conf"]).not.toMatch(/mogilefs\.(status|health)/);
    expect(off["http.conf"]).not.toMatch(/js_shared_dict_zone/);
    expect(filters(off)).toEqual([]);

    // Status without counters (njs before 0.8.0): the locations, no zone, no filter.
    const plain = render({ enabled: true, counters: false, allow: ["10.0.0.0/8"] });
    expect(plain["server.conf"]).toMatch(/^location = \/_mogilefs\/status \{$/m);
    expect(plain["server.conf"]).toMatch(/^location = \/_mogilefs\/health \{$/m);
    expect(plain["server.conf"]).toMatch(/^\s*allow 10\.0\.0\.0\/8;\n\s*deny all;$/m);
    expect(plain["server.conf"]).toContain(
      'set $mogilefs_tracker_list "127.0.0.1:7001 10.0.0.2:7002";',
    );
    expect(plain["server.conf"]).toMatch(/mogilefs-tracker-2\.sock:\/noop;/);
    expect(plain["http.conf"]).not.toMatch(/js_shared_dict_zone/);
    expect(filters(plain)).toEqual([]);

    // Counters: the zone, and the filter wherever an answer can leave: the
    // client's location, each failover path, and the failure handler.
    const counting = render({ enabled: true, counters: true, zoneSize: "2m" });
    expect(counting["http.conf"]).toMatch(
      /^js_shared_dict_zone zone=mogilefs_metrics:2m type=number;$/m,
    );
    expect(counting["location.conf"]).toMatch(/^js_header_filter mogilefs\.count;$/m);
    expect(filters(counting)).toHaveLength(1 + MAX_PATHS + 1);
    // "auto" is resolved by build.mjs; unresolved, nothing counts.
    expect(filters(render({ enabled: true, counters: "auto" }))).toEqual([]);
  });

  test("name each bad status setting", () => {
    const problems = resolveConfig({
      trackers: ["127.0.0.1"],
      status: {
        enabled: "yes",
        counters: "maybe",
        path: "status",
        healthPath: "/h;",
        allow: ["127.0.0.1", "everyone"],
        timeout: "soon",
        zoneSize: "big",
        colour: "red",
      },
    }).problems;
    expect(problems).toEqual([
      "status.colour: unknown setting",
      'status.timeout: must be an nginx time such as "3s" or "500ms"',
      'status.zoneSize: must be an nginx size such as "1m"',
      "status.enabled: must be true or false",
      'status.counters: must be true, false or "auto"',
      'status.path: must be a path such as "/_mogilefs/status"',
      'status.healthPath: must be a path such as "/_mogilefs/status"',
      'status.allow: must be a list of addresses or networks, such as "127.0.0.1" or "10.0.0.0/8", or "all"',
    ]);
  });

  test("of the documented example pass nginx -t", () => {
    const dir = tempDir();
    const out = path.join(dir, "mogilefs");
    mkdirSync(path.join(dir, "run"));
    // The example's own folders, moved into a private one for the test.
    const build = spawnSync(
      process.execPath,
      [
        path.join(root, "build.mjs"),
        "--config",
        path.join(root, "nginx/examples/gateway.json"),
        "--out",
        out,
      ],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          MOGILEFS_RUNTIME_DIR: path.join(dir, "run"),
          MOGILEFS_CACHE_PATH: path.join(dir, "cache"),
        },
      },
    );
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    // nginxDir in the example is /etc/nginx/mogilefs: point it at the test's copy.
    for (const name of [
      "main.conf",
      "stream.conf",
      "http.conf",
      "server.conf",
      "location.conf",
      "locations.conf",
    ]) {
      const file = path.join(out, name);
      writeFileSync(file, readFileSync(file, "utf8").replaceAll("/etc/nginx/mogilefs", out));
    }
    const conf = readFileSync(path.join(root, "nginx/examples/nginx.conf"), "utf8")
      .replaceAll("/etc/nginx/mogilefs", out)
      .replace("events {", `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {`)
      .replace("listen 80;", "listen 127.0.0.1:1;")
      .replace(
        "include /etc/nginx/mime.types;",
        "include /etc/nginx/mime.types;\n    access_log off;",
      )
      .replace(
        "http {",
        `http {\n    access_log ${dir}/access.log;\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;`,
      );
    writeFileSync(path.join(dir, "nginx.conf"), conf);
    const check = spawnSync("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")], {
      encoding: "utf8",
    });
    expect(check.stderr).toContain("test is successful");
    expect(check.status).toBe(0);
  });

  test("of the documented example are the ones README.md shows", () => {
    const example = readFileSync(path.join(root, "nginx/examples/nginx.conf"), "utf8");
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const body = example.split("\n").slice(2).join("\n");
    expect(readme).toContain(body);
  });

  test("names each bad setting when build.mjs renders a bad config", () => {
    const dir = tempDir();
    const config = path.join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ trackers: ["x y"], cache: { ttl: 5 } }));
    const result = spawnSync(
      process.execPath,
      [path.join(root, "build.mjs"), "--config", config, "--out", dir],
      {
        encoding: "utf8",
        env: { ...process.env, MOGILEFS_TRACKERS: "" },
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('trackers[0]: "x y" is not host[:port]');
    expect(result.stderr).toContain('cache.ttl: must be an nginx time such as "3s" or "500ms"');
  });
});

describe("README.md", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const blocks = (lang: string) =>
    [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]);

  test("shows the example configuration exactly as nginx/examples/gateway.json holds it", () => {
    const example = readFileSync(path.join(root, "nginx/examples/gateway.json"), "utf8");
    expect(blocks("json")).toContain(example);
    for (const block of blocks("json")) {
      expect(resolveConfig(JSON.parse(block)).problems).toEqual([]);
    }
  });

  // Snippets rendered into a private folder that also stands in for /etc/nginx/mogilefs.
  function snippetsDir(config: Record<string, unknown> = { trackers: ["127.0.0.1"] }): string {
    const dir = tempDir();
    const { config: resolved, problems } = resolveConfig({
      ...config,
      runtimeDir: dir,
      cache: { path: `${dir}/cache` },
    });
    expect(problems).toEqual([]);
    resolved.nginxDir = dir;
    const files = renderSnippets(resolved, {
      templatesDir: path.join(root, "nginx"),
      mimeTypesText: "types { text/plain txt; }",
    });
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), text);
    }
    writeFileSync(path.join(dir, "mogilefs.js"), readFileSync(path.join(root, "dist/mogilefs.js")));
    return dir;
  }

  function nginxAccepts(dir: string, conf: string, what: string): void {
    writeFileSync(path.join(dir, "nginx.conf"), conf.replaceAll("/etc/nginx/mogilefs", dir));
    const check = spawnSync("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")], {
      encoding: "utf8",
    });
    expect(check.stderr, what).toContain("test is successful");
  }

  function mainContext(dir: string): string {
    return [
      "load_module /usr/lib/nginx/modules/ngx_http_js_module.so;",
      "load_module /usr/lib/nginx/modules/ngx_stream_module.so;",
      "load_module /usr/lib/nginx/modules/ngx_stream_js_module.so;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      "events {}",
      "",
    ].join("\n");
  }

  test("has nginx blocks that nginx accepts with the snippets (C module ones once migrated)", () => {
    const nginxBlocks = blocks("nginx");
    expect(nginxBlocks.length).toBeGreaterThanOrEqual(4);
    for (const block of nginxBlocks) {
      if (block.includes("load_module")) {
        // The complete example: pinned to nginx/examples/nginx.conf and checked above.
        continue;
      }
      if (/^\s*mogilefs_(pass|tracker)\b/m.test(block)) {
        // A C module config: what the migration tool makes of it must load.
        const input = `events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n${block}\n  }\n}\n`;
        const migrated = migrateConfig(input, { modulesDir: "/usr/lib/nginx/modules" });
        expect(migrated.configProblems, block).toEqual([]);
        const dir = snippetsDir(migrated.config);
        const conf = migrated.nginxConf
          .replace(/^events \{\}/m, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}`)
          .replace(/http \{/, `http {\n  access_log ${dir}/access.log;`);
        nginxAccepts(dir, conf, `migrated:\n${conf}`);
        continue;
      }
      const dir = snippetsDir();
      const server = block.trimStart().startsWith("location")
        ? `  server { listen 127.0.0.1:1; include ${dir}/server.conf;\n${block}\n  }`
        : `${block}\n  server { listen 127.0.0.1:1; include ${dir}/server.conf; }`;
      nginxAccepts(
        dir,
        `${mainContext(dir)}include ${dir}/main.conf;\nhttp {\n  access_log ${dir}/access.log;\n  include ${dir}/http.conf;\n${server}\n}\n`,
        block,
      );
    }
  });
});
