#!/usr/bin/env node
// Builds the njs module and the files around it.
//
//   node build.mjs [--config FILE] [--out DIR]
//   node build.mjs --migrate nginx.conf [--out DIR]   (from nginx_mogilefs_module)
//
// dist/mogilefs.js       the module nginx loads (js_import), one `export default {...}`
// dist/test/njs-unit.js  the unit tests bundled for the njs command-line engine
// dist/cluster/*.mjs     the local MogileFS cluster (tracker, npm start), for Node
// dist/docker/render-env.js  the container's renderer, for the njs command-line engine
// DIR/*.conf             with --config (or MOGILEFS_TRACKERS): the nginx snippets
//
// The build stops, naming file and line, on a type error or on any construct the
// njs 0.7.9 engine lacks (see build/njs-subset.mjs).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { resolveConfig } from "./build/config.mjs";
import { resolveStatusCounters } from "./build/features.mjs";
import { runMigrate } from "./build/migrate.mjs";
import { bundleForNjsCli } from "./build/njs-cli.mjs";
import { findModuleLevelObjectsInText, findUnsupportedInText } from "./build/njs-subset.mjs";
import { renderSnippets } from "./build/render.mjs";
import { typecheck } from "./build/typecheck.mjs";

const root = path.dirname(fileURLToPath(import.meta.url));

const usage = `usage: node build.mjs [--config FILE] [--out DIR]
       node build.mjs --migrate NGINX_CONF [--out DIR]

  --config FILE  gateway configuration (JSON) to render snippets from
  --out DIR      where to write the module and snippets (default: dist)
  --migrate FILE convert an nginx config of the C nginx_mogilefs_module: writes the
                 nginx config, gateway.json and migration-report.txt in --out
                 (default: migrated)`;

function fail(lines) {
  for (const line of [].concat(lines)) {
    console.error(line);
  }
  process.exit(1);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        config: { type: "string" },
        out: { type: "string" },
        migrate: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    return values;
  } catch (e) {
    fail([`build: ${e.message}`, usage]);
  }
}

// The snippets, when there is a configuration to render them from.
function writeSnippets(given, source, out) {
  const { config, problems } = resolveConfig(given, { outDir: out, env: process.env });
  let mimeTypesText = "";
  if (config) {
    try {
      mimeTypesText = readFileSync(config.mimeTypes, "utf8");
    } catch (e) {
      problems.push(`mimeTypes: cannot read ${config.mimeTypes}: ${e.code || e.message}`);
    }
  }
  if (problems.length > 0) {
    fail([
      `build: ${source}: ${problems.length} bad setting(s):`,
      ...problems.map((p) => `  ${p}`),
    ]);
  }
  const chose = resolveStatusCounters(config);
  if (chose !== null) {
    console.log(`build: ${chose}`);
  }
  const files = renderSnippets(config, { templatesDir: path.join(root, "nginx"), mimeTypesText });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(out, name), text);
  }
  return Object.keys(files);
}

function readConfig(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    fail(`build: cannot read --config ${file}: ${e.code || e.message}`);
  }
  try {
    const config = JSON.parse(text);
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      fail(`build: ${file}: the configuration must be a JSON object`);
    }
    return config;
  } catch (e) {
    fail(`build: ${file}: not valid JSON: ${e.message}`);
  }
}

function tsFiles(dir) {
  return readdirSync(path.join(root, dir))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => path.join(dir, name));
}

function checkSubset(files) {
  const problems = [];
  for (const file of files) {
    problems.push(...findUnsupportedInText(readFileSync(path.join(root, file), "utf8"), file));
  }
  return problems;
}

// esbuild ends an ES module with `export { name as default };`, which the njs
// engine refuses: it accepts only `export default <expression>;`.
function njsDefaultExport(code, file) {
  const match = /\nexport\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+default\s*\};?\s*$/.exec(code);
  if (!match || /\bexport\b/.test(code.slice(0, match.index).replace(/\/\/.*$/gm, ""))) {
    fail(`build: ${file}: expected exactly one default export and nothing else exported`);
  }
  return `${code.slice(0, match.index)}\nexport default ${match[1]};\n`;
}

// Every test/unit/*.test.ts, registered with the shim and then run, as one script
// for the njs command-line engine.
function njsUnitEntry() {
  const imports = tsFiles("test/unit").map((file) => `import "./${file}";`);
  return [`import { run } from "./test/njs/vitest-shim";`, ...imports, "run();", ""].join("\n");
}

async function bundleForNjs(entry, outfile, format, extra) {
  const result = await esbuild.build({
    entryPoints: entry ? [path.join(root, entry)] : undefined,
    bundle: true,
    write: false,
    format,
    // ES2017 keeps async/await, arrow functions and template literals, which the
    // engine has, and makes esbuild lower nothing behind our back.
    target: "es2017",
    platform: "neutral",
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
    ...extra,
  });
  let code = result.outputFiles[0].text;
  if (format === "esm") {
    code = njsDefaultExport(code, entry || outfile);
  }
  // What esbuild emitted (helpers included) must pass the same check as the source.
  const problems = findUnsupportedInText(code, path.relative(root, outfile));
  if (problems.length > 0) {
    fail(["build: the bundle holds constructs the njs engine lacks:", ...problems]);
  }
  mkdirSync(path.dirname(outfile), { recursive: true });
  writeFileSync(outfile, code);
}

async function bundleForNode(entry, outfile) {
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    outfile,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "warning",
  });
}

async function main() {
  const opts = options();
  if (opts.migrate !== undefined) {
    process.exit(runMigrate(opts.migrate, { out: opts.out }));
  }
  const out = path.resolve(opts.out || path.join(root, "dist"));
  const given = opts.config ? readConfig(opts.config) : null;

  const njsSources = [...tsFiles("src"), ...tsFiles("test/unit"), ...tsFiles("test/njs")];
  const problems = [
    ...typecheck(root, "tsconfig.json"),
    ...checkSubset(njsSources),
    ...tsFiles("src").flatMap((file) =>
      findModuleLevelObjectsInText(readFileSync(path.join(root, file), "utf8"), file),
    ),
  ];
  if (problems.length > 0) {
    fail([`build: ${problems.length} problem(s):`, ...problems]);
  }

  await bundleForNjs("src/main.ts", path.join(out, "mogilefs.js"), "esm", {});
  await bundleForNjs(null, path.join(out, "test", "njs-unit.js"), "iife", {
    stdin: { contents: njsUnitEntry(), resolveDir: root, loader: "ts", sourcefile: "njs-unit.ts" },
    alias: { vitest: path.join(root, "test/njs/vitest-shim.ts") },
  });

  const nodeEntries = [
    ["test/cluster/tracker/main.ts", "cluster/tracker.mjs"],
    ["test/cluster/run.ts", "cluster/start.mjs"],
    ["test/cluster/upload.ts", "cluster/upload.mjs"],
    ["test/support/start.ts", "start.mjs"],
    ["bench/bench.ts", "bench.mjs"],
  ];
  for (const [entry, target] of nodeEntries) {
    if (existsSync(path.join(root, entry))) {
      await bundleForNode(entry, path.join(out, target));
    }
  }
  if (existsSync(path.join(root, "docker/render-env.mjs"))) {
    const renderer = path.join(out, "docker", "render-env.js");
    const cliProblems = await bundleForNjsCli(root, "docker/render-env.mjs", renderer);
    if (cliProblems.length > 0) {
      fail([
        "build: the container's renderer holds constructs the njs engine lacks:",
        ...cliProblems,
      ]);
    }
  }
  const written = ["mogilefs.js"];
  if (given !== null || process.env.MOGILEFS_TRACKERS) {
    written.push(...writeSnippets(given ?? {}, opts.config ?? "environment", out));
  }
  console.log(`build: wrote ${written.join(", ")} in ${path.relative(process.cwd(), out) || "."}`);
}

main().catch((e) => fail(`build: ${e.message}`));
