import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openedFileOf } from "../../src/protocol";
import { expectOk, TrackerConnection, trackerCommand } from "./client";
import { http, storeFile } from "./files";
import { printLogsOnFailure, uniquePrefix, useCluster } from "./vitest-cluster";

// Every command and error code of the protocol table, checked byte for byte where
// mogilefs-protocol.md records the original tracker's answer line.

const cluster = useCluster({ trackers: 1, storageHosts: 2 });
const prefix = uniquePrefix("protocol");
let conn: TrackerConnection;
let tracker: string;
let domain: string;

beforeAll(async () => {
  tracker = cluster().trackers[0].address;
  domain = cluster().domain;
  conn = await TrackerConnection.connect(tracker);
});

afterAll(async () => {
  for (const key of ["a", "b", "c", "d", "renamed", "sized", "sum", "twice"]) {
    await trackerCommand(tracker, "delete", { domain, key: prefix + key }).catch(() => undefined);
  }
  conn?.close();
});

const raw = (line: string) => conn.exchange(line).then((lines) => lines[0]);

describe("the line format", () => {
  it("answers noop with an empty OK that keeps its trailing space", async () => {
    printLogsOnFailure(cluster);
    expect(await raw("noop\r\n")).toBe("OK \r\n");
  });

  it("answers an unknown command with unknown_command and its canned text", async () => {
    expect(await raw("no_such_command foo=bar\r\n")).toBe(
      "ERR unknown_command Unknown+server+command\r\n",
    );
  });

  it("reads the command name case-insensitively and accepts a bare LF", async () => {
    expect(await raw("NOOP\n")).toBe("OK \r\n");
  });

  it("ignores empty lines and answers pipelined requests in order", async () => {
    const lines = await conn.exchange(
      `\r\n\nnoop\r\nget_paths domain=${domain}&key=\r\nget_paths key=x\r\nnoop callid=9\r\n`,
      4,
    );
    expect(lines).toEqual([
      "OK \r\n",
      "ERR no_key no_key\r\n",
      "ERR no_domain No+domain+provided\r\n",
      "OK callid=9\r\n",
    ]);
  });

  it("echoes callid as a third word of an ERR line", async () => {
    expect(await raw("get_paths domain=nosuchdomain&key=test1&noverify=1&callid=abc\r\n")).toBe(
      "ERR unreg_domain Domain+name+invalid/not+found abc\r\n",
    );
  });
});

describe("get_paths", () => {
  it("lists the stored paths as paths=N and pathN", async () => {
    printLogsOnFailure(cluster);
    const stored = await storeFile(tracker, domain, `${prefix}a`, "alpha");
    const answer = await conn.command("get_paths", { domain, key: `${prefix}a`, noverify: "1" });
    expect(answer.kind).toBe("ok");
    if (answer.kind === "ok") {
      expect(Number(answer.args.paths)).toBeGreaterThanOrEqual(1);
      expect([answer.args.path1, answer.args.path2]).toContain(stored.path);
      expect(answer.args.path1).toMatch(
        /^http:\/\/127\.0\.0\.\d+:\d+\/dev\d+\/\d\/\d{3}\/\d{3}\/\d{10}\.fid$/,
      );
    }
    // Without noverify the tracker checks the first path's size on storage.
    const verified = await conn.command("get_paths", { domain, key: `${prefix}a`, pathcount: "1" });
    expect(verified.kind === "ok" && Number(verified.args.paths) >= 1).toBe(true);
  });

  it("answers unknown_key, unreg_domain, no_key and no_domain", async () => {
    expect(await raw(`get_paths domain=${domain}&key=${prefix}missing&noverify=1\r\n`)).toBe(
      "ERR unknown_key unknown_key\r\n",
    );
    expect(await raw("get_paths domain=nosuchdomain&key=test1&noverify=1\r\n")).toBe(
      "ERR unreg_domain Domain+name+invalid/not+found\r\n",
    );
    expect(await raw(`get_paths domain=${domain}&noverify=1\r\n`)).toBe("ERR no_key no_key\r\n");
    expect(await raw("get_paths domain=&key=x\r\n")).toBe("ERR no_domain No+domain+provided\r\n");
  });

  it("accepts zone and a pathcount below 2", async () => {
    const answer = await conn.command("get_paths", {
      domain,
      key: `${prefix}a`,
      noverify: "1",
      pathcount: "0",
      zone: "alt",
    });
    expect(answer.kind).toBe("ok");
  });
});

describe("create_open", () => {
  it("opens a fid on one device, or on several with multi_dest", async () => {
    printLogsOnFailure(cluster);
    const single = await conn.command("create_open", { domain, key: `${prefix}open1`, class: "" });
    expect(single.kind).toBe("ok");
    if (single.kind === "ok") {
      expect(single.args.fid).toMatch(/^\d+$/);
      expect(single.args.devid).toMatch(/^\d+$/);
      const padded = single.args.fid.padStart(10, "0");
      expect(single.args.path).toMatch(
        new RegExp(
          `/dev${single.args.devid}/${padded[0]}/${padded.slice(1, 4)}/${padded.slice(4, 7)}/${padded}\\.fid$`,
        ),
      );
      expect(single.args.dev_count).toBeUndefined();
    }
    const multi = await conn.command("create_open", {
      domain,
      key: `${prefix}open2`,
      multi_dest: "1",
      size: "10",
    });
    expect(multi.kind).toBe("ok");
    if (multi.kind === "ok") {
      const opened = openedFileOf(multi.args);
      expect(opened?.destinations.length).toBe(Number(multi.args.dev_count));
      // Two storage hosts: the first two destinations are on different hosts.
      const hosts = opened?.destinations.slice(0, 2).map((d) => new URL(d.path).hostname);
      expect(new Set(hosts).size).toBe(2);
    }
  });

  it("refuses class=default and unknown classes with unreg_class", async () => {
    expect(await raw(`create_open domain=${domain}&key=${prefix}x&class=default\r\n`)).toBe(
      "ERR unreg_class unreg_class\r\n",
    );
    expect(await raw(`create_open domain=${domain}&key=${prefix}x&class=nosuchclass\r\n`)).toBe(
      "ERR unreg_class unreg_class\r\n",
    );
    expect(await raw(`create_open domain=nosuchdomain&key=${prefix}x\r\n`)).toBe(
      "ERR unreg_domain Domain+name+invalid/not+found\r\n",
    );
  });

  it("takes a named class", async () => {
    const answer = await conn.command("create_open", {
      domain,
      key: `${prefix}open3`,
      class: "two",
    });
    expect(answer.kind).toBe("ok");
  });

  it("accepts a key of 255 bytes and refuses a longer one", async () => {
    const long = `${prefix}${"k".repeat(255 - Buffer.byteLength(prefix))}`;
    const stored = await storeFile(tracker, domain, long, "long key");
    const info = await conn.command("file_info", { domain, key: long });
    expect(info.kind === "ok" && info.args.fid).toBe(stored.fid);
    expect((await conn.command("delete", { domain, key: long })).kind).toBe("ok");
    const tooLong = await conn.command("create_open", { domain, key: `${long}k` });
    expect(tooLong.kind).toBe("err");
  });
});

describe("create_close", () => {
  async function open(key: string) {
    const answer = await expectOk(tracker, "create_open", { domain, key, class: "" });
    return { fid: answer.fid, devid: answer.devid, path: answer.path };
  }

  it("closes an uploaded file, then answers no_temp_file to a second close", async () => {
    printLogsOnFailure(cluster);
    const f = await open(`${prefix}twice`);
    expect((await http("PUT", f.path, Buffer.from("12345"))).status).toBe(201);
    const args = `domain=${domain}&key=${encodeURIComponent(`${prefix}twice`)}&fid=${f.fid}&devid=${f.devid}&path=${f.path}&size=5`;
    expect(await raw(`create_close ${args}\r\n`)).toBe("OK \r\n");
    expect(await raw(`create_close ${args}\r\n`)).toBe(
      "ERR no_temp_file No+tempfile+or+file+already+closed\r\n",
    );
  });

  it("answers size_mismatch with the original message", async () => {
    const f = await open(`${prefix}sized`);
    await http("PUT", f.path, Buffer.from("abc"));
    const line = await raw(
      `create_close domain=${domain}&key=${encodeURIComponent(`${prefix}sized`)}&fid=${f.fid}&devid=${f.devid}&path=${f.path}&size=99\r\n`,
    );
    expect(line).toBe(`ERR size_mismatch Expected:+99%3B+actual:+3%3B+path:+${f.path}\r\n`);
  });

  it("answers size_verify_error when nothing was uploaded", async () => {
    const f = await open(`${prefix}never`);
    const answer = await conn.command("create_close", {
      domain,
      key: `${prefix}never`,
      ...f,
      size: "3",
    });
    expect(answer.kind === "err" && answer.code).toBe("size_verify_error");
    expect(answer.kind === "err" && answer.message).toMatch(
      /^Expected: 3; actual: 0 \(missing\); path: /,
    );
  });

  it("answers bogus_args when the path is not the one create_open gave", async () => {
    const f = await open(`${prefix}bogus`);
    await http("PUT", f.path, Buffer.from("x"));
    const answer = await conn.command("create_close", {
      domain,
      key: `${prefix}bogus`,
      ...f,
      path: f.path.replace(".fid", "0.fid"),
      size: "1",
    });
    expect(answer.kind === "err" && answer.code).toBe("bogus_args");
  });

  it("answers no_fid without a fid", async () => {
    expect(
      await raw(`create_close domain=${domain}&key=${prefix}x&devid=1&path=http://x/&size=1\r\n`),
    ).toBe("ERR no_fid no_fid\r\n");
  });

  it("accepts an MD5 checksum and refuses a malformed one", async () => {
    const body = Buffer.from("checksummed");
    const f = await open(`${prefix}sum`);
    await http("PUT", f.path, body);
    const md5 = createHash("md5").update(body).digest("hex");
    const bad = await conn.command("create_close", {
      domain,
      key: `${prefix}sum`,
      ...f,
      size: "11",
      checksum: "MD5:xyz",
    });
    expect(bad.kind === "err" && bad.code).toBe("invalid_checksum_format");
    const good = await conn.command("create_close", {
      domain,
      key: `${prefix}sum`,
      ...f,
      size: "11",
      checksum: `MD5:${md5}`,
    });
    expect(good.kind).toBe("ok");
  });
});

describe("delete, file_info, list_keys, rename, updateclass", () => {
  it("file_info describes a key, with devids when asked", async () => {
    printLogsOnFailure(cluster);
    const stored = await storeFile(tracker, domain, `${prefix}b`, "bravo!");
    const answer = await conn.command("file_info", { domain, key: `${prefix}b`, devices: "1" });
    expect(answer).toMatchObject({
      kind: "ok",
      args: { fid: stored.fid, length: "6", class: "default", key: `${prefix}b`, domain },
    });
    if (answer.kind === "ok") {
      expect(answer.args.devids.split(",")).toContain(stored.devid);
      expect(Number(answer.args.devcount)).toBeGreaterThanOrEqual(1);
    }
    expect(await raw(`file_info domain=${domain}&key=${prefix}missing\r\n`)).toBe(
      "ERR unknown_key unknown_key\r\n",
    );
  });

  it("list_keys lists by prefix with after and limit, and says none_match and after_mismatch", async () => {
    await storeFile(tracker, domain, `${prefix}c`, "c");
    await storeFile(tracker, domain, `${prefix}d`, "d");
    const all = await conn.command("list_keys", { domain, prefix });
    expect(all.kind).toBe("ok");
    if (all.kind === "ok") {
      const keys = Array.from(
        { length: Number(all.args.key_count) },
        (_x, i) => all.args[`key_${i + 1}`],
      );
      expect(keys).toEqual(
        expect.arrayContaining([`${prefix}a`, `${prefix}b`, `${prefix}c`, `${prefix}d`]),
      );
      expect(all.args.next_after).toBe([...keys].sort().pop());
    }
    const page = await conn.command("list_keys", {
      domain,
      prefix,
      after: `${prefix}b`,
      limit: "1",
    });
    expect(page).toMatchObject({
      kind: "ok",
      args: { key_count: "1", key_1: `${prefix}c`, next_after: `${prefix}c` },
    });
    expect(
      await raw(`list_keys domain=${domain}&prefix=${encodeURIComponent(`${prefix}zzz`)}\r\n`),
    ).toBe("ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.\r\n");
    expect(await raw(`list_keys domain=${domain}&prefix=abc&after=xyz\r\n`)).toBe(
      "ERR after_mismatch Pattern+does+not+match+the+after-value%3F\r\n",
    );
  });

  it("rename moves a key, refusing unknown_key and key_exists", async () => {
    expect(
      await raw(`rename domain=${domain}&from_key=${prefix}c&to_key=${prefix}renamed\r\n`),
    ).toBe("OK \r\n");
    expect((await conn.command("file_info", { domain, key: `${prefix}renamed` })).kind).toBe("ok");
    expect(await raw(`rename domain=${domain}&from_key=${prefix}c&to_key=${prefix}x\r\n`)).toBe(
      "ERR unknown_key unknown_key\r\n",
    );
    expect(
      await raw(`rename domain=${domain}&from_key=${prefix}renamed&to_key=${prefix}d\r\n`),
    ).toBe("ERR key_exists Target+key+name+already+exists%3B+can%27t+overwrite.\r\n");
  });

  it("updateclass changes the class, accepts class=default, refuses class_not_found and invalid_key", async () => {
    expect(await raw(`updateclass domain=${domain}&key=${prefix}d&class=two\r\n`)).toBe("OK \r\n");
    expect(await conn.command("file_info", { domain, key: `${prefix}d` })).toMatchObject({
      args: { class: "two" },
    });
    expect(await raw(`updateclass domain=${domain}&key=${prefix}d&class=default\r\n`)).toBe(
      "OK \r\n",
    );
    expect(await raw(`updateclass domain=${domain}&key=${prefix}d&class=nosuchclass\r\n`)).toBe(
      "ERR class_not_found Class+not+found\r\n",
    );
    expect(await raw(`updateclass domain=${domain}&key=${prefix}missing&class=two\r\n`)).toBe(
      "ERR invalid_key invalid_key\r\n",
    );
  });

  it("delete removes the key, then answers unknown_key; no_key and unreg_domain as get_paths", async () => {
    expect(await raw(`delete domain=${domain}&key=${prefix}d\r\n`)).toBe("OK \r\n");
    expect(await raw(`get_paths domain=${domain}&key=${prefix}d&noverify=1\r\n`)).toBe(
      "ERR unknown_key unknown_key\r\n",
    );
    expect(await raw(`delete domain=${domain}&key=${prefix}d\r\n`)).toBe(
      "ERR unknown_key unknown_key\r\n",
    );
    expect(await raw(`delete domain=${domain}&key=\r\n`)).toBe("ERR no_key no_key\r\n");
    expect(await raw(`delete domain=nosuchdomain&key=x\r\n`)).toBe(
      "ERR unreg_domain Domain+name+invalid/not+found\r\n",
    );
  });
});

describe("hostile keys", () => {
  const hostile = [
    "a&b=c",
    "plus+sign",
    "per%20cent",
    "two  spaces ",
    "ünïcødé/日本語",
    "quote'\"<>\\",
    "semi;colon?#",
  ];

  it.each(hostile)("stores, finds, lists and deletes %j", async (name) => {
    printLogsOnFailure(cluster);
    const key = `${prefix}hostile/${name}`;
    const body = Buffer.from(`content of ${name}`);
    await storeFile(tracker, domain, key, body);
    const info = await conn.command("file_info", { domain, key });
    expect(info).toMatchObject({ kind: "ok", args: { key, length: String(body.length) } });
    const paths = await conn.command("get_paths", { domain, key, noverify: "1" });
    expect(paths.kind).toBe("ok");
    if (paths.kind === "ok") {
      expect((await http("GET", paths.args.path1)).body.equals(body)).toBe(true);
    }
    const listed = await conn.command("list_keys", { domain, prefix: key });
    expect(listed).toMatchObject({ kind: "ok", args: { key_1: key } });
    expect((await conn.command("delete", { domain, key })).kind).toBe("ok");
  });
});
