// The JavaScript steps of a read. A plain GET or HEAD needs none; these run only
// when nginx alone could not serve it (a refused request, a failed lookup, every
// path failed) and for listings.
import { MAX_PATHS } from "./bridge";
import { decideFailure, type ReadState } from "./failure";
import { trackerCommand } from "./http";
import { listingFromAnswer, listRequest } from "./list";
import { logAt } from "./log";
import { variable } from "./variables";

function countPaths(r: NginxHTTPRequest): number {
  let count = 0;
  for (let i = 1; i <= MAX_PATHS; i++) {
    if (variable(r, `mogilefs_path${i}`) !== "") {
      count++;
    }
  }
  return count;
}

function readState(r: NginxHTTPRequest): ReadState {
  return {
    method: r.method,
    domain: variable(r, "mogilefs_domain"),
    key: variable(r, "mogilefs_key"),
    requestProblem: variable(r, "mogilefs_request_problem"),
    methodAllowed: variable(r, "mogilefs_method_allowed") !== "0",
    allowedMethods: variable(r, "mogilefs_methods"),
    lookupStatus: variable(r, "mogilefs_lookup_status"),
    lookupCache: variable(r, "mogilefs_cache"),
    trackerError: variable(r, "mogilefs_error"),
    tracker: variable(r, "mogilefs_tracker"),
    pathCount: countPaths(r),
    storageStatus: variable(r, "upstream_status"),
    fresh: variable(r, "mogilefs_fresh") === "1",
  };
}

// Every path of a cached lookup said 404: the file may have been overwritten or
// deleted through another gateway. Ask a tracker again, store the answer in the
// cache, and walk the new paths through the same failover chain.
async function refresh(r: NginxHTTPRequest): Promise<void> {
  r.variables.mogilefs_fresh = "1";
  const reply = await r.subrequest("/_mogilefs/lookup", { method: "GET" });
  const header = (name: string): string => {
    const value = reply.headersOut[name];
    return value === undefined ? "" : String(value);
  };
  for (let i = 1; i <= MAX_PATHS; i++) {
    r.variables[`mogilefs_path${i}`] = header(`X-MogileFS-Path${i}`);
  }
  r.variables.mogilefs_error = header("X-MogileFS-Error");
  r.variables.mogilefs_tracker = header("X-MogileFS-Tracker");
  r.variables.mogilefs_lookup_status = String(reply.status);
  r.variables.mogilefs_cache = "BYPASS";
  if (countPaths(r) > 0) {
    r.internalRedirect("@mogilefs_path1");
    return;
  }
  failed(r);
}

export function failed(r: NginxHTTPRequest): void {
  const decision = decideFailure(readState(r));
  if (decision.action === "refresh") {
    refresh(r).catch((e: Error) => {
      r.error(`mogilefs: fresh lookup failed: ${e.message}`);
      r.return(502, "Bad Gateway: fresh lookup failed\n");
    });
    return;
  }
  logAt(r, decision.level, decision.log);
  if (decision.allow !== null) {
    r.headersOut.Allow = decision.allow;
  }
  r.headersOut["Content-Type"] = "text/plain";
  r.return(decision.status, decision.body);
}

// GET of a location's own prefix where listing is on: list_keys as JSON.
export async function list(r: NginxHTTPRequest): Promise<void> {
  const domain = variable(r, "mogilefs_domain");
  const request = listRequest(domain, variable(r, "args"));
  r.headersOut["Content-Type"] = "application/json";
  if (!request.ok) {
    r.return(400, `${JSON.stringify({ error: request.problem })}\n`);
    return;
  }
  try {
    const reply = await trackerCommand(r, "list_keys", request.args);
    const listing = listingFromAnswer(reply.answer, domain, request.args);
    if (listing.log !== null) {
      logAt(r, "error", listing.log);
    }
    r.return(listing.status, listing.body);
  } catch (e) {
    logAt(r, "error", `list_keys failed: ${(e as Error).message}`);
    r.return(502, `${JSON.stringify({ error: "tracker error" })}\n`);
  }
}
