#!/usr/bin/env node
// `npm test`: build, lint, type-check, then every suite in Node (vitest) and the
// unit tests again in the njs engine. Ends with `tests: N passed, N failed`, counted
// from the runners' own reports; skipped tests are listed apart, never as passed.
//
//   npm test                  everything
//   npm test -- test/unit     only the vitest files matching a filter (njs runs too)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = path.join(root, "test-results");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

const tally = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(title, command, args, env = {}) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(result.stdout || "");
  if (result.error) {
    console.log(`${command}: ${result.error.message}`);
  }
  return { ok: result.status === 0, stdout: result.stdout || "" };
}

// A stage that is not a test runner (build, lint, types) counts as one test, so a
// broken build can never end in `0 failed`.
function gate(title, command, args) {
  const { ok } = step(title, command, args);
  if (ok) {
    tally.passed++;
  } else {
    tally.failed++;
    failures.push(title);
  }
  return ok;
}

function vitest(filters) {
  const report = path.join(results, "vitest.json");
  rmSync(report, { force: true });
  step(
    "vitest (Node: unit and end-to-end suites)",
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...filters],
    { NJS_MOGILEFS_BUILT: "1" },
  );
  if (!existsSync(report)) {
    tally.failed++;
    failures.push("vitest wrote no report");
    return;
  }
  const json = JSON.parse(readFileSync(report, "utf8"));
  tally.passed += json.numPassedTests;
  tally.failed += json.numFailedTests;
  tally.skipped += json.numPendingTests + json.numTodoTests;
  for (const file of json.testResults) {
    // A file that fails to load has no test results at all, and one whose
    // beforeAll failed reports its tests as skipped: count the file as failed.
    if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) {
      tally.failed++;
      failures.push(
        `${path.relative(root, file.name)}: ${(file.message || "the file failed outside its tests").split("\n")[0]}`,
      );
    }
    for (const test of file.assertionResults) {
      if (test.status === "failed") {
        failures.push(`${path.relative(root, file.name)}: ${test.fullName}`);
      }
    }
  }
}

function njsUnit() {
  const { stdout } = step("njs engine: unit tests", "njs", ["dist/test/njs-unit.js"]);
  const summary = /^njs-unit: (\d+) passed, (\d+) failed$/m.exec(stdout);
  if (!summary) {
    tally.failed++;
    failures.push("njs unit runner printed no summary");
    return;
  }
  tally.passed += Number(summary[1]);
  tally.failed += Number(summary[2]);
  for (const line of stdout.split("\n").filter((l) => l.startsWith("FAIL "))) {
    failures.push(`njs: ${line.slice(5)}`);
  }
}

function njsModule() {
  const { stdout } = step("njs engine: dist/mogilefs.js imports", "njs", [
    "-p",
    "dist",
    "test/njs/load-module.js",
  ]);
  if (/^njs-module: ok /m.test(stdout)) {
    tally.passed++;
  } else {
    tally.failed++;
    failures.push("dist/mogilefs.js does not import in the njs engine");
  }
}

function main() {
  mkdirSync(results, { recursive: true });
  const filters = process.argv.slice(2);
  if (gate("build", process.execPath, ["build.mjs"])) {
    gate("lint and format (biome)", bin("biome"), ["check", "--error-on-warnings", "."]);
    gate("types (Node side)", bin("tsc"), ["-p", "tsconfig.node.json", "--noEmit"]);
    vitest(filters);
    njsUnit();
    njsModule();
  }
  console.log("");
  for (const failure of failures) {
    console.log(`failed: ${failure}`);
  }
  if (tally.skipped > 0) {
    console.log(`skipped: ${tally.skipped} (not counted as passed)`);
  }
  console.log(`tests: ${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed > 0 ? 1 : 0);
}

main();
