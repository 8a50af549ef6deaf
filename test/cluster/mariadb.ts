import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { freePort } from "./ports";
import { type Daemon, spawnDaemon, waitFor } from "./process";

const run = promisify(execFile);

export type DbConfig = {
  socketPath: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
};

export type MariaDb = DbConfig & {
  logPath: string;
  daemon: Daemon;
  stop(): Promise<void>;
};

const TRACKER_USER = "mogile";
const TRACKER_PASSWORD = "mogile-local";
const DATABASE = "mogilefs";

// Debian's MariaDB in a private data directory. `--no-defaults` keeps /etc/mysql out
// of it, so the system server and its configuration are never touched. Root logs in
// with a plain (empty) password over the private socket only; the tracker gets its
// own user with a password, as mogdbsetup would set it up.
export async function startMariaDb(dir: string): Promise<MariaDb> {
  mkdirSync(dir, { recursive: true });
  const datadir = join(dir, "data");
  const socketPath = join(dir, "mysqld.sock");
  const logPath = join(dir, "mariadb.log");
  // A private tmpdir: two bootstraps sharing TMPDIR (two suites starting at once)
  // were seen losing each other's Aria temporary tables ("Error on delete of
  // '#sql-temptable-...MAI'").
  const tmpdir = join(dir, "tmp");
  mkdirSync(tmpdir, { recursive: true });
  if (!existsSync(join(datadir, "mysql"))) {
    await run("mariadb-install-db", [
      "--no-defaults",
      `--datadir=${datadir}`,
      "--auth-root-authentication-method=normal",
      "--user=root",
      "--skip-test-db",
      `--tmpdir=${tmpdir}`,
    ]);
  }
  const port = await freePort();
  const daemon = spawnDaemon(
    "mariadb",
    "mariadbd",
    [
      "--no-defaults",
      `--datadir=${datadir}`,
      `--socket=${socketPath}`,
      `--tmpdir=${tmpdir}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      "--user=root",
      `--pid-file=${join(dir, "mariadb.pid")}`,
      "--skip-name-resolve",
      "--skip-log-bin",
      // Small and quick for a laptop or a CI runner; the schema and SQL are unchanged.
      "--innodb-buffer-pool-size=32M",
      "--innodb-flush-log-at-trx-commit=2",
      "--max-connections=500",
    ],
    logPath,
  );
  let exitedEarly = false;
  daemon.exited.then(() => {
    exitedEarly = true;
  });
  await waitFor(
    "MariaDB to accept connections",
    async () => {
      if (exitedEarly) {
        throw new Error(`mariadbd exited; see ${logPath}`);
      }
      const root = await mysql.createConnection({ socketPath, user: "root" });
      await root.end();
      return true;
    },
    60_000,
    150,
  );
  const root = await mysql.createConnection({ socketPath, user: "root" });
  try {
    await root.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
    for (const host of ["localhost", "127.0.0.1"]) {
      await root.query(`CREATE USER IF NOT EXISTS '${TRACKER_USER}'@'${host}' IDENTIFIED BY ?`, [
        TRACKER_PASSWORD,
      ]);
      await root.query(`GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${TRACKER_USER}'@'${host}'`);
    }
  } finally {
    await root.end();
  }
  return {
    socketPath,
    host: "127.0.0.1",
    port,
    user: TRACKER_USER,
    password: TRACKER_PASSWORD,
    database: DATABASE,
    logPath,
    daemon,
    stop: () => daemon.stop("SIGTERM", 30_000),
  };
}
