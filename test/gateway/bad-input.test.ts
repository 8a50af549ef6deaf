// Bad input: each request gets a clear status, and where the gateway refuses
// it, no tracker hears of it. Every key here carries a marker that is then
// looked for in the trackers' own logs.
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { fetchRaw, type Gateway, startGateway } from "./gateway";
import { gatewayLogsOnFailure, mogilefsLocation } from "./suite";

const cluster = useCluster({ trackers: 2, storageHosts: 2 });
const prefix = uniquePrefix("bad-input");
let gateway: Gateway | undefined;

beforeAll(async () => {
  const c = cluster();
  gateway = await startGateway({
    trackers: c.trackers.map((t) => t.address),
    serverExtra: mogilefsLocation("/files/", { domain: c.domain, methods: "GET HEAD PUT DELETE" }),
  });
});

afterAll(async () => {
  await gateway?.stop();
});

function g(): Gateway {
  const current = gateway as Gateway;
  gatewayLogsOnFailure(cluster, current);
  return current;
}

// What the trackers logged, or null against an external cluster (no logs here).
function trackerLogs(): string | null {
  const c = cluster();
  if (c.external) {
    return null;
  }
  return c.trackers
    .map((_t, i) => readFileSync(join(c.dir as string, `tracker${i + 1}.log`), "latin1"))
    .join("");
}

// Sends a request exactly as written (no client library normalising it). The
// request asks nginx to close; the client must not half-close first, or nginx
// takes it for a client that went away and drops a proxied request.
function raw(request: string): Promise<number> {
  return new Promise((done, fail) => {
    const socket = connect(g().port, "127.0.0.1", () => socket.write(request));
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on("error", fail);
  });
}

describe("keys the gateway refuses before any lookup", () => {
  const marker = `${prefix}refused-`;
  const cases: Array<[string, string, number]> = [
    ["encoded CR", `${marker}a%0Db`, 400],
    ["encoded LF", `${marker}a%0Ab`, 400],
    ["encoded NUL", `${marker}a%00b`, 400],
    ["encoded DEL", `${marker}a%7Fb`, 400],
    ["over 255 bytes", `${marker}${"k".repeat(256)}`, 400],
    ["over 255 bytes of UTF-8", `${marker}${"%C3%A9".repeat(128)}`, 400],
    ["an invalid escape", `${marker}a%zzb`, 400],
    ["a cut escape", `${marker}a%2`, 400],
  ];

  it.each(cases)("%s: %s answers %i", async (_name, path, status) => {
    for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
      const reply = await raw(
        `${method} /files/${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(reply, method).toBe(status);
    }
  });

  it("none of them reached a tracker", async () => {
    const logs = trackerLogs();
    if (logs === null) {
      console.info("skipped the tracker-log check: an external cluster's logs are not here");
      return;
    }
    expect(logs).not.toContain(encodeURIComponent(marker).replace(/%2F/g, "/"));
  });
});

describe("requests nginx itself refuses", () => {
  it("answers 414 to a very long URI and 400 to a very long header", async () => {
    const gw = g();
    expect((await fetchRaw(`${gw.url}/files/${prefix}${"a".repeat(9000)}`)).status).toBe(414);
    const long = await fetchRaw(`${gw.url}/files/${prefix}x`, {
      headers: { "X-Long": "a".repeat(9000) },
    });
    expect(long.status).toBe(400);
  });

  it("answers 400 to a path that climbs above the root", async () => {
    expect(
      await raw("GET /files/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ).toBe(400);
  });
});

describe("methods", () => {
  it.each(["PATCH", "PROPFIND", "OPTIONS", "TRACE", "MKCOL", "POST"])(
    "%s answers 405",
    async (method) => {
      const reply = await fetchRaw(`${g().url}/files/${prefix}x`, { method });
      expect(reply.status).toBe(405);
    },
  );
});

describe("keys nginx normalises or passes as bytes", () => {
  it("serves a/../b and a//b as the keys nginx makes of them (b and a/b)", async () => {
    const gw = g();
    const put = await fetchRaw(`${gw.url}/files/${prefix}norm/b`, {
      method: "PUT",
      body: Buffer.from("b"),
    });
    expect(put.status).toBe(201);
    expect(
      await raw(`GET /files/${prefix}norm/a/../b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    ).toBe(200);
    await fetchRaw(`${gw.url}/files/${prefix}norm/a/b`, { method: "PUT", body: Buffer.from("ab") });
    const merged = await raw(
      `GET /files/${prefix}norm/a//b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(merged).toBe(200);
  });

  it("stores and serves a key that is not valid UTF-8, byte for byte", async () => {
    const gw = g();
    const path = `/files/${prefix}bytes-%FF%FE`;
    expect(
      (await fetchRaw(`${gw.url}${path}`, { method: "PUT", body: Buffer.from("raw bytes") }))
        .status,
    ).toBe(201);
    const reply = await fetchRaw(`${gw.url}${path}`);
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe("raw bytes");
    // The same characters as valid UTF-8 are another key.
    expect((await fetchRaw(`${gw.url}/files/${prefix}bytes-%C3%BF%C3%BE`)).status).toBe(404);
  });
});

describe("Range headers", () => {
  it("passes the storage node's answer to garbage ranges: 416 or the whole file", async () => {
    const gw = g();
    const body = Buffer.from("0123456789abcdefghij");
    expect((await fetchRaw(`${gw.url}/files/${prefix}range`, { method: "PUT", body })).status).toBe(
      201,
    );
    const get = (range: string) =>
      fetchRaw(`${gw.url}/files/${prefix}range`, { headers: { Range: range } });
    expect((await get("bytes=abc")).status).toBe(416);
    expect((await get("bytes=9-2")).status).toBe(416);
    const unit = await get("items=0-5");
    expect(unit.status).toBe(200);
    expect(unit.body.equals(body)).toBe(true);
    const suffix = await get("bytes=-5");
    expect(suffix.status).toBe(206);
    expect(suffix.body.toString()).toBe("fghij");
  });
});
