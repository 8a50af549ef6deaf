// How a read that nginx could not serve alone is answered.
// Runs in vitest and, bundled, in the njs engine: keep to the njs subset.
import { describe, expect, test } from "vitest";
import { allowHeader, decideFailure, type ReadState, statusEntries } from "../../src/failure";

function state(changes: { [k: string]: unknown }): ReadState {
  const base: { [k: string]: unknown } = {
    method: "GET",
    domain: "files",
    key: "a/b.jpg",
    requestProblem: "",
    methodAllowed: true,
    allowedMethods: "",
    lookupStatus: "200",
    lookupCache: "MISS",
    trackerError: "",
    tracker: "127.0.0.1:7001",
    pathCount: 2,
    storageStatus: "",
    fresh: false,
  };
  const names = Object.keys(changes);
  for (let i = 0; i < names.length; i++) {
    base[names[i]] = changes[names[i]];
  }
  return base as ReadState;
}

function status(s: ReadState): number | string {
  const d = decideFailure(s);
  return d.action === "respond" ? d.status : d.action;
}

describe("decideFailure", () => {
  test("405 with an Allow header for a method the location does not allow", () => {
    const d = decideFailure(state({ method: "PUT", methodAllowed: false, allowedMethods: "get" }));
    expect(d.action === "respond" && d.status).toBe(405);
    expect(d.action === "respond" && d.allow).toBe("GET, HEAD");
  });

  test("400 naming the problem for a request refused before lookup", () => {
    const d = decideFailure(state({ requestProblem: "empty key", pathCount: 0 }));
    expect(d.action === "respond" && d.status).toBe(400);
    expect(d.action === "respond" && d.body).toBe("Bad Request: empty key\n");
  });

  test("maps the tracker's error codes", () => {
    expect(status(state({ pathCount: 0, trackerError: "unknown_key", lookupStatus: "401" }))).toBe(
      404,
    );
    expect(status(state({ pathCount: 0, trackerError: "unreg_domain" }))).toBe(500);
    expect(status(state({ pathCount: 0, trackerError: "no_devices" }))).toBe(503);
    expect(status(state({ pathCount: 0, trackerError: "no_paths" }))).toBe(503);
    expect(status(state({ pathCount: 0, trackerError: "no_key" }))).toBe(400);
    expect(status(state({ pathCount: 0, trackerError: "failure" }))).toBe(502);
  });

  test("names the domain in the log line for unreg_domain", () => {
    const d = decideFailure(state({ pathCount: 0, trackerError: "unreg_domain" }));
    expect(d.action === "respond" && d.log).toContain('domain "files"');
    expect(d.action === "respond" && d.level).toBe("error");
  });

  test("502 when no tracker answered, 504 when one timed out", () => {
    expect(status(state({ pathCount: 0, lookupStatus: "502, 502" }))).toBe(502);
    expect(status(state({ pathCount: 0, lookupStatus: "" }))).toBe(502);
    expect(status(state({ pathCount: 0, lookupStatus: "504, 504" }))).toBe(504);
    expect(status(state({ pathCount: 0, lookupStatus: "502, 504" }))).toBe(504);
    expect(status(state({ pathCount: 0, lookupStatus: "504, 502" }))).toBe(504);
  });

  test("asks again when every cached path answered 404", () => {
    expect(status(state({ lookupCache: "HIT", storageStatus: "404 : 404" }))).toBe("refresh");
    expect(status(state({ lookupCache: "STALE", storageStatus: "404" }))).toBe("refresh");
  });

  test("404 when every path of a fresh lookup answered 404", () => {
    expect(status(state({ lookupCache: "MISS", storageStatus: "404 : 404" }))).toBe(404);
    expect(
      status(state({ lookupCache: "HIT", fresh: true, storageStatus: "404 : 404 : 404" })),
    ).toBe(404);
  });

  test("502 when any path failed otherwise", () => {
    expect(status(state({ lookupCache: "HIT", storageStatus: "502 : 404" }))).toBe(502);
    expect(status(state({ storageStatus: "504 : 500" }))).toBe(502);
  });
});

describe("statusEntries", () => {
  test("splits $upstream_status on commas and colons", () => {
    expect(statusEntries("502, 504 : 404")).toEqual(["502", "504", "404"]);
    expect(statusEntries("")).toEqual([]);
    expect(statusEntries("-")).toEqual([]);
  });
});

describe("allowHeader", () => {
  test("defaults to GET and HEAD, adds HEAD to GET, keeps a fixed order", () => {
    expect(allowHeader("")).toBe("GET, HEAD");
    expect(allowHeader("delete put get")).toBe("GET, HEAD, PUT, DELETE");
    expect(allowHeader("PUT,DELETE")).toBe("PUT, DELETE");
  });
});
