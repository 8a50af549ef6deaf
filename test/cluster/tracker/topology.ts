import type { Pool } from "mysql2/promise";
import { type Row, select } from "./db";

// Hosts, devices, domains and classes, read from the database on every use: several
// trackers share one database, so none may trust what it read a moment ago.

export type Host = {
  hostid: string;
  status: string;
  hostname: string;
  hostip: string;
  http_port: string;
  http_get_port: string | null;
  altip: string | null;
  altmask: string | null;
};

export type Device = {
  devid: string;
  hostid: string;
  status: string;
  weight: string | null;
  mb_total: string | null;
  mb_used: string | null;
  mb_asof: string | null;
  host: Host | undefined;
};

export async function loadHosts(db: Pool): Promise<Host[]> {
  const rows = await select(
    db,
    "SELECT hostid, status, hostname, hostip, http_port, http_get_port, altip, altmask FROM host ORDER BY hostid",
  );
  return rows as unknown as Host[];
}

export async function loadDevices(db: Pool): Promise<Device[]> {
  const hosts = new Map((await loadHosts(db)).map((h) => [h.hostid, h]));
  const rows = await select(
    db,
    "SELECT devid, hostid, status, weight, mb_total, mb_used, mb_asof FROM device ORDER BY devid",
  );
  return rows.map((r: Row) => ({ ...(r as unknown as Device), host: hosts.get(r.hostid ?? "") }));
}

// DevFID->url: the padded fid's first 1, 3 and 3 digits make the directories.
export function fidPath(devid: string, fid: string): string {
  const padded = fid.padStart(10, "0");
  return `/dev${devid}/${padded.slice(0, 1)}/${padded.slice(1, 4)}/${padded.slice(4, 7)}/${padded}.fid`;
}

export function deviceUrl(device: Device, fid: string, forReading = false): string {
  const host = device.host as Host;
  const port = forReading && host.http_get_port ? host.http_get_port : host.http_port;
  return `http://${host.hostip}:${port}${fidPath(device.devid, fid)}`;
}

// Device states as MogileFS::DeviceState defines them.
export const DEVICE_STATES = ["alive", "dead", "down", "readonly", "drain"];
export const HOST_STATES = ["alive", "dead", "down", "readonly"];

export function deviceCanReadFrom(device: Device): boolean {
  return ["alive", "readonly", "drain"].includes(device.status);
}

export function hostCanReadFrom(device: Device): boolean {
  return device.host !== undefined && ["alive", "readonly"].includes(device.host.status);
}

export function deviceShouldGetNewFiles(device: Device): boolean {
  return device.status === "alive" && device.host?.status === "alive";
}

export type Domain = { dmid: string; namespace: string };
export type Class = {
  dmid: string;
  classid: string;
  classname: string;
  mindevcount: string;
  replpolicy: string | null;
  hashtype: string | null;
};

export async function domainByName(db: Pool, name: string): Promise<Domain | undefined> {
  const rows = await select(db, "SELECT dmid, namespace FROM domain WHERE namespace = ?", [name]);
  return rows[0] as unknown as Domain | undefined;
}

// Every domain has a class `default` (id 0) with mindevcount 2, stored or not; a
// stored row (made by `update_class class=default`) overrides it.
export function implicitDefaultClass(dmid: string): Class {
  return {
    dmid,
    classid: "0",
    classname: "default",
    mindevcount: "2",
    replpolicy: null,
    hashtype: null,
  };
}

export async function classesOf(db: Pool, dmid: string): Promise<Class[]> {
  const rows = (await select(
    db,
    "SELECT dmid, classid, classname, mindevcount, replpolicy, hashtype FROM class WHERE dmid = ? ORDER BY classid",
    [dmid],
  )) as unknown as Class[];
  if (!rows.some((c) => c.classid === "0")) {
    rows.unshift(implicitDefaultClass(dmid));
  }
  return rows;
}

export async function classByName(
  db: Pool,
  dmid: string,
  name: string,
): Promise<Class | undefined> {
  return (await classesOf(db, dmid)).find((c) => c.classname === name);
}

export async function classById(
  db: Pool,
  dmid: string,
  classid: string,
): Promise<Class | undefined> {
  return (await classesOf(db, dmid)).find((c) => c.classid === classid);
}

// MogileFS::Util::weighted_list: a random order where heavier items tend to come first.
export function weightedShuffle<T>(items: T[], weightOf: (item: T) => number): T[] {
  const left = items.map((item) => ({ item, weight: Math.max(weightOf(item), 0) }));
  const out: T[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, e) => sum + e.weight, 0);
    let index = 0;
    if (total > 0) {
      let pick = Math.random() * total;
      index = left.findIndex((e) => {
        pick -= e.weight;
        return pick < 0;
      });
      if (index < 0) {
        index = left.length - 1;
      }
    } else {
      index = Math.floor(Math.random() * left.length);
    }
    out.push(left[index].item);
    left.splice(index, 1);
  }
  return out;
}

export function deviceWeight(device: Device): number {
  const weight = device.weight === null ? 100 : Number(device.weight);
  return weight || 100;
}
