import { createServer, type Server, type Socket } from "node:net";
import { type Answer, encodeAnswer, err, parseRequestLine } from "./codec";
import { COMMANDS } from "./commands";
import type { Context } from "./context";
import { isDuplicate } from "./db";
import { log, show } from "./log";

async function answer(ctx: Context, line: string): Promise<string> {
  const request = parseRequestLine(line);
  if (!request) {
    return encodeAnswer(err("unknown_command"), undefined);
  }
  const callid = Object.hasOwn(request.args, "callid") ? request.args.callid : undefined;
  const handler = Object.hasOwn(COMMANDS, request.command) ? COMMANDS[request.command] : undefined;
  let result: Answer;
  if (!handler) {
    result = err("unknown_command");
  } else {
    try {
      result = await handler(ctx, request.args);
    } catch (e) {
      // mogilefsd turns a die inside a command into `failure` (or `dup`).
      log(`${request.command}: ${String((e as Error).stack ?? e)}`);
      result = isDuplicate(e) ? err("dup") : err("failure");
    }
  }
  const summary = result.ok ? "OK" : `ERR ${result.code}`;
  log(
    `${request.command} ${show(line.slice(request.command.length).trim()).slice(0, 300)} -> ${summary}`,
  );
  return encodeAnswer(result, callid);
}

// One client connection: many requests, answered strictly in order, until the
// client closes. The socket is read as latin1 so every byte stays one character.
function serve(ctx: Context, socket: Socket): void {
  socket.setEncoding("latin1");
  socket.setNoDelay(true);
  let buffered = "";
  let queue: Promise<void> = Promise.resolve();
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (line.trim() === "") {
        continue;
      }
      queue = queue.then(async () => {
        const reply = await answer(ctx, line);
        if (!socket.destroyed) {
          socket.write(reply, "latin1");
        }
      });
    }
  });
  socket.on("error", () => socket.destroy());
}

export function startServer(ctx: Context, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => serve(ctx, socket));
    server.on("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
