// Daemons left behind by a test process that was killed outright.
//
// The harness stops its daemons from afterAll and on process exit, but a vitest
// worker killed with SIGKILL (a timeout, an out-of-memory kill, a closed terminal)
// reaches neither: its MariaDB, trackers and nginx keep running and keep their
// ports and folders. So every daemon is registered in a folder on start, with the
// process that owns it, and unregistered when it ends; a new run first stops the
// daemons whose owner is gone.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// One folder per user on the real /tmp, whatever TMPDIR says: the compatibility
// matrix points TMPDIR elsewhere for each entry, and a sweep must see them all.
export const REGISTRY = join("/tmp", `njs-mogilefs-daemons-${process.getuid?.() ?? "user"}`);

type Entry = { pid: number; start: string; owner: number; ownerStart: string; name: string };

// A process's start time (in clock ticks since boot) tells it from a later
// process that was given the same pid.
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number, start: string): boolean {
  return startTime(pid) === start;
}

export function registerDaemon(pid: number, name: string, registry = REGISTRY): void {
  const start = startTime(pid);
  const ownerStart = startTime(process.pid);
  if (start === null || ownerStart === null) {
    return; // already gone, or no /proc: nothing to sweep later
  }
  mkdirSync(registry, { recursive: true });
  const entry: Entry = { pid, start, owner: process.pid, ownerStart, name };
  writeFileSync(join(registry, `${pid}.json`), JSON.stringify(entry));
}

export function unregisterDaemon(pid: number): void {
  rmSync(join(REGISTRY, `${pid}.json`), { force: true });
}

// Stops every registered daemon whose owner has ended; returns their names.
// SIGCONT first (a paused daemon acts on nothing), then SIGTERM, so MariaDB
// shuts down cleanly; SIGKILL for what is still there after graceMs.
export async function reapOrphans(graceMs = 10_000, registry = REGISTRY): Promise<string[]> {
  let files: string[] = [];
  try {
    files = readdirSync(registry).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  const orphans: Entry[] = [];
  for (const file of files) {
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(join(registry, file), "utf8"));
    } catch {
      rmSync(join(registry, file), { force: true });
      continue;
    }
    if (alive(entry.owner, entry.ownerStart)) {
      continue; // another run, still going
    }
    if (alive(entry.pid, entry.start)) {
      orphans.push(entry);
      for (const signal of ["SIGCONT", "SIGTERM"] as const) {
        try {
          process.kill(entry.pid, signal);
        } catch {
          // gone meanwhile
        }
      }
    }
    rmSync(join(registry, file), { force: true });
  }
  const deadline = Date.now() + graceMs;
  while (orphans.some((o) => alive(o.pid, o.start)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const o of orphans) {
    if (alive(o.pid, o.start)) {
      try {
        process.kill(o.pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  return orphans.map((o) => `${o.name} (pid ${o.pid})`);
}
