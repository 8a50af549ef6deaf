// The opt-in byte cache (byteCache.enabled): file bytes kept by storage URL, so a
// read already served needs no storage node; an overwrite is a new fid, a new
// URL, and never meets the old bytes.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect } from "vitest";
import { storeFile } from "../cluster/files";
import {
  itLocalOnly,
  printLogsOnFailure,
  uniquePrefix,
  useCluster,
} from "../cluster/vitest-cluster";
import { fetchRaw } from "./gateway";
import { mogilefsLocation, useGateway } from "./suite";

// One storage host: every file of this suite lives on the node the test stops.
const cluster = useCluster({
  trackers: 1,
  storageHosts: 1,
  domains: [{ name: "files", classes: [{ name: "one", mindevcount: 1 }] }],
});
const prefix = uniquePrefix("byte-cache");
const cacheDir = mkdtempSync(join(tmpdir(), "njs-mogilefs-byte-cache-"));

const gateway = useGateway(
  () => ({
    config: {
      byteCache: { enabled: true, path: cacheDir },
      storage: { connectTimeout: "1s", readTimeout: "2s" },
    },
    serverExtra: mogilefsLocation("/files/", {
      domain: cluster().domain,
      methods: "GET HEAD PUT DELETE",
      class: "one",
    }),
  }),
  cluster,
);

afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("byte cache", () => {
  itLocalOnly(
    "serves bytes it has served before with the storage node down, ranges too; an overwrite serves the new bytes",
    "stops a storage node",
    async () => {
      printLogsOnFailure(cluster);
      const c = cluster();
      const g = await gateway();
      const seen = randomBytes(10_000);
      const unseen = randomBytes(5_000);
      await storeFile(c.trackers[0].address, c.domain, `${prefix}seen`, seen, { class: "one" });
      await storeFile(c.trackers[0].address, c.domain, `${prefix}unseen`, unseen, {
        class: "one",
      });
      const url = (key: string) => `${g.url}/files/${prefix}${key}`;
      const first = await fetchRaw(url("seen"));
      expect(first.status).toBe(200);
      expect(first.body.equals(seen)).toBe(true);

      await c.killStorage(0);
      try {
        const again = await fetchRaw(url("seen"));
        expect(again.status).toBe(200);
        expect(again.body.equals(seen)).toBe(true);
        const range = await fetchRaw(url("seen"), { headers: { Range: "bytes=100-199" } });
        expect(range.status).toBe(206);
        expect(range.body.equals(seen.subarray(100, 200))).toBe(true);
        // Bytes never served are not there: the storage node is really down.
        expect((await fetchRaw(url("unseen"))).status).toBeGreaterThanOrEqual(502);
      } finally {
        await c.startStorage(0);
      }

      const replaced = randomBytes(7_000);
      const put = await fetchRaw(url("seen"), { method: "PUT", body: replaced });
      expect(put.status).toBe(201);
      const after = await fetchRaw(url("seen"));
      expect(after.status).toBe(200);
      expect(after.body.equals(replaced)).toBe(true);
    },
    30_000,
  );
});
