import type { Pool } from "mysql2/promise";
import { execute, select } from "./db";
import { addFileOn, devidsOf, enqueueForDelete, fileByFid } from "./fids";
import { request } from "./http";
import { log } from "./log";
import { claimDue, reschedule, runEach } from "./queue";
import { deviceUrl, loadDevices } from "./topology";

// Removes deleted and overwritten fids from storage (file_to_delete2): an HTTP
// DELETE per replica, where 404 counts as done, then the fid's last rows.
export async function deleteRound(db: Pool): Promise<void> {
  const due = await claimDue(db, "file_to_delete2", 100);
  if (due.length === 0) {
    return;
  }
  const byId = new Map((await loadDevices(db)).map((d) => [d.devid, d]));
  await runEach(due, 8, async (row) => {
    const fid = row.fid as string;
    try {
      if (await fileByFid(db, fid)) {
        // The fid is live again (a stale queue row): nothing to delete.
        await execute(db, "DELETE FROM file_to_delete2 WHERE fid = ?", [fid]);
        return;
      }
      let failed = false;
      for (const devid of await devidsOf(db, fid)) {
        const device = byId.get(devid);
        if (device?.host && device.status !== "dead") {
          const url = deviceUrl(device, fid);
          const res = await request("DELETE", url, { timeoutMs: 5000 }).catch((e: Error) => e);
          if (
            res instanceof Error ||
            !(res.status === 404 || (res.status >= 200 && res.status < 300))
          ) {
            log(`delete fid ${fid}: ${url}: ${res instanceof Error ? res.message : res.status}`);
            failed = true;
            continue;
          }
        }
        await execute(db, "DELETE FROM file_on WHERE fid = ? AND devid = ?", [fid, devid]);
      }
      if (failed) {
        await reschedule(db, "file_to_delete2", fid, Number(row.failcount));
        return;
      }
      await execute(db, "DELETE FROM checksum WHERE fid = ?", [fid]);
      await execute(db, "DELETE FROM tempfile WHERE fid = ?", [fid]);
      await execute(db, "DELETE FROM file_to_delete2 WHERE fid = ?", [fid]);
      log(`delete fid ${fid}: done`);
    } catch (e) {
      log(`delete fid ${fid}: ${String(e)}`);
      await reschedule(db, "file_to_delete2", fid, Number(row.failcount));
    }
  });
}

// Abandoned create_open calls: tempfile rows older than maxAgeSeconds are taken
// (whoever deletes the row owns it), and whatever may have been uploaded to their
// devices is queued for deletion.
export async function reapTempfiles(db: Pool, maxAgeSeconds: number): Promise<void> {
  const old = await select(
    db,
    "SELECT fid, devids FROM tempfile WHERE createtime < UNIX_TIMESTAMP() - ? LIMIT 50",
    [maxAgeSeconds],
  );
  for (const row of old) {
    const fid = row.fid as string;
    const taken = await execute(db, "DELETE FROM tempfile WHERE fid = ?", [fid]);
    if (taken.affectedRows === 0) {
      continue;
    }
    for (const devid of (row.devids ?? "").split(",").filter((d) => /^\d+$/.test(d))) {
      await addFileOn(db, fid, devid);
    }
    await enqueueForDelete(db, fid);
    log(`reap tempfile fid ${fid}`);
  }
}
