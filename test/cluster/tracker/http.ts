import { createHash } from "node:crypto";
import http, { type IncomingMessage } from "node:http";

// Talking to storage nodes: plain HTTP/1.1 to the URLs a path names. Every call has
// a deadline, because a dead storage node must never hang a tracker command.

export type HttpResult = { status: number; headers: IncomingMessage["headers"]; body?: Buffer };

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

export function request(
  method: string,
  url: string,
  options: {
    body?: Buffer | IncomingMessage;
    length?: number;
    timeoutMs?: number;
    readBody?: boolean;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined || method === "PUT") {
      const length = options.length ?? (Buffer.isBuffer(options.body) ? options.body.length : 0);
      headers["content-length"] = String(length);
    }
    const req = http.request(
      url,
      { method, headers, agent, timeout: options.timeoutMs ?? 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          if (options.readBody) {
            chunks.push(chunk);
          }
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: options.readBody ? Buffer.concat(chunks) : undefined,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on("error", reject);
    if (options.body === undefined) {
      req.end();
    } else if (Buffer.isBuffer(options.body)) {
      req.end(options.body);
    } else {
      options.body.on("error", (e) => req.destroy(e));
      options.body.pipe(req);
    }
  });
}

export type SizeCheck =
  | { size: number }
  | { missing: true; error: string }
  | { unreachable: true; error: string };

// What create_close and get_paths' verification ask: the stored length of a path.
export async function sizeOf(url: string): Promise<SizeCheck> {
  try {
    const res = await request("HEAD", url, { timeoutMs: 5000 });
    if (res.status === 200) {
      return { size: Number(res.headers["content-length"] ?? "-1") };
    }
    return { missing: true, error: `Failed HEAD check for ${url} (${res.status})` };
  } catch (e) {
    return { unreachable: true, error: String((e as Error).message ?? e) };
  }
}

export async function md5Of(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 30_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(null);
        return;
      }
      const hash = createHash("md5");
      res.on("data", (chunk: Buffer) => hash.update(chunk));
      res.on("end", () => resolve(hash.digest("hex")));
      res.on("error", () => resolve(null));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(null));
  });
}

// Streams one replica to another device: GET from the source, PUT to the
// destination with the same length; no whole file is held in memory.
export function copyFile(from: string, to: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(from, { agent, timeout: 30_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${from}: ${res.statusCode}`));
        return;
      }
      const length = Number(res.headers["content-length"] ?? "-1");
      if (!(length >= 0)) {
        res.resume();
        reject(new Error(`GET ${from}: no content-length`));
        return;
      }
      request("PUT", to, { body: res, length, timeoutMs: 30_000 }).then((put) => {
        if (put.status >= 200 && put.status < 300) {
          resolve(length);
        } else {
          reject(new Error(`PUT ${to}: ${put.status}`));
        }
      }, reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${from}: timed out`)));
    req.on("error", reject);
  });
}
