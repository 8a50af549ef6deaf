import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrackerConnection, trackerCommand } from "./client";
import { eventually, http, pathsFor, storeFile } from "./files";
import { printLogsOnFailure, uniquePrefix, useCluster } from "./vitest-cluster";

// The life of a file on a cluster of two trackers (one database) and two storage
// hosts: upload, replication to a second host, reads through either tracker,
// overwrite and delete removing the bytes from storage.

const cluster = useCluster({
  trackers: 2,
  storageHosts: 2,
  domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
});
const prefix = uniquePrefix("files");
const created: string[] = [];
let t1: string;
let t2: string;
let domain: string;

beforeAll(() => {
  t1 = cluster().trackers[0].address;
  t2 = cluster().trackers[cluster().trackers.length - 1].address;
  domain = cluster().domain;
});

afterAll(async () => {
  for (const key of created) {
    await trackerCommand(t1, "delete", { domain, key }).catch(() => undefined);
  }
});

function key(name: string): string {
  const k = prefix + name;
  created.push(k);
  return k;
}

const hostOf = (url: string) => new URL(url).host;

describe("replication", () => {
  it("copies a file to a second device on the other host within seconds", async () => {
    printLogsOnFailure(cluster);
    const k = key("replicated");
    const stored = await storeFile(t1, domain, k, "two copies please", { class: "two" });
    const paths = await eventually(
      "two paths",
      () => pathsFor(t1, domain, k),
      (p) => p.length === 2,
      10_000,
    );
    expect(paths).toContain(stored.path);
    expect(new Set(paths.map(hostOf)).size).toBe(2);
    for (const path of paths) {
      const got = await http("GET", path);
      expect(got.status).toBe(200);
      expect(got.body.toString()).toBe("two copies please");
    }
    const info = await trackerCommand(t1, "file_info", { domain, key: k, devices: "1" });
    expect(info).toMatchObject({ kind: "ok", args: { devcount: "2" } });
  });

  it("gives the default class two copies as well", async () => {
    const k = key("default-class");
    await storeFile(t1, domain, k, "default");
    const paths = await eventually(
      "two paths",
      () => pathsFor(t2, domain, k),
      (p) => p.length === 2,
      10_000,
    );
    expect(new Set(paths.map(hostOf)).size).toBe(2);
  });

  it("serves a byte range of a replica", async () => {
    const k = key("range");
    const stored = await storeFile(t1, domain, k, "0123456789");
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      import("node:http").then(({ get }) =>
        get(stored.path, { headers: { range: "bytes=2-4" } }, (r) => {
          let body = "";
          r.on("data", (c) => {
            body += c;
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        }).on("error", reject),
      );
    });
    expect(res).toEqual({ status: 206, body: "234" });
  });
});

describe("two trackers on one database", () => {
  it("lets one tracker read, rename and delete what the other stored", async () => {
    printLogsOnFailure(cluster);
    const k = key("shared");
    const stored = await storeFile(t1, domain, k, "shared");
    expect(await pathsFor(t2, domain, k)).toContain(stored.path);
    const renamed = key("shared-renamed");
    expect(
      await trackerCommand(t2, "rename", { domain, from_key: k, to_key: renamed }),
    ).toMatchObject({ kind: "ok" });
    expect(await trackerCommand(t1, "get_paths", { domain, key: k, noverify: "1" })).toMatchObject({
      kind: "err",
      code: "unknown_key",
    });
    expect(await trackerCommand(t2, "delete", { domain, key: renamed })).toMatchObject({
      kind: "ok",
    });
    expect(await trackerCommand(t1, "file_info", { domain, key: renamed })).toMatchObject({
      kind: "err",
      code: "unknown_key",
    });
  });
});

describe("delete and overwrite", () => {
  it("removes a deleted file from every storage node", async () => {
    printLogsOnFailure(cluster);
    const k = key("deleted");
    await storeFile(t1, domain, k, "soon gone");
    const paths = await eventually(
      "two paths",
      () => pathsFor(t1, domain, k),
      (p) => p.length === 2,
      10_000,
    );
    expect(await trackerCommand(t2, "delete", { domain, key: k })).toMatchObject({ kind: "ok" });
    await eventually(
      "every replica gone from storage",
      () => Promise.all(paths.map((p) => http("HEAD", p).then((r) => r.status))),
      (statuses) => statuses.every((s) => s === 404),
      10_000,
    );
  });

  it("deletes the old fid's bytes after an overwrite and serves the new content", async () => {
    const k = key("overwritten");
    const first = await storeFile(t1, domain, k, "first version");
    const oldPaths = await eventually(
      "two paths",
      () => pathsFor(t1, domain, k),
      (p) => p.length === 2,
      10_000,
    );
    const second = await storeFile(t2, domain, k, "second, longer version");
    expect(second.fid).not.toBe(first.fid);
    await eventually(
      "the old fid gone from storage",
      () => Promise.all(oldPaths.map((p) => http("HEAD", p).then((r) => r.status))),
      (statuses) => statuses.every((s) => s === 404),
      10_000,
    );
    const info = await trackerCommand(t1, "file_info", { domain, key: k });
    expect(info).toMatchObject({ kind: "ok", args: { fid: second.fid, length: "22" } });
    const [path] = await pathsFor(t1, domain, k);
    expect((await http("GET", path)).body.toString()).toBe("second, longer version");
  });
});

describe("100 concurrent uploads", () => {
  it("stores every file through create_open, HTTP PUT and create_close, each with its own content", async () => {
    printLogsOnFailure(cluster);
    const trackers = cluster().trackers.map((t) => t.address);
    const connections = await Promise.all(
      Array.from({ length: 20 }, (_x, i) =>
        TrackerConnection.connect(trackers[i % trackers.length]),
      ),
    );
    try {
      const keys = Array.from({ length: 100 }, (_x, i) =>
        key(`bulk/${String(i).padStart(3, "0")}`),
      );
      const bodies = keys.map((k, i) => Buffer.from(`${k}\n${"x".repeat(i * 37)}`));
      const stored = await Promise.all(
        keys.map((k, i) =>
          storeFile(connections[i % 20].address, domain, k, bodies[i], {
            connection: connections[i % 20],
          }),
        ),
      );
      expect(new Set(stored.map((s) => s.fid)).size).toBe(100);
      await Promise.all(
        keys.map(async (k, i) => {
          const paths = await pathsFor(trackers[(i + 1) % trackers.length], domain, k);
          expect(paths.length).toBeGreaterThanOrEqual(1);
          expect((await http("GET", paths[0])).body.equals(bodies[i])).toBe(true);
        }),
      );
      const listed = await trackerCommand(t1, "list_keys", { domain, prefix: `${prefix}bulk/` });
      expect(listed).toMatchObject({ kind: "ok", args: { key_count: "100" } });
      // Every one of them reaches its second copy too.
      await eventually(
        "all 100 files on two devices",
        () => Promise.all(keys.map((k) => pathsFor(t1, domain, k).then((p) => p.length))),
        (counts) => counts.every((n) => n === 2),
        30_000,
      );
    } finally {
      for (const c of connections) {
        c.close();
      }
    }
  });
});
