// The storage allow-list. Runs in vitest and in the njs engine.
import { describe, expect, test } from "vitest";
import { parseNetworks, storageHostAllowed } from "../../src/networks";

describe("parseNetworks", () => {
  test("reads CIDR blocks and single addresses, and names what does not parse", () => {
    const parsed = parseNetworks("10.0.0.0/8, 192.168.2.0/24 127.0.0.2 300.1.1.1 10.0.0.0/33 host");
    expect(parsed.networks.length).toBe(3);
    expect(parsed.invalid).toEqual(["300.1.1.1", "10.0.0.0/33", "host"]);
  });
});

describe("storageHostAllowed", () => {
  const networks = parseNetworks("10.0.0.0/8 192.168.2.0/24 127.0.0.2").networks;

  test("allows hosts inside the networks, with or without a port", () => {
    expect(storageHostAllowed("http://10.200.3.4:7500/dev1/x.fid", networks)).toBe(true);
    expect(storageHostAllowed("http://192.168.2.77/dev1/x.fid", networks)).toBe(true);
    expect(storageHostAllowed("http://127.0.0.2:7500/dev1/x.fid", networks)).toBe(true);
  });

  test("refuses hosts outside them, host names, and the high half of the address space", () => {
    expect(storageHostAllowed("http://192.168.3.1:7500/x", networks)).toBe(false);
    expect(storageHostAllowed("http://127.0.0.3:7500/x", networks)).toBe(false);
    expect(storageHostAllowed("http://169.254.169.254/latest", networks)).toBe(false);
    expect(storageHostAllowed("http://storage.example:7500/x", networks)).toBe(false);
    expect(
      storageHostAllowed("http://255.255.255.255/x", parseNetworks("255.255.255.0/24").networks),
    ).toBe(true);
    expect(
      storageHostAllowed("http://255.255.254.1/x", parseNetworks("255.255.255.0/24").networks),
    ).toBe(false);
  });

  test("allows everything when no network is configured", () => {
    expect(storageHostAllowed("http://storage.example:7500/x", [])).toBe(true);
  });

  test("a /0 allows every address but still no host name", () => {
    const all = parseNetworks("0.0.0.0/0").networks;
    expect(storageHostAllowed("http://8.8.8.8/x", all)).toBe(true);
    expect(storageHostAllowed("http://h/x", all)).toBe(false);
  });
});
