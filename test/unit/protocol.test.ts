// The tracker codec, against answers captured from the original mogilefsd
// (shared/mogilefs-protocol.md) and against keys chosen to break a naive encoder.
// Runs in vitest and, bundled, in the njs engine: keep to the njs subset.
import { describe, expect, test } from "vitest";
import {
  decodeArgs,
  decodeValue,
  encodeArgs,
  encodeValue,
  openedFileOf,
  parseAnswer,
  pathsOf,
  requestLine,
} from "../../src/protocol";

const HOSTILE_KEYS = [
  "a&b=c",
  "plus+sign",
  "100%",
  "%41 not an escape",
  "with space",
  "line\r\nbreak",
  "nul\u0000byte",
  "tab\there",
  "üñïçødé/ключ/鍵",
  "emoji 😀.jpg",
  "quote'\"",
  "slash/and:colon,comma",
  "question?hash#",
  "=leading=equals=",
  "!()*~",
];

describe("encodeValue", () => {
  test("leaves the tracker's safe alphabet raw", () => {
    expect(encodeValue("Az09_,-./:")).toBe("Az09_,-./:");
  });

  test("encodes space as + and reserved bytes as %XX", () => {
    expect(encodeValue("a b")).toBe("a+b");
    expect(encodeValue("a&b=c+d%e")).toBe("a%26b%3Dc%2Bd%25e");
  });

  test("encodes CR, LF and NUL so a key can never end the line", () => {
    expect(encodeValue("x\r\ny\u0000")).toBe("x%0D%0Ay%00");
  });

  test("encodes non-ASCII as the %XX of its UTF-8 bytes", () => {
    expect(encodeValue("é")).toBe("%C3%A9");
    expect(encodeValue("鍵")).toBe("%E9%8D%B5");
  });

  test("encodes what encodeURIComponent leaves raw, characters beyond U+FFFF, and a lone surrogate", () => {
    expect(encodeValue("!'()*~")).toBe("%21%27%28%29%2A%7E");
    expect(encodeValue("a😀b")).toBe("a%F0%9F%98%80b");
    expect(encodeValue("x\uD800y")).toBe("x%EF%BF%BDy");
  });

  test("emits only the safe alphabet, % escapes and +", () => {
    for (let i = 0; i < HOSTILE_KEYS.length; i++) {
      expect(encodeValue(HOSTILE_KEYS[i])).toMatch(/^[A-Za-z0-9_,\-./:%+]*$/);
    }
  });

  test("round-trips every hostile key through decodeValue", () => {
    for (let i = 0; i < HOSTILE_KEYS.length; i++) {
      expect(decodeValue(encodeValue(HOSTILE_KEYS[i]))).toBe(HOSTILE_KEYS[i]);
    }
  });

  test("sends a lone surrogate as U+FFFD, as the njs engine stores it", () => {
    expect(encodeValue("bad\uD800")).toBe("bad%EF%BF%BD");
    expect(encodeValue("x\uDC00y")).toBe("x%EF%BF%BDy");
    expect(encodeValue("\uD83D\uDE00")).toBe("%F0%9F%98%80");
  });
});

describe("decodeValue", () => {
  test("turns + into space and %XX into bytes", () => {
    expect(decodeValue("Domain+name+invalid/not+found")).toBe("Domain name invalid/not found");
    expect(decodeValue("Expected:+99%3B+actual:+3%3B")).toBe("Expected: 99; actual: 3;");
  });

  test("keeps invalid UTF-8 as one character per byte instead of failing", () => {
    expect(decodeValue("a%FFb")).toBe("a\u00ffb");
  });

  test("leaves a stray % that starts no escape", () => {
    expect(decodeValue("100%")).toBe("100%");
  });
});

describe("requestLine", () => {
  test("builds get_paths as a client sends it", () => {
    expect(requestLine("get_paths", { domain: "images", key: "test1", noverify: "1" })).toBe(
      "get_paths domain=images&key=test1&noverify=1\r\n",
    );
  });

  test("keeps a hostile key inside its own pair", () => {
    const line = requestLine("get_paths", { domain: "d", key: "a&key=evil\r\nnoop" });
    expect(line).toBe("get_paths domain=d&key=a%26key%3Devil%0D%0Anoop\r\n");
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(decodeArgs(line.slice("get_paths ".length, -2))).toEqual({
      domain: "d",
      key: "a&key=evil\r\nnoop",
    });
  });

  test("sends an empty class as class= (the default class)", () => {
    expect(
      requestLine("create_open", { domain: "images", key: "k", class: "", multi_dest: "1" }),
    ).toBe("create_open domain=images&key=k&class=&multi_dest=1\r\n");
  });

  test("refuses a command name that would need encoding", () => {
    expect(() => requestLine("get_paths\r\nnoop", {})).toThrow("invalid tracker command");
    expect(() => requestLine("", {})).toThrow("invalid tracker command");
  });
});

describe("encodeArgs and decodeArgs", () => {
  test("round-trip a map of hostile names and values", () => {
    const args: { [k: string]: string } = {};
    for (let i = 0; i < HOSTILE_KEYS.length; i++) {
      args[HOSTILE_KEYS[i]] = HOSTILE_KEYS[HOSTILE_KEYS.length - 1 - i];
    }
    expect(decodeArgs(encodeArgs(args))).toEqual(args);
  });

  test("skips empty pairs and reads a bare name as empty", () => {
    expect(decodeArgs("a=1&&b&c=")).toEqual({ a: "1", b: "", c: "" });
  });
});

describe("parseAnswer", () => {
  test("reads get_paths pairs in the tracker's random order", () => {
    const answer = parseAnswer(
      "OK path2=http://127.0.0.3:7500/dev2/0/000/000/0000000012.fid&paths=2&path1=http://127.0.0.2:7500/dev1/0/000/000/0000000012.fid\r\n",
    );
    expect(answer.kind).toBe("ok");
    if (answer.kind === "ok") {
      expect(pathsOf(answer.args)).toEqual([
        "http://127.0.0.2:7500/dev1/0/000/000/0000000012.fid",
        "http://127.0.0.3:7500/dev2/0/000/000/0000000012.fid",
      ]);
    }
  });

  test("reads the empty OK with its trailing space", () => {
    expect(parseAnswer("OK \r\n")).toEqual({ kind: "ok", args: {}, callid: null });
    expect(parseAnswer("OK\r\n")).toEqual({ kind: "ok", args: {}, callid: null });
  });

  test("reads an ERR with canned text", () => {
    expect(parseAnswer("ERR unreg_domain Domain+name+invalid/not+found\r\n")).toEqual({
      kind: "err",
      code: "unreg_domain",
      message: "Domain name invalid/not found",
      callid: null,
    });
  });

  test("reads an ERR whose text is the code repeated", () => {
    const answer = parseAnswer("ERR unknown_key unknown_key\r\n");
    expect(answer).toEqual({
      kind: "err",
      code: "unknown_key",
      message: "unknown_key",
      callid: null,
    });
  });

  test("decodes the size_mismatch text create_close gives", () => {
    const answer = parseAnswer(
      "ERR size_mismatch Expected:+99%3B+actual:+3%3B+path:+http://127.0.0.3:7500/dev2/0/000/000/0000000021.fid\r\n",
    );
    expect(answer.kind).toBe("err");
    if (answer.kind === "err") {
      expect(answer.code).toBe("size_mismatch");
      expect(answer.message).toBe(
        "Expected: 99; actual: 3; path: http://127.0.0.3:7500/dev2/0/000/000/0000000021.fid",
      );
    }
  });

  test("takes callid out of OK args and from the third word of ERR", () => {
    expect(parseAnswer("OK callid=7&fid=3\r\n")).toEqual({
      kind: "ok",
      args: { fid: "3" },
      callid: "7",
    });
    const err = parseAnswer("ERR unknown_key unknown_key 7\r\n");
    expect(err.kind === "err" && err.callid).toBe("7");
  });

  test("accepts a bare LF line end", () => {
    expect(parseAnswer("OK paths=0\n")).toEqual({ kind: "ok", args: { paths: "0" }, callid: null });
  });

  test("calls anything else malformed", () => {
    const lines = [
      "",
      "HTTP/1.1 200 OK\r\n",
      "ok paths=1\r\n",
      "ERR\r\n",
      "OKAY\r\n",
      "OK a=1\r\nOK\r\n",
    ];
    for (let i = 0; i < lines.length; i++) {
      expect(parseAnswer(lines[i]).kind).toBe("malformed");
    }
  });
});

describe("pathsOf", () => {
  test("follows paths=N and the numeric order, not the pair order", () => {
    expect(pathsOf({ path3: "c", path1: "a", paths: "3", path2: "b" })).toEqual(["a", "b", "c"]);
  });

  test("gives no paths for paths=0 or a missing count", () => {
    expect(pathsOf({ paths: "0" })).toEqual([]);
    expect(pathsOf({ path1: "a" })).toEqual([]);
  });

  test("reads more than ten paths in order", () => {
    const args: { [k: string]: string } = { paths: "12" };
    const expected: string[] = [];
    for (let i = 1; i <= 12; i++) {
      args[`path${i}`] = `http://127.0.0.2:7500/dev${i}/x.fid`;
      expected.push(args[`path${i}`]);
    }
    expect(pathsOf(args)).toEqual(expected);
  });
});

describe("openedFileOf", () => {
  test("reads a multi_dest create_open answer in devid_N order", () => {
    const answer = parseAnswer(
      "OK path_1=http://127.0.0.2:7500/dev1/0/000/000/0000000019.fid&path_2=http://127.0.0.3:7500/dev2/0/000/000/0000000019.fid&devid_2=2&fid=19&devid_1=1&dev_count=2\r\n",
    );
    expect(answer.kind).toBe("ok");
    if (answer.kind === "ok") {
      expect(openedFileOf(answer.args)).toEqual({
        fid: "19",
        destinations: [
          { devid: "1", path: "http://127.0.0.2:7500/dev1/0/000/000/0000000019.fid" },
          { devid: "2", path: "http://127.0.0.3:7500/dev2/0/000/000/0000000019.fid" },
        ],
      });
    }
  });

  test("reads a single-destination answer", () => {
    expect(openedFileOf({ fid: "21", devid: "2", path: "http://h/x.fid" })).toEqual({
      fid: "21",
      destinations: [{ devid: "2", path: "http://h/x.fid" }],
    });
  });

  test("keeps a fid beyond 2^53 exact as a decimal string", () => {
    const opened = openedFileOf({ fid: "18446744073709551615", devid: "1", path: "http://h/x" });
    expect(opened === null ? null : opened.fid).toBe("18446744073709551615");
  });

  test("refuses an answer without a decimal fid or any destination", () => {
    expect(openedFileOf({ devid: "1", path: "http://h/x" })).toBeNull();
    expect(openedFileOf({ fid: "-1", devid: "1", path: "http://h/x" })).toBeNull();
    expect(openedFileOf({ fid: "5", dev_count: "2" })).toBeNull();
    expect(openedFileOf({ fid: "5" })).toBeNull();
  });
});
