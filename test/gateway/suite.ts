// What every end-to-end suite sets up the same way: the locations an operator
// writes, one gateway per test file, and the logs a failing test prints.
import { afterAll, onTestFailed } from "vitest";
import type { Cluster } from "../cluster/harness";
import { printLogsOnFailure } from "../cluster/vitest-cluster";
import { type Gateway, type GatewayOptions, startGateway } from "./gateway";

// A location as an operator writes it: `set $mogilefs_<name> "<value>";` for each
// setting, the location's own directives, then the include.
export function mogilefsLocation(
  path: string,
  settings: { [name: string]: string },
  directives: string[] = [],
): string {
  const lines = [`    location ${path} {`];
  for (const [name, value] of Object.entries(settings)) {
    lines.push(`      set $mogilefs_${name} "${value}";`);
  }
  for (const directive of directives) {
    lines.push(`      ${directive}`);
  }
  lines.push("      include conf/location.conf;", "    }");
  return `\n${lines.join("\n")}`;
}

// One gateway for a test file, started on first use (after the cluster is up)
// and stopped after the file's last test.
export function useGateway(
  options: () => Omit<GatewayOptions, "trackers"> & { trackers?: string[] },
  cluster: () => Cluster,
): () => Promise<Gateway> {
  let started: Promise<Gateway> | undefined;
  afterAll(async () => {
    await (await started)?.stop();
  });
  return () => {
    started ??= startGateway({
      trackers: cluster().trackers.map((t) => t.address),
      ...options(),
    });
    return started;
  };
}

// Call first thing in a test: when it fails, the daemons' log tails and the
// gateway's error log (and `more`, such as the access log) are printed.
export function gatewayLogsOnFailure(
  cluster: () => Cluster,
  gateway: Gateway,
  more: () => string = () => "",
): void {
  printLogsOnFailure(cluster);
  onTestFailed(() => {
    console.error(`gateway error log:\n${gateway.errorLog()}${more()}`);
  });
}
