// The build's promise: what nginx loads is one njs-safe module, and source that the
// njs 0.7.9 engine would refuse stops the build with the construct, file and line.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { nginxFeatures } from "../../build/features.mjs";
import { findModuleLevelObjectsInText, findUnsupportedInText } from "../../build/njs-subset.mjs";

const root = path.resolve(import.meta.dirname, "../..");

describe("njs subset check", () => {
  const rejected: Array<[string, string]> = [
    ["class A {}", "class"],
    ["const f = class {};", "class"],
    ["const { a } = o;", "destructuring"],
    ["const [a] = o;", "destructuring"],
    ["let a, b; [a, b] = o;", "destructuring assignment"],
    ["f(...xs);", "spread (...)"],
    ["const o2 = { ...o };", "spread (...)"],
    ["function f(a = 1) {}", "default parameter"],
    ["for (const x of xs) {}", "for..of"],
    ["o?.a;", "optional chaining (?.)"],
    ["o?.[k];", "optional chaining (?.)"],
    ["f?.();", "optional chaining (?.)"],
    ["try {} catch {}", "optional catch binding"],
    ["function* g() { yield 1; }", "generator function"],
    ["tag`x`;", "tagged template"],
    ["new Map();", "Map"],
    ["const s = new Set();", "Set"],
    ["new WeakMap();", "WeakMap"],
    ["Array.from(xs);", "Array.from"],
    ["Object.fromEntries(xs);", "Object.fromEntries"],
    ["s.replaceAll('a', 'b');", ".replaceAll()"],
    ["xs.flat();", ".flat()"],
    ["/a/u.test(s);", 'regular expression flag "u"'],
    ["/a.b/s.test(s);", 'regular expression flag "s"'],
    ["function F() { return new.target; }", "new.target"],
    ["async function f() { return String(await g()); }", "await inside a call's arguments"],
    ["async function f() { return h([1 + (await g())]); }", "await inside a call's arguments"],
    ["async function f() { return new E(await g()); }", "await inside a call's arguments"],
  ];

  test.each(rejected)("rejects %s as %s", (code, construct) => {
    const problems = findUnsupportedInText(code, "src/x.ts");
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^src\/x\.ts:1:\d+: /);
    expect(problems[0]).toContain(`${construct}`);
    expect(problems[0]).toContain("not supported by the njs 0.7.9 engine");
  });

  const accepted = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text holding a template literal
    "const f = async (a: number) => { await g(a); return `${a}`; };",
    "let o = { a: 1, Map: 2 }; o.Map = 3;",
    "type T = Map<string, string>;",
    "function f(...args: number[]) { return args.length; }",
    "const x = a ?? b;",
    "for (const k in o) {}",
    "try { f(); } catch (e) { g(e); }",
    "const m = /(?<name>x)/gimy.exec(s);",
    "'ab'.includes('a') && [1].find((x) => x > 0);",
    "async function f() { const v = await g(); return String(v); }",
    "async function f() { return (await g()) + 1; }",
    "async function f() { h(async () => { await g(); }); }",
  ];

  test.each(accepted)("accepts %s", (code) => {
    expect(findUnsupportedInText(code, "src/x.ts")).toEqual([]);
  });

  test("reports the line and column of the construct", () => {
    const problems = findUnsupportedInText("const a = 1;\n\n  for (const x of a) {}\n", "src/y.ts");
    expect(problems).toEqual(["src/y.ts:3:3: for..of is not supported by the njs 0.7.9 engine"]);
  });
});

describe("module-level objects in src/", () => {
  test.each([
    ["const TABLE = { a: 1 };", "TABLE"],
    ["export const LIST = [1, 2];", "LIST"],
    ["const RE = /x+/;", "RE"],
    ["let when = new Date();", "when"],
    ["const T = { a: 1 } as const;", "T"],
  ])("rejects %s", (code, name) => {
    const problems = findModuleLevelObjectsInText(code, "src/x.ts");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^src/x\\.ts:1:\\d+: module-level object ${name}: it makes every request's njs VM dearer`,
      ),
    );
  });

  test("accepts numbers, strings, functions, objects built inside functions, and the default export", () => {
    const code = [
      "const MAX = 4;",
      'const NAME = "x";',
      "function table() { return { a: 1 }; }",
      "const f = () => [1];",
      "export default { table, f };",
    ].join("\n");
    expect(findModuleLevelObjectsInText(code, "src/x.ts")).toEqual([]);
  });
});

describe("node build.mjs", () => {
  const copies: string[] = [];
  afterAll(() => {
    for (const dir of copies) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A private copy of everything the build reads, so a test can break the source.
  function projectCopy(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "njs-mogilefs-build-"));
    copies.push(dir);
    for (const part of [
      "build.mjs",
      "build",
      "src",
      "nginx",
      "test/unit",
      "test/njs",
      "tsconfig.json",
    ]) {
      cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
    }
    symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    return dir;
  }

  function build(dir: string, args: string[] = []) {
    return spawnSync(process.execPath, [path.join(dir, "build.mjs"), ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  }

  test("writes one module that ends in a single `export default`", () => {
    const dir = projectCopy();
    const result = build(dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const code = readFileSync(path.join(dir, "dist/mogilefs.js"), "utf8");
    expect(code).toMatch(/\nexport default [A-Za-z_$][\w$]*;\n$/);
    expect(code.match(/\bexport\b/g)).toHaveLength(1);
  });

  test('resolves status.counters "auto" by asking this host\'s nginx, and says what it chose', () => {
    const dir = projectCopy();
    const out = path.join(dir, "conf");
    const config = path.join(dir, "gateway.json");
    writeFileSync(
      config,
      JSON.stringify({
        trackers: ["127.0.0.1:7001"],
        runtimeDir: out,
        cache: { path: path.join(dir, "cache") },
        status: { enabled: true },
      }),
    );
    const result = build(dir, ["--config", config, "--out", out]);
    expect(result.status, result.stderr).toBe(0);
    const has = nginxFeatures()?.sharedDict === true;
    expect(result.stdout).toContain(`build: status.counters auto: ${has ? "on" : "off"}: `);
    const http = readFileSync(path.join(out, "http.conf"), "utf8");
    expect(/^js_shared_dict_zone /m.test(http)).toBe(has);
    expect(readFileSync(path.join(out, "server.conf"), "utf8")).toContain(
      "js_content mogilefs.health;",
    );
  });

  test("stops on a class in src/, naming file, line and construct", () => {
    const dir = projectCopy();
    writeFileSync(path.join(dir, "src/extra.ts"), "// added\nexport class Tracker {}\n");
    const result = build(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "src/extra.ts:2:1: class is not supported by the njs 0.7.9 engine",
    );
  });

  test("stops on a for..of in src/", () => {
    const dir = projectCopy();
    writeFileSync(
      path.join(dir, "src/extra.ts"),
      "export function sum(xs: number[]): number {\n  let n = 0;\n  for (const x of xs) {\n    n += x;\n  }\n  return n;\n}\n",
    );
    const result = build(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("src/extra.ts:3:3: for..of is not supported");
  });

  test("stops on Map, which the engine lacks, through the types and the subset check", () => {
    const dir = projectCopy();
    writeFileSync(path.join(dir, "src/extra.ts"), "export const seen = new Map();\n");
    const result = build(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("src/extra.ts:1:25: Map is not supported");
    expect(result.stderr).toContain("src/extra.ts:1:25: Cannot find name 'Map'");
  });

  test("stops on a type error in src/", () => {
    const dir = projectCopy();
    writeFileSync(path.join(dir, "src/extra.ts"), "export const n: number = 'text';\n");
    const result = build(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/src\/extra\.ts:1:14: Type 'string' is not assignable/);
  });

  test("writes to --out and refuses a --config that is not a JSON object", () => {
    const dir = projectCopy();
    const out = path.join(dir, "elsewhere");
    expect(build(dir, ["--out", out]).status).toBe(0);
    expect(readFileSync(path.join(out, "mogilefs.js"), "utf8")).toContain("export default");

    const config = path.join(dir, "gateway.json");
    writeFileSync(config, "{ not json");
    const bad = build(dir, ["--config", config]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${config}: not valid JSON`);

    writeFileSync(config, "[]");
    expect(build(dir, ["--config", config]).stderr).toContain("must be a JSON object");
    expect(build(dir, ["--config", path.join(dir, "missing.json")]).stderr).toContain(
      "cannot read --config",
    );
  });

  test("names an unknown option and prints the usage", () => {
    const result = build(projectCopy(), ["--bogus"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--bogus");
    expect(result.stderr).toContain("usage: node build.mjs");
  });
});
