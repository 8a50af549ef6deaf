import { parseArgs } from "node:util";
import { createDbPool } from "./db";
import { deleteRound, reapTempfiles } from "./deleter";
import { log, setLogPrefix } from "./log";
import { Monitor } from "./monitor";
import { replicateRound } from "./replicator";
import { setupSchema } from "./schema";
import { startServer } from "./server";
import { startWorker } from "./worker";

// A MogileFS tracker for development and tests (not for production): the original
// protocol and schema on Node, so the gateway can be tested without Perl.
const USAGE = `usage: tracker.mjs --listen HOST:PORT (--db-socket PATH | --db-host HOST --db-port PORT)
  --db-user USER --db-password PASSWORD --db-name NAME [--name NAME]
  [--monitor-interval MS] [--replicate-interval MS] [--delete-interval MS]
  [--tempfile-max-age SECONDS]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    listen: { type: "string" },
    "db-socket": { type: "string" },
    "db-host": { type: "string" },
    "db-port": { type: "string" },
    "db-user": { type: "string", default: "mogile" },
    "db-password": { type: "string", default: "" },
    "db-name": { type: "string", default: "mogilefs" },
    name: { type: "string" },
    "monitor-interval": { type: "string", default: "1000" },
    "replicate-interval": { type: "string", default: "500" },
    "delete-interval": { type: "string", default: "500" },
    "tempfile-max-age": { type: "string", default: "3600" },
  },
});

const listen = /^(.+):(\d+)$/.exec(values.listen ?? "") ?? fail("--listen HOST:PORT is required");
if (!values["db-socket"] && !values["db-host"]) {
  fail("--db-socket or --db-host is required");
}
const number = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  return Number.isFinite(n) && n >= 0 ? n : fail(`--${name} must be a number`);
};
const name = values.name ?? `tracker-${listen[2]}`;
setLogPrefix(name);

const db = createDbPool({
  socketPath: values["db-socket"],
  host: values["db-host"],
  port: values["db-port"] ? Number(values["db-port"]) : undefined,
  user: values["db-user"] as string,
  password: values["db-password"] as string,
  database: values["db-name"] as string,
});

await setupSchema(db);
const monitor = new Monitor(db, name, number("monitor-interval"));
monitor.start();
const server = await startServer({ db, monitor }, listen[1], Number(listen[2]));
const tempfileMaxAge = number("tempfile-max-age");
const workers = [
  startWorker("replicate", number("replicate-interval"), () => replicateRound(db, monitor)),
  startWorker("delete", number("delete-interval"), async () => {
    await reapTempfiles(db, tempfileMaxAge);
    await deleteRound(db);
  }),
];
log(`ready: listening on ${listen[1]}:${listen[2]}`);
process.stdout.write(`tracker ready on ${listen[1]}:${listen[2]}\n`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  log(`${signal}: stopping`);
  server.close();
  monitor.stop();
  await Promise.all(workers.map((w) => w.stop()));
  await db.end().catch(() => undefined);
  log("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
