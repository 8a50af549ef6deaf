import { afterAll, beforeAll, it, onTestFailed } from "vitest";
import { type Cluster, type ClusterOptions, isExternal, startCluster } from "./harness";

// For end-to-end suites: one cluster per test file, stopped after it; a failing
// test prints the daemons' logs.
export function useCluster(options: ClusterOptions = {}): () => Cluster {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) {
      throw new Error("cluster not started");
    }
    return cluster;
  };
}

// Call first thing in a test: when it fails, the daemons' log tails are printed.
export function printLogsOnFailure(cluster: () => Cluster): void {
  onTestFailed(() => {
    console.error(`daemon logs for the failed test:\n${cluster().logs()}`);
  });
}

// A test that must stop or pause a daemon, or change the cluster's set-up: skipped
// against an external cluster, with a line saying why.
export function itLocalOnly(
  name: string,
  reason: string,
  fn: () => Promise<void>,
  timeout?: number,
): void {
  if (isExternal()) {
    console.info(`skipped "${name}" in external mode: ${reason}`);
    it.skip(`${name} (local cluster only: ${reason})`, fn);
    return;
  }
  it(name, fn, timeout);
}

// A unique key prefix per suite run, so tests on a shared cluster never collide.
export function uniquePrefix(suite: string): string {
  return `njs-mogilefs-test/${suite}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}/`;
}
