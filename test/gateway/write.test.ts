// PUT and DELETE through the gateway against the local cluster (or an external
// one): a 201 means the file is stored and registered, nothing else does.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { trackerCommand } from "../cluster/client";
import type { DbConfig } from "../cluster/mariadb";
import { itLocalOnly, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { fetchRaw, type Gateway } from "./gateway";
import { gatewayLogsOnFailure, mogilefsLocation, useGateway } from "./suite";

const cluster = useCluster({
  trackers: 2,
  storageHosts: 2,
  domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
});
const prefix = uniquePrefix("write");

const gateway = useGateway(
  () => ({
    config: {
      storage: { connectTimeout: "1s", readTimeout: "2s" },
      tracker: { readTimeout: "2s", failTimeout: "1s" },
    },
    serverExtra: [
      mogilefsLocation("/files/", { domain: cluster().domain, methods: "GET HEAD PUT DELETE" }, [
        "client_max_body_size 0;",
      ]),
      mogilefsLocation("/readonly/", { domain: cluster().domain }),
      mogilefsLocation("/small/", { domain: cluster().domain, methods: "get put" }, [
        "client_max_body_size 1k;",
      ]),
      mogilefsLocation("/classy/", {
        domain: cluster().domain,
        methods: "GET PUT",
        class: "njs-mogilefs-no-such-class",
      }),
    ].join(""),
  }),
  cluster,
);

async function logsOnFailure(): Promise<Gateway> {
  const g = await gateway();
  gatewayLogsOnFailure(cluster, g);
  return g;
}

function url(g: Gateway, key: string, location = "files"): string {
  return `${g.url}/${location}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function put(g: Gateway, key: string, body: Buffer, headers: Record<string, string> = {}) {
  return fetchRaw(url(g, key), { method: "PUT", body, headers, timeoutMs: 120_000 });
}

async function tempfileRows(key: string): Promise<number> {
  const db = await mysql.createConnection({ ...(cluster().db as DbConfig) });
  try {
    const [rows] = await db.query("SELECT COUNT(*) AS n FROM tempfile WHERE dkey = ?", [key]);
    return Number((rows as Array<{ n: number }>)[0].n);
  } finally {
    await db.end();
  }
}

describe("PUT", () => {
  for (const [name, size] of [
    ["empty", 0],
    ["one byte", 1],
    ["4 KiB", 4096],
    ["1 MiB", 1024 * 1024],
    ["100 MiB", 100 * 1024 * 1024],
  ] as const) {
    it(`stores a ${name} body that reads back identical`, async () => {
      const g = await logsOnFailure();
      const key = `${prefix}size/${size}.bin`;
      const body = randomBytes(size);
      const stored = await put(g, key, body);
      expect(stored.status).toBe(201);
      expect(stored.body.toString()).toBe("Created\n");
      const read = await fetchRaw(url(g, key), { timeoutMs: 120_000 });
      expect(read.status).toBe(200);
      expect(read.body.length).toBe(size);
      expect(sha(read.body)).toBe(sha(body));
      // The tracker knows it with the right length.
      const info = await trackerCommand(cluster().trackers[0].address, "file_info", {
        domain: cluster().domain,
        key,
      });
      expect(info.kind === "ok" && info.args.length).toBe(String(size));
    });
  }

  it("stores a chunked upload with the size the body turned out to have", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}chunked.bin`;
    const body = randomBytes(300_000);
    const status = await new Promise<number>((done, fail) => {
      const req = request(url(g, key), { method: "PUT" }, (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0));
      });
      req.on("error", fail);
      // Several writes without Content-Length: Node sends them chunked.
      for (let i = 0; i < body.length; i += 65_536) {
        req.write(body.subarray(i, i + 65_536));
      }
      req.end();
    });
    expect(status).toBe(201);
    expect(sha((await fetchRaw(url(g, key))).body)).toBe(sha(body));
  });

  it("serves the new content right after an overwrite", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}overwrite.txt`;
    for (const version of ["first", "second", "third"]) {
      expect((await put(g, key, Buffer.from(version))).status).toBe(201);
      const read = await fetchRaw(url(g, key));
      expect(read.body.toString()).toBe(version);
    }
  });

  it("ends concurrent PUTs of one key with one of the bodies whole", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}race.bin`;
    const bodies = [0, 1, 2, 3, 4, 5].map(() => randomBytes(200_000));
    const results = await Promise.all(bodies.map((body) => put(g, key, body)));
    expect(results.map((r) => r.status)).toEqual(bodies.map(() => 201));
    const read = await fetchRaw(url(g, key));
    expect(bodies.map(sha)).toContain(sha(read.body));
  });

  it("stores keys with & = + % space and unicode", async () => {
    const g = await logsOnFailure();
    for (const name of ["a&b=c", "plus+sign", "100%", "with space", "ключ-鍵"]) {
      const key = `${prefix}hostile/${name}`;
      expect((await put(g, key, Buffer.from(name))).status, name).toBe(201);
      expect((await fetchRaw(url(g, key))).body.toString(), name).toBe(name);
      const paths = await trackerCommand(cluster().trackers[0].address, "get_paths", {
        domain: cluster().domain,
        key,
        noverify: "1",
      });
      expect(paths.kind, name).toBe("ok");
    }
  });

  it("checks Content-MD5: a match is stored, a mismatch is refused and not stored", async () => {
    const g = await logsOnFailure();
    const body = Buffer.from("checked content");
    const md5 = createHash("md5").update(body).digest("base64");
    expect((await put(g, `${prefix}md5-good`, body, { "Content-MD5": md5 })).status).toBe(201);
    const wrong = createHash("md5").update("other").digest("base64");
    const refused = await put(g, `${prefix}md5-bad`, body, { "Content-MD5": wrong });
    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toBe("Bad Request: the body does not match Content-MD5\n");
    expect((await fetchRaw(url(g, `${prefix}md5-bad`))).status).toBe(404);
    const malformed = await put(g, `${prefix}md5-malformed`, body, { "Content-MD5": "nope" });
    expect(malformed.status).toBe(400);
  });

  it("refuses PUT on a read-only location with 405 and Allow", async () => {
    const g = await logsOnFailure();
    const reply = await put(g, `${prefix}nope`, Buffer.from("x")).then(() =>
      fetchRaw(url(g, `${prefix}nope`, "readonly"), { method: "PUT", body: Buffer.from("x") }),
    );
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
    const del = await fetchRaw(url(g, `${prefix}nope`, "readonly"), { method: "DELETE" });
    expect(del.status).toBe(405);
  });

  it("answers 400 for a class the tracker does not know", async () => {
    const g = await logsOnFailure();
    const reply = await fetchRaw(url(g, `${prefix}classy`, "classy"), {
      method: "PUT",
      body: Buffer.from("x"),
    });
    expect(reply.status).toBe(400);
    expect(reply.body.toString()).toBe("Bad Request: unknown class\n");
  });

  itLocalOnly(
    "answers 413 over client_max_body_size without asking a tracker",
    "reads the database",
    async () => {
      const g = await logsOnFailure();
      const key = `${prefix}too-big`;
      const framings: Array<Record<string, string>> = [{}, { "Transfer-Encoding": "chunked" }];
      for (const headers of framings) {
        const reply = await fetchRaw(url(g, key, "small"), {
          method: "PUT",
          body: randomBytes(4096),
          headers,
        });
        expect(reply.status).toBe(413);
      }
      expect(await tempfileRows(key)).toBe(0);
    },
  );

  itLocalOnly(
    "asks no tracker when the client aborts mid-upload",
    "reads the database",
    async () => {
      const g = await logsOnFailure();
      const key = `${prefix}aborted`;
      await new Promise<void>((done) => {
        const req = request(url(g, key), {
          method: "PUT",
          headers: { "Content-Length": "100000" },
        });
        req.on("error", () => done());
        req.write(randomBytes(1000));
        setTimeout(() => {
          req.destroy();
          done();
        }, 300);
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(await tempfileRows(key)).toBe(0);
      expect((await fetchRaw(url(g, key))).status).toBe(404);
    },
  );

  itLocalOnly(
    "stores through the other storage node when one is down",
    "stops a storage node",
    async () => {
      const g = await logsOnFailure();
      const c = cluster();
      await c.killStorage(0);
      try {
        for (let i = 0; i < 4; i++) {
          const key = `${prefix}one-node-down-${i}`;
          const body = randomBytes(50_000);
          expect((await put(g, key, body)).status).toBe(201);
          expect(sha((await fetchRaw(url(g, key))).body)).toBe(sha(body));
        }
      } finally {
        await c.startStorage(0);
      }
    },
  );

  itLocalOnly(
    "answers 502 and registers nothing when no storage node takes the file",
    "pauses storage nodes",
    async () => {
      const g = await logsOnFailure();
      const c = cluster();
      const key = `${prefix}nowhere`;
      c.pauseStorage(0);
      c.pauseStorage(1);
      let reply: Awaited<ReturnType<typeof put>>;
      try {
        reply = await put(g, key, randomBytes(10_000));
      } finally {
        await c.resumeStorage(0);
        await c.resumeStorage(1);
      }
      expect(reply.status).toBe(502);
      expect(reply.body.toString()).toBe("Bad Gateway: no storage node accepted the file\n");
      expect(g.errorLog()).toContain("every destination failed");
      const paths = await trackerCommand(c.trackers[0].address, "get_paths", {
        domain: c.domain,
        key,
        noverify: "1",
      });
      expect(paths.kind === "err" && paths.code).toBe("unknown_key");
    },
  );
});

describe("tracker failover for writes", () => {
  itLocalOnly(
    "never repeats a write command on the other tracker after a timeout",
    "pauses a tracker",
    async () => {
      const g = await logsOnFailure();
      const c = cluster();
      c.pauseTracker(0);
      const statuses: number[] = [];
      try {
        // nginx takes the trackers in turn: some create_open calls go to the hung one.
        for (let i = 0; i < 4; i++) {
          const key = `${prefix}tracker-hung-${i}`;
          const reply = await put(g, key, Buffer.from(key));
          statuses.push(reply.status);
          if (reply.status === 201) {
            expect((await fetchRaw(url(g, key))).body.toString()).toBe(key);
          }
        }
      } finally {
        c.resumeTracker(0);
        // nginx skips a failed tracker for tracker.failTimeout (1 s here).
        await new Promise((r) => setTimeout(r, 1200));
      }
      // A timed-out create_open or create_close is answered 504, not sent again elsewhere.
      expect(statuses).toContain(504);
      expect(statuses.every((s) => s === 201 || s === 504)).toBe(true);
      expect(g.errorLog()).toMatch(/mogilefs: create_(open|close): tracker timeout/);
    },
  );
});

describe("DELETE", () => {
  it("deletes a key: 204, then GET answers 404", async () => {
    const g = await logsOnFailure();
    const key = `${prefix}deleted.txt`;
    expect((await put(g, key, Buffer.from("short-lived"))).status).toBe(201);
    expect((await fetchRaw(url(g, key))).status).toBe(200);
    const del = await fetchRaw(url(g, key), { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await fetchRaw(url(g, key))).status).toBe(404);
  });

  it("answers 404 for an unknown key", async () => {
    const g = await logsOnFailure();
    const del = await fetchRaw(url(g, `${prefix}never-there`), { method: "DELETE" });
    expect(del.status).toBe(404);
    expect(del.body.toString()).toBe("Not Found\n");
  });
});

describe("storage nodes see no client header", () => {
  itLocalOnly(
    "PUT forwards neither cookies nor credentials",
    "reads storage nodes' logs",
    async () => {
      const g = await logsOnFailure();
      const key = `${prefix}headers`;
      const reply = await put(g, key, Buffer.from("x"), {
        Cookie: "session=secret",
        Authorization: "Basic c2VjcmV0",
      });
      expect(reply.status).toBe(201);
      const logs = storageAccessLogs();
      expect(logs).toMatch(/"PUT \/dev\d+\/\S+\.fid HTTP\/1\.1" 20\d/);
      expect(logs).not.toContain("secret");
      expect(logs).not.toContain("c2VjcmV0");
    },
  );
});

function storageAccessLogs(): string {
  const c = cluster();
  return c.storage
    .map((_node, i) => {
      try {
        return readFileSync(join(c.dir as string, `storage${i + 1}`, "access.log"), "utf8");
      } catch {
        return "";
      }
    })
    .join("\n");
}
