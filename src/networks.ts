// The storage networks a site allows: nginx proxies only to storage URLs whose
// host is an IPv4 address inside one of them. A tracker (or whoever controls its
// database) then cannot point nginx at an arbitrary host.

export type Network = { base: number; mask: number };

function ipv4(text: string): number | null {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!parts) {
    return null;
  }
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = parseInt(parts[i], 10);
    if (octet > 255) {
      return null;
    }
    value = value * 256 + octet;
  }
  return value;
}

function maskOf(bits: number): number {
  // 2^32 - 2^(32-bits), without 32-bit shifts that njs and Node would sign.
  return bits === 0 ? 0 : 4294967296 - 2 ** (32 - bits);
}

function masked(value: number, mask: number): number {
  // Bitwise AND on values above 2^31 goes through the high and low halves.
  const high = Math.floor(value / 65536) & Math.floor(mask / 65536);
  const low = (value % 65536) & (mask % 65536);
  return high * 65536 + low;
}

// "10.0.0.0/8 192.168.2.0/24 127.0.0.1" (spaces or commas) -> networks. Entries
// that do not parse are returned apart, for the caller to report.
export function parseNetworks(text: string): { networks: Network[]; invalid: string[] } {
  const networks: Network[] = [];
  const invalid: string[] = [];
  const entries = text.split(/[\s,]+/).filter((e) => e !== "");
  for (let i = 0; i < entries.length; i++) {
    const match = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(entries[i]);
    const address = match ? ipv4(match[1]) : null;
    const bits = match && match[2] !== undefined ? parseInt(match[2], 10) : 32;
    if (address === null || bits > 32) {
      invalid.push(entries[i]);
      continue;
    }
    const mask = maskOf(bits);
    networks.push({ base: masked(address, mask), mask: mask });
  }
  return { networks: networks, invalid: invalid };
}

// Whether the host of an http://host[:port]/ URL is inside one of the networks.
// An empty list allows every host; a host name never matches a non-empty list.
export function storageHostAllowed(url: string, networks: Network[]): boolean {
  if (networks.length === 0) {
    return true;
  }
  const host = /^http:\/\/([^/:]+)/.exec(url);
  const address = host ? ipv4(host[1]) : null;
  if (address === null) {
    return false;
  }
  for (let i = 0; i < networks.length; i++) {
    if (masked(address, networks[i].mask) === networks[i].base) {
      return true;
    }
  }
  return false;
}
