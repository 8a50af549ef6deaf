import type { Pool } from "mysql2/promise";
import { execute, isDuplicate, select, selectOne } from "./db";

// The row operations on a fid that several commands and workers share, written as
// MogileFS::Store does them so another tracker (or mogilefsd) reads the same state.

export type FileRow = {
  fid: string;
  dmid: string;
  dkey: string;
  length: string | null;
  classid: string;
  devcount: string;
};

export async function fileByKey(db: Pool, dmid: string, key: string): Promise<FileRow | undefined> {
  return (await selectOne(
    db,
    "SELECT fid, dmid, dkey, length, classid, devcount FROM file WHERE dmid = ? AND dkey = ?",
    [dmid, key],
  )) as FileRow | undefined;
}

export async function fileByFid(db: Pool, fid: string): Promise<FileRow | undefined> {
  return (await selectOne(
    db,
    "SELECT fid, dmid, dkey, length, classid, devcount FROM file WHERE fid = ?",
    [fid],
  )) as FileRow | undefined;
}

export async function devidsOf(db: Pool, fid: string): Promise<string[]> {
  return (await select(db, "SELECT devid FROM file_on WHERE fid = ? ORDER BY devid", [fid])).map(
    (r) => r.devid as string,
  );
}

export async function addFileOn(db: Pool, fid: string, devid: string): Promise<void> {
  await execute(db, "INSERT IGNORE INTO file_on (fid, devid) VALUES (?, ?)", [fid, devid]);
}

export async function updateDevcount(db: Pool, fid: string): Promise<void> {
  await execute(
    db,
    "UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = ?) WHERE fid = ?",
    [fid, fid],
  );
}

export async function enqueueForReplication(db: Pool, fid: string): Promise<void> {
  await execute(
    db,
    "INSERT IGNORE INTO file_to_replicate (fid, fromdevid, nexttry) VALUES (?, NULL, 0)",
    [fid],
  );
}

export async function enqueueForDelete(db: Pool, fid: string): Promise<void> {
  await execute(
    db,
    "INSERT IGNORE INTO file_to_delete2 (fid, nexttry) VALUES (?, UNIX_TIMESTAMP())",
    [fid],
  );
}

// FID->delete: the key is gone at once; the bytes on storage go in the background.
export async function deleteFid(db: Pool, fid: string): Promise<void> {
  await execute(db, "DELETE FROM file WHERE fid = ?", [fid]);
  await enqueueForDelete(db, fid);
}

export class DuplicateFid extends Error {}

// register_tempfile: an auto-increment fid, unless the caller asked for one. InnoDB
// may restart its counter below fids still in `file` (an emptied tempfile table and
// a server restart), so a fid already used is skipped by re-seeding past MAX(fid).
export async function registerTempfile(
  db: Pool,
  row: { fid?: string; dmid: string; key: string; classid: string; devids: string },
): Promise<string> {
  const insert = async (fid: string | undefined): Promise<string | undefined> => {
    const columns = ["dmid", "dkey", "classid", "devids", "createtime"];
    const values = ["?", "?", "?", "?", "UNIX_TIMESTAMP()"];
    const params: unknown[] = [row.dmid, row.key, row.classid, row.devids];
    if (fid) {
      columns.unshift("fid");
      values.unshift("?");
      params.unshift(fid);
    }
    try {
      const result = await execute(
        db,
        `INSERT INTO tempfile (${columns.join(",")}) VALUES (${values.join(",")})`,
        params,
      );
      return fid ?? String(result.insertId);
    } catch (e) {
      if (isDuplicate(e)) {
        return undefined;
      }
      throw e;
    }
  };
  const explicit = row.fid !== undefined;
  let fid = await insert(row.fid);
  if (fid === undefined) {
    throw new DuplicateFid();
  }
  for (;;) {
    const inUse = await selectOne(db, "SELECT COUNT(*) AS n FROM file WHERE fid = ?", [fid]);
    if (inUse?.n === "0") {
      return fid;
    }
    if (explicit) {
      throw new DuplicateFid();
    }
    const max = await selectOne(db, "SELECT MAX(fid) AS m FROM file");
    await insert(max?.m ?? undefined);
    fid = await insert(undefined);
    if (fid === undefined) {
      throw new Error("register_tempfile failed after seeding");
    }
  }
}
