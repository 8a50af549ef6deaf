// Decisions of the write path (PUT and DELETE), kept apart from nginx objects.
import type { Answer } from "./protocol";

export type WriteError = { status: number; body: string; log: string; level: "info" | "error" };

function failure(status: number, body: string, log: string, level: "info" | "error"): WriteError {
  return { status: status, body: `${body}\n`, log: log, level: level };
}

// The status for a tracker answer that ended a write. `httpStatus` is what the
// tracker location answered, so a timeout (504) can be told from no tracker (502).
export function trackerFailure(
  command: string,
  answer: Answer,
  httpStatus: number,
  domain: string,
  key: string,
): WriteError {
  const where = `domain "${domain}" key "${key}"`;
  if (answer.kind === "malformed") {
    return httpStatus === 504
      ? failure(
          504,
          "Gateway Timeout: no tracker answered in time",
          `${command}: tracker timeout for ${where}`,
          "error",
        )
      : failure(
          502,
          "Bad Gateway: no tracker reachable",
          `${command}: no tracker answered for ${where}`,
          "error",
        );
  }
  if (answer.kind === "ok") {
    return failure(
      502,
      "Bad Gateway: unexpected tracker answer",
      `${command}: unusable answer for ${where}`,
      "error",
    );
  }
  switch (answer.code) {
    case "unknown_key":
      return failure(404, "Not Found", `${command}: unknown_key: ${where}`, "info");
    case "unreg_domain":
      return failure(
        500,
        "Internal Server Error: unknown domain",
        `${command}: unreg_domain: the tracker does not know domain "${domain}"`,
        "error",
      );
    case "unreg_class":
      return failure(
        400,
        "Bad Request: unknown class",
        `${command}: unreg_class for ${where}`,
        "info",
      );
    case "no_key":
      return failure(400, "Bad Request: empty key", `${command}: no_key: ${where}`, "info");
    case "checksum_mismatch":
      return failure(
        400,
        "Bad Request: the body does not match Content-MD5",
        `${command}: checksum_mismatch for ${where}: ${answer.message}`,
        "info",
      );
    case "no_devices":
      return failure(
        503,
        "Service Unavailable: no storage device can take the file",
        `${command}: no_devices for ${where}`,
        "error",
      );
    default:
      return failure(
        502,
        "Bad Gateway: tracker error",
        `${command}: ${answer.code} (${answer.message}) for ${where}`,
        "error",
      );
  }
}

// Content-MD5 (RFC 1864: base64 of the 16-byte digest) as the tracker's
// checksum argument, `MD5:<hex>`. Null when absent; an error text when malformed.
export function checksumFromContentMd5(
  header: string,
): { checksum: string | null } | { problem: string } {
  if (header === "") {
    return { checksum: null };
  }
  if (!/^[A-Za-z0-9+/]{22}==$/.test(header)) {
    return { problem: "Content-MD5 must be the base64 of a 16-byte MD5 digest" };
  }
  const hex = Buffer.from(header, "base64").toString("hex");
  return { checksum: `MD5:${hex}` };
}

// A storage node took the file when it answered 2xx: mogstored says 200 and
// nginx's WebDAV 201 or 204.
export function storageAccepted(status: number): boolean {
  return status >= 200 && status < 300;
}
