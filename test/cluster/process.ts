import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { registerDaemon, unregisterDaemon } from "./reaper";

// A daemon the cluster started: its output goes to a log file so a failed test can
// print what the daemon said, and stop() waits until the process is really gone.
export type Daemon = {
  name: string;
  logPath: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
};

const running = new Set<Daemon>();

export function spawnDaemon(
  name: string,
  command: string,
  args: string[],
  logPath: string,
): Daemon {
  const fd = openSync(logPath, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  // Known to the next run, should this process be killed before it stops them.
  const pid = child.pid;
  if (pid !== undefined) {
    registerDaemon(pid, name);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.on("error", () => resolve(-1));
  });
  const daemon: Daemon = {
    name,
    logPath,
    child,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000) {
      running.delete(daemon);
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      // A paused (SIGSTOPped) daemon only acts on the signal once it runs again.
      child.kill("SIGCONT");
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(daemon);
  exited.then(() => {
    running.delete(daemon);
    if (pid !== undefined) {
      unregisterDaemon(pid);
    }
  });
  return daemon;
}

// Last resort when the process exits without stop(): no daemon may outlive it.
// SIGTERM, not SIGKILL, so MariaDB still shuts down cleanly after we are gone.
export function killAllDaemonsNow(): void {
  for (const daemon of running) {
    try {
      daemon.child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  running.clear();
}

export function logTail(path: string, lines = 60): string {
  try {
    const text = readFileSync(path, "utf8").split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Signals a process and its children: SIGSTOP on an nginx master alone would
// leave its workers serving. Used to make a daemon hang (SIGSTOP) and recover
// (SIGCONT) without losing its sockets.
export function signalWithChildren(pid: number, signal: NodeJS.Signals): void {
  let children: number[] = [];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when there are no children
  }
  process.kill(pid, signal);
  for (const child of children) {
    process.kill(child, signal);
  }
}
