import { type Answer, type Args, err, ok } from "./codec";
import { type Context, type Handler, perlNumber, validKey } from "./context";
import { execute, isDataTooLong, isDuplicate, select, selectOne } from "./db";
import {
  addFileOn,
  DuplicateFid,
  deleteFid,
  devidsOf,
  enqueueForReplication,
  type FileRow,
  fileByKey,
  registerTempfile,
} from "./fids";
import { md5Of, sizeOf } from "./http";
import { log, show } from "./log";
import {
  classById,
  classByName,
  type Device,
  deviceCanReadFrom,
  deviceShouldGetNewFiles,
  deviceUrl,
  deviceWeight,
  domainByName,
  hostCanReadFrom,
  loadDevices,
  weightedShuffle,
} from "./topology";

// The commands a client (a gateway, MogileFS::Client) sends about files, with the
// checks in the order mogilefsd makes them, so the same request gets the same error.

type Checked = { dmid: string } | { answer: Answer };

async function checkDomain(ctx: Context, args: Args): Promise<Checked> {
  const name = args.domain;
  if (name === undefined || name === "") {
    return { answer: err("no_domain") };
  }
  const domain = await domainByName(ctx.db, name);
  return domain ? { dmid: domain.dmid } : { answer: err("unreg_domain") };
}

// Domain, then key, then the file itself: the checks get_paths, delete and
// file_info make, in that order.
async function checkFile(
  ctx: Context,
  args: Args,
): Promise<{ file: FileRow } | { answer: Answer }> {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain;
  }
  if (!validKey(args.key)) {
    return { answer: err("no_key") };
  }
  const file = await fileByKey(ctx.db, domain.dmid, args.key);
  return file ? { file } : { answer: err("unknown_key") };
}

export const getPaths: Handler = async (ctx, args) => {
  const checked = await checkFile(ctx, args);
  if ("answer" in checked) {
    return checked.answer;
  }
  const file = checked.file;
  let pathcount = perlNumber(args.pathcount) || 2;
  if (pathcount < 2) {
    pathcount = 2;
  }
  const devids = await devidsOf(ctx.db, file.fid);
  const byId = new Map((await loadDevices(ctx.db)).map((d) => [d.devid, d]));
  const devices = devids
    .map((id) => byId.get(id))
    .filter((d): d is Device => d?.host !== undefined);
  const answer: Args = {};
  let count = 0;
  let backup: string | undefined;
  const draining: string[] = [];
  for (const device of weightedShuffle(devices, deviceWeight)) {
    const path = deviceUrl(device, file.fid, true);
    if (
      !deviceCanReadFrom(device) ||
      !hostCanReadFrom(device) ||
      !ctx.monitor.isReadable(device.devid)
    ) {
      backup = path;
      continue;
    }
    // Only the first path is verified, and never when the client said noverify.
    if (count === 0 && !args.noverify) {
      const check = await sizeOf(path);
      if (!("size" in check) || String(check.size) !== (file.length ?? "")) {
        continue;
      }
    }
    if (device.status === "drain") {
      draining.push(path);
      continue;
    }
    count += 1;
    answer[`path${count}`] = path;
    if (count === pathcount) {
      break;
    }
  }
  for (const path of draining) {
    if (count >= pathcount) {
      break;
    }
    count += 1;
    answer[`path${count}`] = path;
  }
  if (count === 0 && backup) {
    count = 1;
    answer.path1 = backup;
  }
  answer.paths = String(count);
  return ok(answer);
};

// Distinct hosts first, so multi_dest offers a fallback that does not share the
// first destination's fate; then any other writeable device.
function pickDestinations(devices: Device[], wanted: number): Device[] {
  const chosen: Device[] = [];
  const ordered = weightedShuffle(devices, deviceWeight);
  for (const device of ordered) {
    if (chosen.length < wanted && !chosen.some((c) => c.hostid === device.hostid)) {
      chosen.push(device);
    }
  }
  for (const device of ordered) {
    if (chosen.length < wanted && !chosen.includes(device)) {
      chosen.push(device);
    }
  }
  return chosen;
}

export const createOpen: Handler = async (ctx, args) => {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain.answer;
  }
  const key = args.key || "";
  const multi = Boolean(args.multi_dest) && args.multi_dest !== "0";
  const explicitFid = perlNumber(args.fid) ? String(Math.trunc(perlNumber(args.fid))) : undefined;
  // Class id 0 counts as "not found" here: `class=default` is refused, exactly as
  // mogilefsd does; clients leave `class` empty for the default class.
  let classid = "0";
  const className = args.class || "";
  if (className.length > 0) {
    const cls = await classByName(ctx.db, domain.dmid, className);
    if (!cls || cls.classid === "0") {
      return err("unreg_class");
    }
    classid = cls.classid;
  }
  const all = await loadDevices(ctx.db);
  await ctx.monitor.observeUnknown(all.filter(deviceShouldGetNewFiles));
  const writeable = all.filter(
    (d) => deviceShouldGetNewFiles(d) && ctx.monitor.isWriteable(d.devid),
  );
  const destinations = pickDestinations(writeable, multi ? 3 : 1);
  if (destinations.length === 0) {
    return err("no_devices");
  }
  let fid: string;
  try {
    fid = await registerTempfile(ctx.db, {
      fid: explicitFid,
      dmid: domain.dmid,
      key,
      classid,
      devids: destinations.map((d) => d.devid).join(","),
    });
  } catch (e) {
    if (e instanceof DuplicateFid) {
      return err("fid_in_use");
    }
    log(`create_open: tempfile insert failed for key ${show(key)}: ${String(e)}`);
    return err("db");
  }
  const answer: Args = { fid };
  if (multi) {
    destinations.forEach((device, i) => {
      answer[`devid_${i + 1}`] = device.devid;
      answer[`path_${i + 1}`] = deviceUrl(device, fid);
    });
    answer.dev_count = String(destinations.length);
  } else {
    answer.devid = destinations[0].devid;
    answer.path = deviceUrl(destinations[0], fid);
  }
  return ok(answer);
};

const HASHTYPES: Record<string, number> = { MD5: 1 };

export const createClose: Handler = async (ctx, args) => {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain.answer;
  }
  const { key, fid, devid, path } = args;
  if (!fid || fid === "0") {
    return err("no_fid");
  }
  if (!devid || devid === "0") {
    return err("no_devid");
  }
  if (!path || path === "0") {
    return err("no_path");
  }
  let checksum: { type: number; name: string; hex: string } | undefined;
  if (args.checksum) {
    const match = /^(\w+):([a-fA-F0-9]{32,128})$/.exec(args.checksum);
    const type = match ? HASHTYPES[match[1]] : undefined;
    if (!match || !type || match[2].length !== 32) {
      return err("invalid_checksum_format");
    }
    checksum = { type, name: match[1], hex: match[2].toLowerCase() };
  }
  const device = (await loadDevices(ctx.db)).find((d) => d.devid === devid);
  if (!device?.host || path !== deviceUrl(device, fid)) {
    return err("bogus_args");
  }
  // Whoever deletes the tempfile row owns the close; a second close finds none.
  const temp = await selectOne(
    ctx.db,
    "SELECT classid, dmid, dkey, devids FROM tempfile WHERE fid = ?",
    [fid],
  );
  const taken = await execute(ctx.db, "DELETE FROM tempfile WHERE fid = ?", [fid]);
  if (!temp || taken.affectedRows === 0) {
    return err("no_temp_file");
  }
  // Whatever was uploaded for a close that fails is deleted, not left orphaned.
  const failed = async () => {
    await addFileOn(ctx.db, fid, devid);
    await deleteFid(ctx.db, fid);
  };
  if (!(temp.devids ?? "").split(",").includes(devid)) {
    await failed();
    return err(
      "invalid_destdev",
      `File uploaded to invalid dest ${devid}. Valid devices were: ${temp.devids}`,
    );
  }
  if (!validKey(key)) {
    await failed();
    return ok();
  }
  const expected = perlNumber(args.size) || -1;
  const stored = await sizeOf(path);
  if (!("size" in stored) || stored.size < 0) {
    const type = "unreachable" in stored ? "cantreach" : "missing";
    const error = "error" in stored ? stored.error : "";
    await failed();
    return err(
      "size_verify_error",
      `Expected: ${expected}; actual: 0 (${type}); path: ${path}; error: ${error}`,
    );
  }
  if (expected > -1 && expected !== stored.size) {
    await failed();
    return err("size_mismatch", `Expected: ${expected}; actual: ${stored.size}; path: ${path}`);
  }
  if (checksum && args.checksumverify) {
    const actual = await md5Of(path);
    if (actual !== checksum.hex) {
      await failed();
      return err(
        "checksum_mismatch",
        `Expected: ${checksum.name}:${checksum.hex}; actual: ${checksum.name}:${actual}; path: ${path}`,
      );
    }
  }
  const old = await fileByKey(ctx.db, domain.dmid, key);
  if (old) {
    if (old.fid === fid) {
      return err("fid_exists");
    }
    // An overwrite: the key moves to the new fid, the old fid's bytes are deleted.
    await deleteFid(ctx.db, old.fid);
  }
  await addFileOn(ctx.db, fid, devid);
  const classid = temp.classid ?? "0";
  if (checksum) {
    const cls = await classById(ctx.db, domain.dmid, classid);
    if (cls?.hashtype && Number(cls.hashtype) === checksum.type) {
      await execute(ctx.db, "REPLACE INTO checksum (fid, hashtype, checksum) VALUES (?, ?, ?)", [
        fid,
        checksum.type,
        Buffer.from(checksum.hex, "hex"),
      ]);
    }
  }
  await execute(
    ctx.db,
    "REPLACE INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (?, ?, ?, ?, ?, 1)",
    [fid, domain.dmid, key, stored.size, classid],
  );
  await enqueueForReplication(ctx.db, fid);
  return ok();
};

export const deleteKey: Handler = async (ctx, args) => {
  const checked = await checkFile(ctx, args);
  if ("answer" in checked) {
    return checked.answer;
  }
  await deleteFid(ctx.db, checked.file.fid);
  return ok();
};

export const fileInfo: Handler = async (ctx, args) => {
  const checked = await checkFile(ctx, args);
  if ("answer" in checked) {
    return checked.answer;
  }
  const file = checked.file;
  const cls = await classById(ctx.db, file.dmid, file.classid);
  if (!cls) {
    return err("failure");
  }
  const answer: Args = {
    fid: file.fid,
    domain: args.domain,
    class: cls.classname,
    key: args.key,
    length: file.length ?? "",
    devcount: file.devcount,
  };
  if (cls.hashtype && cls.hashtype !== "0") {
    const row = await selectOne(ctx.db, "SELECT HEX(checksum) AS hex FROM checksum WHERE fid = ?", [
      file.fid,
    ]);
    answer.checksum = row?.hex ? `MD5:${row.hex.toLowerCase()}` : "MISSING";
  }
  if (args.devices && args.devices !== "0") {
    answer.devids = (await devidsOf(ctx.db, file.fid)).join(",");
  }
  return ok(answer);
};

export const listKeys: Handler = async (ctx, args) => {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain.answer;
  }
  const prefix = args.prefix ?? "";
  const after = args.after ?? "";
  if (prefix !== "" && after && after !== "0" && !after.startsWith(prefix)) {
    return err("after_mismatch");
  }
  let limit = Math.trunc(perlNumber(args.limit)) || 1000;
  if (limit > 1000) {
    limit = 1000;
  }
  if (limit <= 0) {
    return err("none_match");
  }
  const like = `${prefix.replace(/([%\\_])/g, "\\$1")}%`;
  const rows = await select(
    ctx.db,
    `SELECT dkey FROM file WHERE dmid = ? AND dkey LIKE ? ESCAPE '\\\\' AND dkey > ? ORDER BY dkey LIMIT ${limit}`,
    [domain.dmid, like, after],
  );
  if (rows.length === 0) {
    return err("none_match");
  }
  const answer: Args = {};
  let nextAfter = "";
  rows.forEach((row, i) => {
    const key = row.dkey ?? "";
    answer[`key_${i + 1}`] = key;
    if (key > nextAfter) {
      nextAfter = key;
    }
  });
  answer.key_count = String(rows.length);
  answer.next_after = nextAfter;
  return ok(answer);
};

export const rename: Handler = async (ctx, args) => {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain.answer;
  }
  if (!validKey(args.from_key) || !validKey(args.to_key)) {
    return err("no_key");
  }
  const file = await fileByKey(ctx.db, domain.dmid, args.from_key);
  if (!file) {
    return err("unknown_key");
  }
  try {
    await execute(ctx.db, "UPDATE file SET dkey = ? WHERE fid = ?", [args.to_key, file.fid]);
  } catch (e) {
    if (isDuplicate(e)) {
      // mogilefsd sends this ERR and then an OK line too (a bug); one answer only here.
      return err("key_exists");
    }
    if (isDataTooLong(e)) {
      return err("failure");
    }
    throw e;
  }
  return ok();
};

export const updateClass: Handler = async (ctx, args) => {
  const domain = await checkDomain(ctx, args);
  if ("answer" in domain) {
    return domain.answer;
  }
  if (!validKey(args.key)) {
    return err("no_key");
  }
  if (!args.class || args.class === "0") {
    return err("no_class");
  }
  const cls = await classByName(ctx.db, domain.dmid, args.class);
  if (!cls) {
    return err("class_not_found");
  }
  const file = await fileByKey(ctx.db, domain.dmid, args.key);
  if (!file) {
    return err("invalid_key");
  }
  if ((await devidsOf(ctx.db, file.fid)).length === 0) {
    return err("no_devices");
  }
  if (file.classid !== cls.classid) {
    await execute(ctx.db, "UPDATE file SET classid = ? WHERE fid = ?", [cls.classid, file.fid]);
    await enqueueForReplication(ctx.db, file.fid);
  }
  return ok();
};

export const noop: Handler = async () => ok();
