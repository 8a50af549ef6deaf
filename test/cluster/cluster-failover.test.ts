import { afterAll, beforeAll, describe, expect } from "vitest";
import { expectOk, trackerCommand } from "./client";
import { eventually, http, pathsFor, storeFile } from "./files";
import { itLocalOnly, printLogsOnFailure, uniquePrefix, useCluster } from "./vitest-cluster";

// What happens when daemons go away: a dead storage node leaves get_paths, a dead
// tracker leaves the other one working, abandoned uploads are reaped. Every test
// here stops a daemon or changes devices, so none runs against an external cluster.

const cluster = useCluster({
  trackers: 2,
  storageHosts: 2,
  // Tempfiles older than 2 s are reaped, so the reaper can be seen at work.
  trackerArgs: ["--tempfile-max-age", "2"],
});
const prefix = uniquePrefix("failover");
let t1: string;
let t2: string;
let domain: string;

beforeAll(() => {
  t1 = cluster().trackers[0]?.address;
  t2 = cluster().trackers[1]?.address;
  domain = cluster().domain;
});

afterAll(async () => {
  if (!cluster().external) {
    const listed = await trackerCommand(t1, "list_keys", { domain, prefix }).catch(() => undefined);
    if (listed?.kind === "ok") {
      for (let i = 1; i <= Number(listed.args.key_count); i++) {
        await trackerCommand(t1, "delete", { domain, key: listed.args[`key_${i}`] });
      }
    }
  }
});

const hostOf = (url: string) => new URL(url).host;

describe("a storage node going down", () => {
  itLocalOnly(
    "drops out of get_paths within seconds and comes back when restarted",
    "it stops a storage node",
    async () => {
      printLogsOnFailure(cluster);
      const key = `${prefix}survivor`;
      await storeFile(t1, domain, key, "still here");
      const both = await eventually(
        "two paths",
        () => pathsFor(t1, domain, key),
        (p) => p.length === 2,
        10_000,
      );
      const victim = cluster().storage[0];
      const victimHost = `${victim.ip}:${victim.port}`;
      expect(both.map(hostOf)).toContain(victimHost);

      const killedAt = Date.now();
      await cluster().killStorage(0);
      for (const tracker of [t1, t2]) {
        const left = await eventually(
          `get_paths on ${tracker} without ${victimHost}`,
          () => pathsFor(tracker, domain, key),
          (p) => p.length === 1 && hostOf(p[0]) !== victimHost,
          5_000,
        );
        expect((await http("GET", left[0])).body.toString()).toBe("still here");
      }
      expect(Date.now() - killedAt).toBeLessThan(5_000);

      // Uploads go on to the surviving node meanwhile.
      const during = `${prefix}during-outage`;
      const stored = await storeFile(t2, domain, during, "written while one node was down");
      expect(hostOf(stored.path)).not.toBe(victimHost);

      await cluster().startStorage(0);
      await eventually(
        "both paths back",
        () => pathsFor(t1, domain, key),
        (p) => p.length === 2,
        10_000,
      );
      // The file written during the outage reaches the returned node too.
      const caughtUp = await eventually(
        "the outage upload replicated",
        () => pathsFor(t1, domain, during),
        (p) => p.length === 2,
        20_000,
      );
      expect(caughtUp.map(hostOf)).toContain(victimHost);
    },
    60_000,
  );
});

describe("a tracker going down", () => {
  itLocalOnly(
    "leaves the other tracker answering, and restarts on the same database",
    "it stops a tracker",
    async () => {
      printLogsOnFailure(cluster);
      const key = `${prefix}tracker-down`;
      await storeFile(t1, domain, key, "tracked");
      await cluster().killTracker(0);
      await expect(trackerCommand(t1, "noop")).rejects.toThrow();
      expect((await pathsFor(t2, domain, key)).length).toBeGreaterThanOrEqual(1);
      const other = `${prefix}while-t1-down`;
      await storeFile(t2, domain, other, "via the second tracker");
      await cluster().startTracker(0);
      expect((await pathsFor(t1, domain, other)).length).toBeGreaterThanOrEqual(1);
    },
    60_000,
  );
});

describe("abandoned uploads", () => {
  itLocalOnly(
    "reaps an old tempfile: its close fails and its bytes are deleted",
    "it needs trackers started with a 2 s tempfile age",
    async () => {
      printLogsOnFailure(cluster);
      const key = `${prefix}abandoned`;
      const opened = await expectOk(t1, "create_open", { domain, key });
      expect((await http("PUT", opened.path, Buffer.from("orphan"))).status).toBe(201);
      await eventually(
        "the orphan deleted from storage",
        () => http("HEAD", opened.path),
        (r) => r.status === 404,
        15_000,
      );
      const close = await trackerCommand(t1, "create_close", {
        domain,
        key,
        fid: opened.fid,
        devid: opened.devid,
        path: opened.path,
        size: "6",
      });
      expect(close).toMatchObject({ kind: "err", code: "no_temp_file" });
    },
    30_000,
  );
});

describe("device states", () => {
  itLocalOnly(
    "create_open answers no_devices while no device takes new files",
    "it sets every device readonly",
    async () => {
      printLogsOnFailure(cluster);
      const storage = cluster().storage;
      const setAll = async (state: string) => {
        for (const host of storage) {
          for (const devid of host.devids) {
            await expectOk(t1, "set_state", { host: host.hostname, device: String(devid), state });
          }
        }
      };
      await setAll("readonly");
      try {
        const answer = await trackerCommand(t1, "create_open", { domain, key: `${prefix}nowhere` });
        expect(answer).toMatchObject({
          kind: "err",
          code: "no_devices",
          message: "No devices found to store file",
        });
      } finally {
        await setAll("alive");
      }
      await eventually(
        "devices writeable again",
        () => trackerCommand(t1, "create_open", { domain, key: `${prefix}somewhere` }),
        (a) => a.kind === "ok",
        5_000,
      );
    },
  );
});

describe("admin commands, as mogadm sends them", () => {
  itLocalOnly(
    "manages domains and classes",
    "it creates and deletes domains and classes",
    async () => {
      printLogsOnFailure(cluster);
      const d = `admin-${Date.now().toString(36)}`;
      expect(await trackerCommand(t1, "create_domain", { domain: d })).toMatchObject({
        kind: "ok",
        args: { domain: d },
      });
      expect(await trackerCommand(t1, "create_domain", { domain: d })).toMatchObject({
        kind: "err",
        code: "domain_exists",
        message: "That domain already exists",
      });
      expect(
        await trackerCommand(t1, "create_class", { domain: d, class: "c3", mindevcount: "3" }),
      ).toMatchObject({
        kind: "ok",
        args: { class: "c3", mindevcount: "3", domain: d },
      });
      expect(
        await trackerCommand(t1, "create_class", { domain: d, class: "c3", mindevcount: "3" }),
      ).toMatchObject({
        kind: "err",
        code: "class_exists",
      });
      expect(
        await trackerCommand(t1, "create_class", { domain: d, class: "c0", mindevcount: "0" }),
      ).toMatchObject({
        kind: "err",
        code: "invalid_mindevcount",
      });
      expect(
        await trackerCommand(t1, "update_class", { domain: d, class: "nope", mindevcount: "1" }),
      ).toMatchObject({
        kind: "err",
        code: "class_not_found",
      });
      expect(
        await trackerCommand(t1, "update_class", {
          domain: d,
          class: "default",
          mindevcount: "1",
          replpolicy: "MultipleHosts()",
        }),
      ).toMatchObject({ kind: "ok" });
      const domains = await expectOk(t2, "get_domains");
      const n = Object.keys(domains).find(
        (k) => /^domain\d+$/.test(k) && domains[k] === d,
      ) as string;
      const classes = Array.from({ length: Number(domains[`${n}classes`]) }, (_x, i) => ({
        name: domains[`${n}class${i + 1}name`],
        mindevcount: domains[`${n}class${i + 1}mindevcount`],
        replpolicy: domains[`${n}class${i + 1}replpolicy`],
        hashtype: domains[`${n}class${i + 1}hashtype`],
      }));
      expect(classes).toEqual(
        expect.arrayContaining([
          { name: "default", mindevcount: "1", replpolicy: "MultipleHosts()", hashtype: "NONE" },
          { name: "c3", mindevcount: "3", replpolicy: "MultipleHosts()", hashtype: "NONE" },
        ]),
      );
      expect(await trackerCommand(t1, "delete_domain", { domain: d })).toMatchObject({
        kind: "err",
        code: "domain_has_classes",
      });
      expect(
        await trackerCommand(t1, "delete_class", { domain: d, class: "default" }),
      ).toMatchObject({
        kind: "err",
        code: "nodel_default_class",
      });
      expect(await trackerCommand(t1, "delete_class", { domain: d, class: "c3" })).toMatchObject({
        kind: "ok",
      });
      expect(await trackerCommand(t1, "delete_domain", { domain: d })).toMatchObject({
        kind: "ok",
      });
      expect(await trackerCommand(t1, "delete_domain", { domain: d })).toMatchObject({
        kind: "err",
        code: "domain_not_found",
      });
      expect(await trackerCommand(t1, "delete_domain", { domain })).toMatchObject({
        kind: "err",
        code: "domain_has_files",
      });
    },
  );

  itLocalOnly("manages hosts and devices", "it adds a host and a dead device", async () => {
    printLogsOnFailure(cluster);
    const host = `spare-${Date.now().toString(36)}`;
    expect(await trackerCommand(t1, "create_host", { host, ip: "127.0.0.99" })).toMatchObject({
      code: "no_port",
    });
    const created = await expectOk(t1, "create_host", { host, ip: "127.0.0.99", port: "7500" });
    expect(created.hostname).toBe(host);
    expect(
      await trackerCommand(t1, "create_host", { host, ip: "127.0.0.98", port: "1" }),
    ).toMatchObject({
      code: "host_exists",
    });
    expect(await trackerCommand(t1, "update_host", { host, status: "bogus" })).toMatchObject({
      code: "unknown_state",
    });
    const hosts = await expectOk(t2, "get_hosts", { hostid: created.hostid });
    expect(hosts).toMatchObject({
      hosts: "1",
      host1_hostname: host,
      host1_hostip: "127.0.0.99",
      host1_http_port: "7500",
      host1_status: "down",
    });
    expect(
      await trackerCommand(t1, "create_device", { hostname: host, devid: "99" }),
    ).toMatchObject({ kind: "ok" });
    expect(
      await trackerCommand(t1, "create_device", { hostname: host, devid: "99" }),
    ).toMatchObject({
      code: "existing_devid",
    });
    expect(
      await trackerCommand(t1, "create_device", { hostname: "nosuchhost", devid: "98" }),
    ).toMatchObject({
      code: "unknown_host",
    });
    expect(
      await trackerCommand(t1, "set_weight", { host, device: "99", weight: "50" }),
    ).toMatchObject({ kind: "ok" });
    expect(
      await trackerCommand(t1, "set_state", { host: "storage1", device: "99", state: "dead" }),
    ).toMatchObject({
      code: "host_mismatch",
    });
    expect(
      await trackerCommand(t1, "set_state", { host, device: "999", state: "dead" }),
    ).toMatchObject({
      code: "no_device",
    });
    expect(
      await trackerCommand(t1, "set_state", { host, device: "99", state: "dead" }),
    ).toMatchObject({ kind: "ok" });
    expect(
      await trackerCommand(t1, "set_state", { host, device: "99", state: "alive" }),
    ).toMatchObject({
      code: "state_too_high",
    });
    const devices = await expectOk(t2, "get_devices", { devid: "99" });
    expect(devices).toMatchObject({
      devices: "1",
      dev1_devid: "99",
      dev1_hostid: created.hostid,
      dev1_status: "dead",
      dev1_weight: "50",
    });
    expect(await trackerCommand(t1, "delete_host", { host })).toMatchObject({
      code: "host_not_empty",
    });
    expect(await trackerCommand(t1, "delete_host", { host: "nosuchhost" })).toMatchObject({
      code: "unknown_host",
    });
  });
});
