import { type Args, err, ok } from "./codec";
import { type Handler, perlNumber } from "./context";
import { execute, isDuplicate, select, selectOne } from "./db";
import {
  classesOf,
  DEVICE_STATES,
  domainByName,
  HOST_STATES,
  loadDevices,
  loadHosts,
} from "./topology";

// The admin commands `mogadm` sends to set a cluster up, with mogilefsd's answers.

async function dmidOf(ctx: Parameters<Handler>[0], name: string): Promise<string | undefined> {
  return (await domainByName(ctx.db, name))?.dmid;
}

export const createDomain: Handler = async (ctx, args) => {
  const domain = args.domain;
  if (!domain || domain === "0") {
    return err("no_domain");
  }
  const max = await selectOne(ctx.db, "SELECT MAX(dmid) AS m FROM domain");
  try {
    await execute(ctx.db, "INSERT INTO domain (dmid, namespace) VALUES (?, ?)", [
      Number(max?.m ?? 0) + 1,
      domain,
    ]);
  } catch (e) {
    if (isDuplicate(e)) {
      return err("domain_exists");
    }
    throw e;
  }
  return ok({ domain });
};

export const deleteDomain: Handler = async (ctx, args) => {
  const domain = args.domain;
  if (!domain || domain === "0") {
    return err("no_domain");
  }
  const dmid = await dmidOf(ctx, domain);
  if (!dmid) {
    return err("domain_not_found");
  }
  if (await selectOne(ctx.db, "SELECT fid FROM file WHERE dmid = ? LIMIT 1", [dmid])) {
    return err("domain_has_files");
  }
  if (
    await selectOne(ctx.db, "SELECT classid FROM class WHERE dmid = ? AND classid != 0 LIMIT 1", [
      dmid,
    ])
  ) {
    return err("domain_has_classes");
  }
  await execute(ctx.db, "DELETE FROM domain WHERE dmid = ?", [dmid]);
  await execute(ctx.db, "DELETE FROM class WHERE dmid = ? AND classid = 0", [dmid]);
  return ok({ domain });
};

const REPLICATION_POLICIES = ["MultipleHosts", "MultipleDevices", "Union"];
const HASHTYPES: Record<string, string> = { MD5: "1" };

async function createOrUpdateClass(ctx: Parameters<Handler>[0], args: Args, update: boolean) {
  const domain = args.domain ?? "";
  if (domain.length === 0) {
    return err("no_domain");
  }
  const className = args.class ?? "";
  if (className.length === 0) {
    return err("no_class");
  }
  const mindevcount = Math.trunc(perlNumber(args.mindevcount));
  if (!(mindevcount > 0)) {
    return err("invalid_mindevcount");
  }
  const replpolicy = args.replpolicy && args.replpolicy !== "0" ? args.replpolicy : "";
  if (replpolicy) {
    const match = /^(\w+)\((.*)\)$/.exec(replpolicy);
    if (!match || !REPLICATION_POLICIES.includes(match[1])) {
      return err("invalid_replpolicy", `Failed to parse policy ${replpolicy}`);
    }
  }
  let hashtype: string | undefined = args.hashtype || undefined;
  if (hashtype && hashtype !== "NONE") {
    if (!HASHTYPES[hashtype]) {
      return err("invalid_hashtype");
    }
    hashtype = HASHTYPES[hashtype];
  }
  const dmid = await dmidOf(ctx, domain);
  if (!dmid) {
    return err("domain_not_found");
  }
  const stored = await selectOne(
    ctx.db,
    "SELECT classid FROM class WHERE dmid = ? AND classname = ?",
    [dmid, className],
  );
  let classid = stored?.classid ?? undefined;
  // The default class exists without a row; updating it creates the row (id 0).
  const updating = update && !(classid === undefined && className === "default");
  if (updating) {
    if (classid === undefined) {
      return err("class_not_found");
    }
  } else {
    if (className === "default") {
      classid = "0";
    } else {
      const max = await selectOne(ctx.db, "SELECT MAX(classid) AS m FROM class WHERE dmid = ?", [
        dmid,
      ]);
      classid = String(Number(max?.m ?? 0) + 1);
    }
    try {
      await execute(
        ctx.db,
        "INSERT INTO class (dmid, classid, classname, mindevcount) VALUES (?, ?, ?, 2)",
        [dmid, classid, className],
      );
    } catch (e) {
      if (isDuplicate(e)) {
        return err("class_exists");
      }
      throw e;
    }
  }
  await execute(ctx.db, "UPDATE class SET mindevcount = ? WHERE dmid = ? AND classid = ?", [
    mindevcount,
    dmid,
    classid,
  ]);
  if (replpolicy) {
    await execute(ctx.db, "UPDATE class SET replpolicy = ? WHERE dmid = ? AND classid = ?", [
      replpolicy,
      dmid,
      classid,
    ]);
  }
  if (hashtype) {
    await execute(ctx.db, "UPDATE class SET hashtype = ? WHERE dmid = ? AND classid = ?", [
      hashtype === "NONE" ? null : hashtype,
      dmid,
      classid,
    ]);
  }
  return ok({ class: className, mindevcount: String(mindevcount), domain });
}

export const createClass: Handler = (ctx, args) => createOrUpdateClass(ctx, args, false);
export const updateClassAdmin: Handler = (ctx, args) => createOrUpdateClass(ctx, args, true);

export const deleteClass: Handler = async (ctx, args) => {
  const domain = args.domain ?? "";
  if (domain.length === 0) {
    return err("no_domain");
  }
  const className = args.class ?? "";
  if (className.length === 0) {
    return err("no_class");
  }
  if (className === "default") {
    return err("nodel_default_class");
  }
  const dmid = await dmidOf(ctx, domain);
  if (!dmid) {
    return err("domain_not_found");
  }
  const cls = await selectOne(
    ctx.db,
    "SELECT classid FROM class WHERE dmid = ? AND classname = ?",
    [dmid, className],
  );
  if (!cls) {
    return err("class_not_found");
  }
  if (
    await selectOne(ctx.db, "SELECT fid FROM file WHERE dmid = ? AND classid = ? LIMIT 1", [
      dmid,
      cls.classid,
    ])
  ) {
    return err("class_has_files");
  }
  await execute(ctx.db, "DELETE FROM class WHERE dmid = ? AND classid = ?", [dmid, cls.classid]);
  return ok({ domain, class: className });
};

async function createOrUpdateHost(ctx: Parameters<Handler>[0], input: Args, update: boolean) {
  const args: Args = { ...input };
  const hostname = args.host;
  if (!hostname || hostname === "0") {
    return err("no_host");
  }
  const found = await selectOne(ctx.db, "SELECT hostid FROM host WHERE hostname = ?", [hostname]);
  let hostid = found?.hostid ?? undefined;
  if (update) {
    if (!hostid) {
      return err("host_not_found");
    }
  } else {
    if (hostid) {
      return err("host_exists");
    }
    if (!args.ip) {
      return err("no_ip");
    }
    if (!args.port) {
      return err("no_port");
    }
    args.status ||= "down";
  }
  if (args.status && !HOST_STATES.includes(args.status)) {
    return err("unknown_state");
  }
  try {
    if (!hostid) {
      const max = await selectOne(ctx.db, "SELECT MAX(hostid) AS m FROM host");
      hostid = String(Number(max?.m ?? 0) + 1);
      await execute(
        ctx.db,
        "INSERT INTO host (hostid, hostname, hostip, status) VALUES (?, ?, ?, 'down')",
        [hostid, hostname, args.ip],
      );
    }
    const columns: Record<string, string | undefined> = {
      status: args.status,
      hostip: args.ip,
      http_port: args.port,
      http_get_port: args.getport,
      altip: args.altip,
      altmask: args.altmask,
    };
    const names = Object.keys(columns)
      .filter((name) => columns[name] !== undefined)
      .sort();
    if (names.length > 0) {
      await execute(
        ctx.db,
        `UPDATE host SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE hostid = ?`,
        [...names.map((n) => columns[n]), hostid],
      );
    }
  } catch (e) {
    if (isDuplicate(e)) {
      return err("dup");
    }
    throw e;
  }
  return ok({ hostid, hostname });
}

export const createHost: Handler = (ctx, args) => createOrUpdateHost(ctx, args, false);
export const updateHost: Handler = (ctx, args) => createOrUpdateHost(ctx, args, true);

export const deleteHost: Handler = async (ctx, args) => {
  const host = await selectOne(ctx.db, "SELECT hostid FROM host WHERE hostname = ?", [
    args.host ?? "",
  ]);
  if (!host) {
    return err("unknown_host");
  }
  if (await selectOne(ctx.db, "SELECT devid FROM device WHERE hostid = ? LIMIT 1", [host.hostid])) {
    return err("host_not_empty");
  }
  await execute(ctx.db, "DELETE FROM host WHERE hostid = ?", [host.hostid]);
  return ok();
};

export const createDevice: Handler = async (ctx, args) => {
  const state = args.state || "alive";
  if (!DEVICE_STATES.includes(state)) {
    return err("invalid_state");
  }
  const devid = args.devid;
  if (!devid || devid === "0" || !/^\d+$/.test(devid)) {
    return err("invalid_devid");
  }
  let hostid: string | undefined;
  if (args.hostid && /^\d+$/.test(args.hostid)) {
    hostid =
      (await selectOne(ctx.db, "SELECT hostid FROM host WHERE hostid = ?", [args.hostid]))
        ?.hostid ?? undefined;
    if (!hostid) {
      return err("unknown_hostid");
    }
  } else if (args.hostname && args.hostname !== "0") {
    hostid =
      (await selectOne(ctx.db, "SELECT hostid FROM host WHERE hostname = ?", [args.hostname]))
        ?.hostid ?? undefined;
    if (!hostid) {
      return err("unknown_host");
    }
  } else {
    return err("bad_args", "No hostid/hostname parameter");
  }
  try {
    await execute(ctx.db, "INSERT INTO device (devid, hostid, status) VALUES (?, ?, ?)", [
      devid,
      hostid,
      state,
    ]);
  } catch (e) {
    if (isDuplicate(e)) {
      return err("existing_devid");
    }
    throw e;
  }
  return ok();
};

type DeviceChange = { column: "status" | "weight"; value: string | number };

async function changeDevice(
  ctx: Parameters<Handler>[0],
  hostname: string,
  devid: number,
  change: DeviceChange,
) {
  const device = (await loadDevices(ctx.db)).find((d) => d.devid === String(devid));
  if (!device) {
    return err("no_device");
  }
  if (device.host?.hostname !== hostname) {
    return err("host_mismatch");
  }
  if (change.column === "status" && device.status === "dead" && change.value === "alive") {
    return err("state_too_high");
  }
  await execute(ctx.db, `UPDATE device SET ${change.column} = ? WHERE devid = ?`, [
    change.value,
    device.devid,
  ]);
  return ok();
}

export const setState: Handler = async (ctx, args) => {
  const devid = Math.trunc(perlNumber(args.device));
  const state = args.state ?? "";
  if (!args.host || !devid || !DEVICE_STATES.includes(state)) {
    return err("bad_params");
  }
  return changeDevice(ctx, args.host, devid, { column: "status", value: state });
};

export const setWeight: Handler = async (ctx, args) => {
  const devid = Math.trunc(perlNumber(args.device));
  const weight = Math.trunc(perlNumber(args.weight));
  if (!args.host || !devid || !(weight >= 0)) {
    return err("bad_params");
  }
  return changeDevice(ctx, args.host, devid, { column: "weight", value: weight });
};

export const getDomains: Handler = async (ctx) => {
  const answer: Args = {};
  const domains = await select(ctx.db, "SELECT dmid, namespace FROM domain ORDER BY dmid");
  for (const [i, domain] of domains.entries()) {
    const n = i + 1;
    answer[`domain${n}`] = domain.namespace ?? "";
    const classes = await classesOf(ctx.db, domain.dmid ?? "");
    for (const [j, cls] of classes.entries()) {
      const prefix = `domain${n}class${j + 1}`;
      answer[`${prefix}name`] = cls.classname;
      answer[`${prefix}mindevcount`] = cls.mindevcount;
      answer[`${prefix}replpolicy`] = cls.replpolicy || "MultipleHosts()";
      answer[`${prefix}hashtype`] = cls.hashtype === "1" ? "MD5" : "NONE";
    }
    answer[`domain${n}classes`] = String(classes.length);
  }
  answer.domains = String(domains.length);
  return ok(answer);
};

export const getHosts: Handler = async (ctx, args) => {
  const answer: Args = {};
  let n = 0;
  for (const host of await loadHosts(ctx.db)) {
    if (args.hostid !== undefined && Number(host.hostid) !== perlNumber(args.hostid)) {
      continue;
    }
    n += 1;
    for (const [field, value] of Object.entries(host)) {
      answer[`host${n}_${field}`] = value ?? "";
    }
  }
  answer.hosts = String(n);
  return ok(answer);
};

export const getDevices: Handler = async (ctx, args) => {
  const answer: Args = {};
  let n = 0;
  for (const device of await loadDevices(ctx.db)) {
    if (args.devid !== undefined && Number(device.devid) !== perlNumber(args.devid)) {
      continue;
    }
    n += 1;
    const free =
      device.mb_total && device.mb_used !== null
        ? String(Number(device.mb_total) - Number(device.mb_used))
        : "";
    const fields: Record<string, string | null> = {
      devid: device.devid,
      hostid: device.hostid,
      status: device.status,
      weight: device.weight,
      mb_total: device.mb_total,
      mb_used: device.mb_used,
      mb_asof: device.mb_asof,
      observed_state: ctx.monitor.stateOf(device.devid) ?? null,
      utilization: null,
      reject_bad_md5: null,
      await: null,
      svctm: null,
      mb_free: free,
    };
    for (const [field, value] of Object.entries(fields)) {
      answer[`dev${n}_${field}`] = value ?? "";
    }
  }
  answer.devices = String(n);
  return ok(answer);
};

// mogadm runs these after changes; with no cache to clear they only answer.
export const clearCache: Handler = async () => ok();

export const replicateNow: Handler = async (ctx) => {
  const result = await execute(
    ctx.db,
    "UPDATE file_to_replicate SET nexttry = UNIX_TIMESTAMP() WHERE nexttry > UNIX_TIMESTAMP()",
  );
  return ok({ count: String(result.affectedRows) });
};
