// Daemons a killed test process left running are stopped by the next run; daemons
// of a run still going, and processes that only reuse a recorded pid, are not.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { reapOrphans, registerDaemon, startTime } from "../cluster/reaper";

const registry = mkdtempSync(join(tmpdir(), "njs-mogilefs-reaper-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) {
    child.kill("SIGKILL");
  }
  rmSync(registry, { recursive: true, force: true });
});

function sleeper(): ChildProcess & { pid: number } {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  children.push(child);
  return child as ChildProcess & { pid: number };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
    } else {
      child.on("exit", () => done());
    }
  });
}

// An entry as a test process that has since been killed would have left it.
function orphanEntry(pid: number, name: string, start = startTime(pid)): void {
  const dead = spawnSync("true").pid as number;
  writeFileSync(
    join(registry, `${pid}.json`),
    JSON.stringify({ pid, start, owner: dead, ownerStart: "1", name }),
  );
}

describe("reapOrphans", () => {
  test("stops a daemon whose owner is gone, and forgets it", async () => {
    const daemon = sleeper();
    orphanEntry(daemon.pid, "test daemon");
    expect(await reapOrphans(2_000, registry)).toEqual([`test daemon (pid ${daemon.pid})`]);
    await exited(daemon);
    expect(daemon.signalCode).toBe("SIGTERM");
    expect(existsSync(join(registry, `${daemon.pid}.json`))).toBe(false);
  });

  test("leaves the daemons of a run that is still going", async () => {
    const daemon = sleeper();
    registerDaemon(daemon.pid, "ours", registry);
    expect(await reapOrphans(2_000, registry)).toEqual([]);
    expect(startTime(daemon.pid)).not.toBeNull();
    expect(readdirSync(registry)).toContain(`${daemon.pid}.json`);
    rmSync(join(registry, `${daemon.pid}.json`));
  });

  test("never signals a process that only reuses a recorded pid", async () => {
    const other = sleeper();
    orphanEntry(other.pid, "recycled pid", "12345");
    expect(await reapOrphans(2_000, registry)).toEqual([]);
    expect(startTime(other.pid)).not.toBeNull();
    expect(existsSync(join(registry, `${other.pid}.json`))).toBe(false);
  });
});
