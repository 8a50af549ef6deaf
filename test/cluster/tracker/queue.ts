import type { Pool } from "mysql2/promise";
import { type Row, select, withLock } from "./db";

// grab_queue_chunk: take due rows of a queue table and push their nexttry far ahead
// in one transaction, under a named lock, so two trackers never work the same fid.
// A tracker that dies mid-work leaves the rows to come due again later.
export async function claimDue(
  pool: Pool,
  queue: string,
  limit: number,
  fields = "",
): Promise<Row[]> {
  const rows = await withLock(pool, `mfsd:${queue}`, 2, async (conn) => {
    await conn.beginTransaction();
    try {
      const due = await select(
        conn,
        `SELECT fid, nexttry, failcount${fields ? `, ${fields}` : ""} FROM ${queue}
         WHERE nexttry <= UNIX_TIMESTAMP() ORDER BY nexttry LIMIT ${limit} FOR UPDATE`,
      );
      if (due.length > 0) {
        await conn.query(`UPDATE ${queue} SET nexttry = UNIX_TIMESTAMP() + 1000 WHERE fid IN (?)`, [
          due.map((r) => r.fid),
        ]);
      }
      await conn.commit();
      return due;
    } catch (e) {
      await conn.rollback().catch(() => undefined);
      throw e;
    }
  });
  return rows ?? [];
}

// Retry later, waiting longer after each failure (1, 2, 4 ... 30 s): short enough
// that a storage node back from a restart is caught up within a test's patience.
export async function reschedule(
  pool: Pool,
  queue: string,
  fid: string,
  failcount: number,
): Promise<void> {
  const delay = Math.min(2 ** Math.min(failcount, 5), 30);
  await pool.query(
    `UPDATE ${queue} SET nexttry = UNIX_TIMESTAMP() + ?, failcount = LEAST(failcount + 1, 255) WHERE fid = ?`,
    [delay, fid],
  );
}

export async function runEach<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(workers);
}
