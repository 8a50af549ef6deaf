import { request } from "node:http";
import type { Args } from "../../src/protocol";
import { openedFileOf, pathsOf } from "../../src/protocol";
import { expectOk, type TrackerConnection, trackerCommand } from "./client";

// Storing and reading files the way a MogileFS client does (create_open, HTTP PUT
// to the path, create_close with the exact path and size), for end-to-end tests.

export type HttpAnswer = { status: number; body: Buffer };

export function http(method: string, url: string, body?: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body) {
      headers["content-length"] = String(body.length);
    }
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

export type Stored = { fid: string; devid: string; path: string };

export async function storeFile(
  tracker: string,
  domain: string,
  key: string,
  body: Buffer | string,
  // A connection of its own lets uploads run in parallel instead of queueing on
  // the shared one.
  options: { class?: string; connection?: TrackerConnection } = {},
): Promise<Stored> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const call = async (command: string, args: Args): Promise<Args> => {
    if (!options.connection) {
      return expectOk(tracker, command, args);
    }
    const answer = await options.connection.command(command, args);
    if (answer.kind !== "ok") {
      const why = answer.kind === "err" ? `${answer.code} ${answer.message}` : answer.line;
      throw new Error(`${command}: ${why}`);
    }
    return answer.args;
  };
  const opened = openedFileOf(
    await call("create_open", {
      domain,
      key,
      class: options.class ?? "",
      multi_dest: "1",
    }),
  );
  if (!opened) {
    throw new Error(`create_open for ${key}: no destination`);
  }
  for (const destination of opened.destinations) {
    const put = await http("PUT", destination.path, bytes).catch(() => undefined);
    if (!put || put.status < 200 || put.status > 299) {
      continue;
    }
    await call("create_close", {
      domain,
      key,
      fid: opened.fid,
      devid: destination.devid,
      path: destination.path,
      size: String(bytes.length),
    });
    return { fid: opened.fid, devid: destination.devid, path: destination.path };
  }
  throw new Error(`no destination of fid ${opened.fid} took the upload of ${key}`);
}

export async function pathsFor(tracker: string, domain: string, key: string): Promise<string[]> {
  const answer = await trackerCommand(tracker, "get_paths", { domain, key, noverify: "1" });
  return answer.kind === "ok" ? pathsOf(answer.args) : [];
}

// Polls until check() holds; on timeout the last value is in the error.
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!check(last)) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    last = await probe();
  }
  return last;
}
