import { resolve } from "node:path";
import { type Cluster, type ClusterOptions, startCluster } from "./harness";

// The local cluster `npm start` runs: 2 trackers, 2 storage hosts, domain `files`
// whose default class and class `two` both keep 2 copies. State lives in
// .mogilefs/ so files survive a restart. Ctrl-C stops every daemon.

export type LocalClusterOptions = Partial<
  Pick<ClusterOptions, "trackers" | "storageHosts" | "stateDir">
> & {
  // Where progress and addresses are printed; console.log unless given.
  print?: (line: string) => void;
};

export async function runLocalCluster(options: LocalClusterOptions = {}): Promise<Cluster> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stateDir = resolve(options.stateDir ?? ".mogilefs");
  print(`Starting the local MogileFS cluster (state in ${stateDir}) ...`);
  const cluster = await startCluster({
    trackers: options.trackers ?? 2,
    storageHosts: options.storageHosts ?? 2,
    stateDir,
    domains: [
      {
        name: "files",
        // The default class is what plain uploads (no class) get; the original's
        // implicit default also keeps 2 copies, stored here so it is visible.
        classes: [
          { name: "default", mindevcount: 2 },
          { name: "two", mindevcount: 2 },
        ],
      },
    ],
  });
  print("MogileFS cluster ready:");
  for (const tracker of cluster.trackers) {
    print(`  tracker       ${tracker.address}`);
  }
  for (const node of cluster.storage) {
    print(
      `  storage node  http://${node.ip}:${node.port}/  (${node.hostname}, devices ${node.devids.join(", ")})`,
    );
  }
  if (cluster.db) {
    print(
      `  database      ${cluster.db.database} on ${cluster.db.socketPath} and ${cluster.db.host}:${cluster.db.port}`,
    );
  }
  print(`  domain        files (classes: default and two, 2 copies each)`);
  print(`  daemon logs   ${cluster.dir}/*.log, ${cluster.dir}/storage*/error.log`);
  return cluster;
}
