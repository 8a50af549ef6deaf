import type { Pool } from "mysql2/promise";
import type { Row } from "./db";
import { execute } from "./db";
import { addFileOn, devidsOf, enqueueForDelete, fileByFid, updateDevcount } from "./fids";
import { copyFile, sizeOf } from "./http";
import { log } from "./log";
import type { Monitor } from "./monitor";
import { claimDue, reschedule, runEach } from "./queue";
import {
  classById,
  type Device,
  deviceCanReadFrom,
  deviceShouldGetNewFiles,
  deviceUrl,
  deviceWeight,
  hostCanReadFrom,
  loadDevices,
  weightedShuffle,
} from "./topology";

// Copies each file in file_to_replicate until it lives on its class's mindevcount
// devices: from a readable replica to a writeable device, on a host that holds no
// copy yet when there is one (MultipleHosts), else on another device anywhere.
export async function replicateRound(db: Pool, monitor: Monitor): Promise<void> {
  const due = await claimDue(db, "file_to_replicate", 50, "fromdevid, flags");
  if (due.length === 0) {
    return;
  }
  const devices = await loadDevices(db);
  await runEach(due, 8, async (row) => {
    try {
      const done = await replicateFid(db, monitor, devices, row.fid as string);
      if (done) {
        await execute(db, "DELETE FROM file_to_replicate WHERE fid = ?", [row.fid]);
      } else {
        await reschedule(db, "file_to_replicate", row.fid as string, Number(row.failcount));
      }
    } catch (e) {
      log(`replicate fid ${row.fid}: ${String(e)}`);
      await reschedule(db, "file_to_replicate", row.fid as string, Number((row as Row).failcount));
    }
  });
}

async function replicateFid(
  db: Pool,
  monitor: Monitor,
  devices: Device[],
  fid: string,
): Promise<boolean> {
  const file = await fileByFid(db, fid);
  if (!file) {
    return true;
  }
  const cls = await classById(db, file.dmid, file.classid);
  const wanted = Number(cls?.mindevcount ?? 2);
  const anyHost = cls?.replpolicy?.startsWith("MultipleDevices") ?? false;
  const byId = new Map(devices.map((d) => [d.devid, d]));
  const on = (await devidsOf(db, fid)).filter((id) => byId.get(id)?.status !== "dead");
  while (on.length < wanted) {
    const sources = on
      .map((id) => byId.get(id))
      .filter(
        (d): d is Device =>
          d !== undefined &&
          deviceCanReadFrom(d) &&
          hostCanReadFrom(d) &&
          monitor.isReadable(d.devid),
      );
    if (sources.length === 0) {
      await execute(
        db,
        "REPLACE INTO unreachable_fids (fid, lastupdate) VALUES (?, UNIX_TIMESTAMP())",
        [fid],
      );
      log(`replicate fid ${fid}: no readable source among devices ${on.join(",")}`);
      return false;
    }
    const usedHosts = new Set(on.map((id) => byId.get(id)?.hostid));
    const candidates = devices.filter(
      (d) => deviceShouldGetNewFiles(d) && monitor.isWriteable(d.devid) && !on.includes(d.devid),
    );
    const ideal = anyHost ? candidates : candidates.filter((d) => !usedHosts.has(d.hostid));
    const desperate = candidates.filter((d) => !ideal.includes(d));
    const destination =
      weightedShuffle(ideal, deviceWeight)[0] ?? weightedShuffle(desperate, deviceWeight)[0];
    if (!destination) {
      log(`replicate fid ${fid}: no device to copy to (on ${on.join(",")}, want ${wanted})`);
      return false;
    }
    const source = weightedShuffle(sources, deviceWeight)[0];
    const from = deviceUrl(source, fid, true);
    const to = deviceUrl(destination, fid);
    await copyFile(from, to);
    const check = await sizeOf(to);
    if (!("size" in check) || String(check.size) !== (file.length ?? "")) {
      throw new Error(`copy of fid ${fid} to ${to} has the wrong size`);
    }
    await addFileOn(db, fid, destination.devid);
    on.push(destination.devid);
    log(`replicate fid ${fid}: dev${source.devid} -> dev${destination.devid}`);
    // The key may have been deleted while the bytes were in flight: the new copy
    // must then go the way of the others.
    if (!(await fileByFid(db, fid))) {
      await enqueueForDelete(db, fid);
      return true;
    }
    await updateDevcount(db, fid);
  }
  return true;
}
