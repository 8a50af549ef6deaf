// Decisions of the write path. Runs in vitest and in the njs engine.
import { describe, expect, test } from "vitest";
import { parseAnswer } from "../../src/protocol";
import { checksumFromContentMd5, storageAccepted, trackerFailure } from "../../src/store";

function statusFor(line: string, httpStatus: number): number {
  return trackerFailure("create_open", parseAnswer(line), httpStatus, "files", "k").status;
}

describe("trackerFailure", () => {
  test("maps tracker codes to the status a client can act on", () => {
    expect(statusFor("ERR unknown_key unknown_key\r\n", 200)).toBe(404);
    expect(statusFor("ERR unreg_domain Domain+name+invalid/not+found\r\n", 200)).toBe(500);
    expect(statusFor("ERR unreg_class Class+name+invalid\r\n", 200)).toBe(400);
    expect(statusFor("ERR no_devices No+devices+found+to+store+file\r\n", 200)).toBe(503);
    expect(statusFor("ERR checksum_mismatch Expected:+MD5:00\r\n", 200)).toBe(400);
    expect(statusFor("ERR size_mismatch Expected:+99%3B+actual:+3%3B\r\n", 200)).toBe(502);
  });

  test("tells no tracker (502) from a tracker that timed out (504)", () => {
    expect(statusFor("(no tracker answer: HTTP 502)", 502)).toBe(502);
    expect(statusFor("(no tracker answer: HTTP 504)", 504)).toBe(504);
  });

  test("logs the tracker's code and text", () => {
    const failure = trackerFailure(
      "create_close",
      parseAnswer("ERR size_mismatch Expected:+99%3B+actual:+3%3B\r\n"),
      200,
      "files",
      "a/b",
    );
    expect(failure.log).toBe(
      'create_close: size_mismatch (Expected: 99; actual: 3;) for domain "files" key "a/b"',
    );
    expect(failure.level).toBe("error");
  });
});

describe("checksumFromContentMd5", () => {
  test("turns the base64 digest into the tracker's MD5:hex", () => {
    // MD5 of the empty string.
    expect(checksumFromContentMd5("1B2M2Y8AsgTpgAmY7PhCfg==")).toEqual({
      checksum: "MD5:d41d8cd98f00b204e9800998ecf8427e",
    });
  });

  test("gives no checksum without the header and refuses a malformed one", () => {
    expect(checksumFromContentMd5("")).toEqual({ checksum: null });
    expect("problem" in checksumFromContentMd5("d41d8cd98f00b204e9800998ecf8427e")).toBe(true);
    expect("problem" in checksumFromContentMd5("1B2M2Y8AsgTpgAmY7PhCfg")).toBe(true);
  });
});

describe("storageAccepted", () => {
  test("takes any 2xx as stored and nothing else", () => {
    expect(storageAccepted(200)).toBe(true);
    expect(storageAccepted(201)).toBe(true);
    expect(storageAccepted(204)).toBe(true);
    expect(storageAccepted(404)).toBe(false);
    expect(storageAccepted(502)).toBe(false);
    expect(storageAccepted(0)).toBe(false);
  });
});
