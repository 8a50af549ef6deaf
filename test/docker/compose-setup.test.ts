// The compose demo's one-shot setup (docker/compose-setup.mjs) against the local
// tracker: it registers hosts, devices, a domain and a class, and a second run
// (every `docker compose up`) finds them there and succeeds.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { trackerCommand } from "../cluster/client";
import { itLocalOnly, printLogsOnFailure, useCluster } from "../cluster/vitest-cluster";
import { root } from "./entrypoint";

const cluster = useCluster({ trackers: 1, storageHosts: 1, domains: [{ name: "files" }] });

function setup(): { status: number | null; out: string } {
  const run = spawnSync(
    "node",
    [
      join(root, "docker", "compose-setup.mjs"),
      `--tracker=${cluster().trackers[0].address}`,
      "--domain=demo",
      "--class=two:2",
      // Nothing listens there: the tracker takes the host all the same.
      "--host=demo1=127.0.0.9:7599:91,92",
    ],
    { encoding: "utf8" },
  );
  return { status: run.status, out: run.stdout + run.stderr };
}

itLocalOnly(
  "registers hosts, devices, domain and class, and runs again without harm",
  "it adds a host, devices and a domain to the cluster",
  async () => {
    printLogsOnFailure(cluster);
    const first = setup();
    expect(first.out).toContain('setup: create_host {"host":"demo1"');
    expect(first.out).not.toContain("already there");
    expect(first.status).toBe(0);
    const again = setup();
    expect(again.out.match(/already there/g)).toHaveLength(5);
    expect(again.status).toBe(0);

    const tracker = cluster().trackers[0].address;
    const domains = await trackerCommand(tracker, "get_domains", {});
    expect(domains.kind).toBe("ok");
    const args = domains.kind === "ok" ? domains.args : {};
    const index = Object.keys(args).find((k) => /^domain\d+$/.test(k) && args[k] === "demo");
    expect(index).toBeDefined();
    const classes = Object.keys(args)
      .filter((k) => k.startsWith(`${index}class`) && k.endsWith("name"))
      .map((k) => args[k]);
    expect(classes).toContain("two");
    const devices = await trackerCommand(tracker, "get_devices", {});
    const devids =
      devices.kind === "ok"
        ? Object.keys(devices.args)
            .filter((k) => /^dev\d+_devid$/.test(k))
            .map((k) => devices.args[k])
        : [];
    expect(devids).toEqual(expect.arrayContaining(["91", "92"]));
  },
);
