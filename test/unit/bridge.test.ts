// The bridge between nginx's http side and a tracker, byte level.
// Runs in vitest and, bundled, in the njs engine: keep to the njs subset.
import { describe, expect, test } from "vitest";
import {
  bridgeRefusal,
  bridgeRequest,
  bridgeResponse,
  encodeBytes,
  headEnd,
  isStorageUrl,
  MAX_PATHS,
} from "../../src/bridge";
import { parseNetworks } from "../../src/networks";
import { encodeValue } from "../../src/protocol";

function head(text: string): Buffer {
  return Buffer.from(text);
}

function status(response: string): number {
  return parseInt(response.slice(9, 12), 10);
}

function header(response: string, name: string): string | null {
  const lines = response.split("\r\n\r\n")[0].split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (lines[i].slice(0, colon).toLowerCase() === name.toLowerCase()) {
      return lines[i].slice(colon + 1).trim();
    }
  }
  return null;
}

function body(response: string): string {
  return response.slice(response.indexOf("\r\n\r\n") + 4);
}

describe("headEnd", () => {
  test("finds the end of a request head, and -1 while it is incomplete", () => {
    const bytes = head("GET /noop HTTP/1.1\r\nHost: x\r\n\r\nGET");
    expect(headEnd(bytes, 0)).toBe(31);
    expect(headEnd(head("GET /noop HTTP/1.1\r\nHost: x\r\n\r"), 0)).toBe(-1);
  });
});

describe("bridgeRequest", () => {
  test("turns a lookup into a get_paths line with the arg headers encoded", () => {
    const request = bridgeRequest(
      head(
        "GET /get_paths?noverify=1&pathcount=4 HTTP/1.1\r\nHost: mogilefs\r\nX-MogileFS-Arg-Domain: files\r\nX-MogileFS-Arg-Key: a&b=c+d %e\r\nX-Other: x\r\n\r\n",
      ),
    );
    expect(request).toEqual({
      ok: true,
      command: "get_paths",
      line: "get_paths noverify=1&pathcount=4&domain=files&key=a%26b%3Dc%2Bd+%25e\r\n",
      head: false,
    });
  });

  test("marks a HEAD request, whose answer carries no body", () => {
    const request = bridgeRequest(
      head("HEAD /get_paths?noverify=1 HTTP/1.1\r\nX-MogileFS-Arg-Key: k\r\n\r\n"),
    );
    expect(request).toEqual({
      ok: true,
      command: "get_paths",
      line: "get_paths noverify=1&key=k\r\n",
      head: true,
    });
  });

  test("ignores arg headers whose name is not a plain arg name", () => {
    const request = bridgeRequest(
      head("GET /noop HTTP/1.1\r\nX-MogileFS-Arg-: x\r\nX-MogileFS-Arg-a=b: y\r\n\r\n"),
    );
    expect(request.ok && request.line).toBe("noop \r\n");
  });

  test("encodes a UTF-8 key byte by byte, and invalid UTF-8 too", () => {
    const bytes = Buffer.concat([
      Buffer.from("GET /get_paths?domain=d HTTP/1.1\r\nx-mogilefs-arg-key:  "),
      Buffer.from([0xc3, 0xa9, 0x2f, 0xff]),
      Buffer.from("  \r\n\r\n"),
    ]);
    const request = bridgeRequest(bytes);
    expect(request.ok && request.line).toBe("get_paths domain=d&key=%C3%A9/%FF\r\n");
  });

  test("passes already-encoded args through for commands built in JavaScript", () => {
    const request = bridgeRequest(
      head("GET /create_close?domain=d&key=k%0A&fid=18446744073709551615&size=0 HTTP/1.0\r\n\r\n"),
    );
    expect(request.ok && request.line).toBe(
      "create_close domain=d&key=k%0A&fid=18446744073709551615&size=0\r\n",
    );
  });

  test("sends a command without args as `<command> ` like the original clients", () => {
    const request = bridgeRequest(head("GET /noop HTTP/1.1\r\n\r\n"));
    expect(request.ok && request.line).toBe("noop \r\n");
  });

  test("refuses targets that would put raw bytes into the tracker line", () => {
    const targets = ["/get_paths?key=a b", "/get_paths?key=<x>", "/Get_Paths", "/", "get_paths"];
    for (let i = 0; i < targets.length; i++) {
      const request = bridgeRequest(head(`GET ${targets[i]} HTTP/1.1\r\n\r\n`));
      expect(request.ok).toBe(false);
    }
    expect(bridgeRequest(head("garbage\r\n\r\n")).ok).toBe(false);
  });
});

describe("encodeBytes", () => {
  test("leaves the safe alphabet raw and encodes every other byte", () => {
    const bytes = Buffer.from([0x41, 0x00, 0x0d, 0x0a, 0x20, 0x26, 0x3d, 0x2b, 0x25, 0x7f, 0xff]);
    expect(encodeBytes(bytes, 0, bytes.length)).toBe("A%00%0D%0A+%26%3D%2B%25%7F%FF");
  });

  // Write commands send the key from its bytes (rawVariables): keys stored before,
  // from the string encoder, must come out the same.
  test("encodes a UTF-8 key exactly as encodeValue encodes its text", () => {
    const keys = ["photos/a b+c.jpg", "é/ü€😀 %&=?#", "a,b:c_d-e.f/g~h'i"];
    for (let i = 0; i < keys.length; i++) {
      const bytes = Buffer.from(keys[i], "utf8");
      expect(encodeBytes(bytes, 0, bytes.length)).toBe(encodeValue(keys[i]));
    }
  });

  test("keeps bytes that are not UTF-8 apart, where text decoding would merge them", () => {
    const ff = Buffer.from([0x6b, 0xff]);
    const fe = Buffer.from([0x6b, 0xfe]);
    expect(encodeBytes(ff, 0, ff.length)).toBe("k%FF");
    expect(encodeBytes(fe, 0, fe.length)).toBe("k%FE");
  });
});

describe("bridgeResponse", () => {
  const answer =
    "OK path2=http://127.0.0.3:7500/dev2/0/000/000/0000000012.fid&paths=2&path1=http://127.0.0.2:7500/dev1/0/000/000/0000000012.fid\r\n";

  test("hands get_paths paths to nginx as numbered headers, in order", () => {
    const response = bridgeResponse("get_paths", answer, "127.0.0.1:7001");
    expect(status(response)).toBe(200);
    expect(header(response, "X-MogileFS-Paths")).toBe("2");
    expect(header(response, "X-MogileFS-Path1")).toBe(
      "http://127.0.0.2:7500/dev1/0/000/000/0000000012.fid",
    );
    expect(header(response, "X-MogileFS-Path2")).toBe(
      "http://127.0.0.3:7500/dev2/0/000/000/0000000012.fid",
    );
    expect(header(response, "X-MogileFS-Tracker")).toBe("127.0.0.1:7001");
    expect(header(response, "Connection")).toBe("keep-alive");
    expect(body(response)).toBe(answer);
    expect(header(response, "Content-Length")).toBe(String(answer.length));
  });

  test("answers HEAD with the same headers, Content-Length 0 and no body", () => {
    const response = bridgeResponse("get_paths", answer, "127.0.0.1:7001", true);
    expect(status(response)).toBe(200);
    expect(header(response, "X-MogileFS-Path2")).toBe(
      "http://127.0.0.3:7500/dev2/0/000/000/0000000012.fid",
    );
    expect(header(response, "Connection")).toBe("keep-alive");
    expect(header(response, "Content-Length")).toBe("0");
    expect(response.endsWith("\r\n\r\n")).toBe(true);
  });

  test(`passes at most ${MAX_PATHS} paths, the length of the failover chain`, () => {
    let line = "OK paths=6";
    for (let i = 1; i <= 6; i++) {
      line += `&path${i}=http://127.0.0.${i}:7500/dev${i}/x.fid`;
    }
    const response = bridgeResponse("get_paths", `${line}\r\n`, "t");
    expect(header(response, "X-MogileFS-Paths")).toBe(String(MAX_PATHS));
    expect(header(response, `X-MogileFS-Path${MAX_PATHS}`)).toBe(
      `http://127.0.0.${MAX_PATHS}:7500/dev${MAX_PATHS}/x.fid`,
    );
    expect(header(response, `X-MogileFS-Path${MAX_PATHS + 1}`)).toBeNull();
  });

  test("answers 401 for an unknown key, so the lookup cache can keep it briefly", () => {
    const response = bridgeResponse("get_paths", "ERR unknown_key unknown_key\r\n", "t");
    expect(status(response)).toBe(401);
    expect(header(response, "X-MogileFS-Error")).toBe("unknown_key");
  });

  test("answers 403 with the tracker's code for other errors", () => {
    const response = bridgeResponse(
      "get_paths",
      "ERR unreg_domain Domain+name+invalid/not+found\r\n",
      "t",
    );
    expect(status(response)).toBe(403);
    expect(header(response, "X-MogileFS-Error")).toBe("unreg_domain");
  });

  test("answers 403 no_paths when get_paths lists no usable path", () => {
    const response = bridgeResponse("get_paths", "OK paths=0\r\n", "t");
    expect(status(response)).toBe(403);
    expect(header(response, "X-MogileFS-Error")).toBe("no_paths");
  });

  test("drops paths that are not plain http storage URLs", () => {
    const response = bridgeResponse(
      "get_paths",
      "OK paths=3&path1=file:///etc/passwd&path2=http://h:80/x?y=1&path3=http://127.0.0.2:7500/dev1/ok.fid\r\n",
      "t",
    );
    expect(header(response, "X-MogileFS-Paths")).toBe("1");
    expect(header(response, "X-MogileFS-Path1")).toBe("http://127.0.0.2:7500/dev1/ok.fid");
  });

  test("drops paths outside storage.allow", () => {
    const line =
      "OK paths=2&path1=http://127.0.0.2:7500/dev1/a.fid&path2=http://127.0.0.3:7500/dev2/a.fid\r\n";
    const only3 = bridgeResponse(
      "get_paths",
      line,
      "t",
      false,
      parseNetworks("127.0.0.3/32").networks,
    );
    expect(header(only3, "X-MogileFS-Paths")).toBe("1");
    expect(header(only3, "X-MogileFS-Path1")).toBe("http://127.0.0.3:7500/dev2/a.fid");
    const none = bridgeResponse(
      "get_paths",
      line,
      "t",
      false,
      parseNetworks("10.0.0.0/8").networks,
    );
    expect(status(none)).toBe(403);
    expect(header(none, "X-MogileFS-Error")).toBe("no_paths");
  });

  test("answers 502 for a tracker in trouble, keeping the connection", () => {
    const response = bridgeResponse("get_paths", "ERR failure Operation+failed\r\n", "t");
    expect(status(response)).toBe(502);
    expect(header(response, "X-MogileFS-Error")).toBe("failure");
    expect(header(response, "Connection")).toBe("keep-alive");
    expect(status(bridgeResponse("create_open", "ERR db db\r\n", "t"))).toBe(502);
  });

  test("answers 502 and closes on a line that is not a tracker answer", () => {
    const response = bridgeResponse("get_paths", "HTTP/1.0 400 Bad Request\r\n", "t");
    expect(status(response)).toBe(502);
    expect(header(response, "Connection")).toBe("close");
    expect(header(response, "X-MogileFS-Error")).toBe("malformed_answer");
  });

  test("answers 200 with an empty OK for other commands", () => {
    const response = bridgeResponse("create_close", "OK \r\n", "t");
    expect(status(response)).toBe(200);
    expect(body(response)).toBe("OK \r\n");
  });
});

describe("isStorageUrl", () => {
  test("accepts the URLs trackers give and refuses anything else", () => {
    expect(isStorageUrl("http://127.0.0.2:7500/dev1/0/000/000/0000000012.fid")).toBe(true);
    expect(isStorageUrl("http://storage-1.example:7500/dev1/x.fid")).toBe(true);
    expect(isStorageUrl("https://127.0.0.2/dev1/x.fid")).toBe(false);
    expect(isStorageUrl("http://user@127.0.0.2/x")).toBe(false);
    expect(isStorageUrl("http://127.0.0.2:7500")).toBe(false);
    expect(isStorageUrl("http://127.0.0.2/x y")).toBe(false);
    expect(isStorageUrl("http://127.0.0.2/x#f")).toBe(false);
  });
});

describe("bridgeRefusal", () => {
  test("answers with the status and reason, and closes", () => {
    const response = bridgeRefusal(400, "not a bridge request line");
    expect(status(response)).toBe(400);
    expect(body(response)).toBe("not a bridge request line\r\n");
    expect(header(response, "Connection")).toBe("close");
  });
});
