import { connect, type Socket } from "node:net";
import { type Answer, type Args, parseAnswer, requestLine } from "../../src/protocol";

// A small tracker client for tests and tools: one TCP connection kept open, requests
// answered in order, answers parsed by the gateway's own codec (src/protocol.ts).
export class TrackerConnection {
  private buffered = "";
  private readonly waiting: Array<{ resolve(line: string): void; reject(e: Error): void }> = [];
  private closedError: Error | undefined;

  private constructor(
    readonly address: string,
    private readonly socket: Socket,
  ) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.buffered += chunk;
      let newline = this.buffered.indexOf("\n");
      while (newline >= 0) {
        const line = this.buffered.slice(0, newline + 1);
        this.buffered = this.buffered.slice(newline + 1);
        this.waiting.shift()?.resolve(line);
        newline = this.buffered.indexOf("\n");
      }
    });
    const fail = (e: Error) => {
      this.closedError = e;
      for (const w of this.waiting.splice(0)) {
        w.reject(e);
      }
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error(`tracker ${address} closed the connection`)));
  }

  static connect(address: string, timeoutMs = 5000): Promise<TrackerConnection> {
    const match = /^(.+):(\d+)$/.exec(address);
    if (!match) {
      throw new Error(`bad tracker address ${address}`);
    }
    return new Promise((resolve, reject) => {
      const socket = connect({ host: match[1], port: Number(match[2]), timeout: timeoutMs });
      socket.once("connect", () => {
        socket.setTimeout(0);
        resolve(new TrackerConnection(address, socket));
      });
      socket.once("timeout", () => socket.destroy(new Error(`connect to ${address} timed out`)));
      socket.once("error", reject);
    });
  }

  // Sends raw bytes (any number of request lines) and resolves with the next
  // `answers` raw answer lines, CRLF included: for byte-level checks.
  exchange(bytes: string | Buffer, answers = 1): Promise<string[]> {
    if (this.closedError) {
      return Promise.reject(this.closedError);
    }
    const lines = Array.from(
      { length: answers },
      () => new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject })),
    );
    this.socket.write(bytes);
    return Promise.all(lines);
  }

  async rawCommand(command: string, args: Args = {}): Promise<string> {
    const [line] = await this.exchange(requestLine(command, args));
    return line;
  }

  async command(command: string, args: Args = {}): Promise<Answer> {
    return parseAnswer(await this.rawCommand(command, args));
  }

  // True once the tracker closed the connection or it failed: not worth reusing.
  get broken(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

const shared = new Map<string, Promise<TrackerConnection>>();

// One kept connection per tracker address; a broken one is replaced on next use.
export async function trackerCommand(
  address: string,
  command: string,
  args: Args = {},
): Promise<Answer> {
  let pending = shared.get(address);
  // A tracker restarted since the last call left a closed connection behind.
  if (pending && (await pending.catch(() => null))?.broken) {
    shared.delete(address);
    pending = undefined;
  }
  if (!pending) {
    pending = TrackerConnection.connect(address);
    shared.set(address, pending);
    pending.catch(() => shared.delete(address));
  }
  const conn = await pending;
  try {
    return await conn.command(command, args);
  } catch (e) {
    shared.delete(address);
    conn.close();
    throw e;
  }
}

export function closeTrackerConnections(): void {
  for (const pending of shared.values()) {
    pending.then((c) => c.close()).catch(() => undefined);
  }
  shared.clear();
}

// Unwraps an OK answer or throws with the tracker's error, for set-up steps.
export async function expectOk(address: string, command: string, args: Args = {}): Promise<Args> {
  const answer = await trackerCommand(address, command, args);
  if (answer.kind !== "ok") {
    throw new Error(
      `${command} on ${address}: ${answer.kind === "err" ? `${answer.code} ${answer.message}` : answer.line}`,
    );
  }
  return answer.args;
}
