import mysql, { type Pool, type PoolConnection } from "mysql2/promise";

export type DbOptions = {
  socketPath?: string;
  host?: string;
  port?: number;
  user: string;
  password: string;
  database: string;
};

export type Row = Record<string, string | null>;

// The connection speaks `binary`: keys are bytes, and the tracker's strings are
// byte strings (latin1 in JS), so nothing is transcoded on the way in or out.
// BIGINT fids come back as decimal strings; a fid may outgrow 2^53.
export function createDbPool(options: DbOptions): Pool {
  return mysql.createPool({
    ...options,
    charset: "BINARY",
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectionLimit: 20,
    typeCast(field, next) {
      if (
        field.type === "VAR_STRING" ||
        field.type === "STRING" ||
        field.type === "BLOB" ||
        field.type === "VARCHAR" ||
        field.type === "ENUM"
      ) {
        const buffer = field.buffer();
        return buffer === null ? null : buffer.toString("latin1");
      }
      const value = next();
      return typeof value === "number" ? String(value) : value;
    },
  });
}

// InnoDB picks a victim when concurrent statements deadlock (1213) or waits too
// long (1205). A statement on the pool runs alone in autocommit, so it can simply
// run again, as MogileFS::Store's retry_on_deadlock does; inside a transaction
// (a PoolConnection) the whole transaction is gone and the error must surface.
const RETRYABLE = [1213, 1205];

async function query(db: Pool | PoolConnection, sql: string, params: unknown[]): Promise<unknown> {
  const onPool = !("release" in db);
  for (let attempt = 1; ; attempt++) {
    try {
      const [result] = await db.query(sql, params);
      return result;
    } catch (e) {
      const errno = (e as { errno?: number }).errno ?? 0;
      if (!onPool || !RETRYABLE.includes(errno) || attempt >= 5) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

export async function select(
  db: Pool | PoolConnection,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  return (await query(db, sql, params)) as Row[];
}

export async function selectOne(
  db: Pool | PoolConnection,
  sql: string,
  params: unknown[] = [],
): Promise<Row | undefined> {
  return (await select(db, sql, params))[0];
}

export type Result = { affectedRows: number; insertId: number | string };

export async function execute(
  db: Pool | PoolConnection,
  sql: string,
  params: unknown[] = [],
): Promise<Result> {
  return (await query(db, sql, params)) as Result;
}

export function isDuplicate(e: unknown): boolean {
  return (e as { errno?: number }).errno === 1062;
}

export function isDataTooLong(e: unknown): boolean {
  return (e as { errno?: number }).errno === 1406;
}

// A MySQL named lock lives on one connection, so the work it guards runs on that
// connection too.
export async function withLock<T>(
  pool: Pool,
  name: string,
  timeoutSeconds: number,
  work: (conn: PoolConnection) => Promise<T>,
): Promise<T | undefined> {
  const conn = await pool.getConnection();
  try {
    const got = await selectOne(conn, "SELECT GET_LOCK(?, ?) AS got", [name, timeoutSeconds]);
    if (got?.got !== "1") {
      return undefined;
    }
    try {
      return await work(conn);
    } finally {
      await conn.query("SELECT RELEASE_LOCK(?)", [name]);
    }
  } finally {
    conn.release();
  }
}
