// Listing a domain's keys, the way `moglistkeys` does: list_keys with prefix,
// after and limit, answered as JSON. Pure functions; the handler is in http.ts.
import { type Answer, type Args, decodeValue } from "./protocol";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export type ListRequest = { ok: true; args: Args } | { ok: false; problem: string };

// Query strings use `+` for space, like the tracker; values are decoded once.
export function parseQuery(query: string): Args {
  const args: Args = {};
  const pairs = query === "" ? [] : query.split("&");
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i].indexOf("=");
    const name = decodeValue(eq < 0 ? pairs[i] : pairs[i].slice(0, eq));
    if (name !== "" && !Object.prototype.hasOwnProperty.call(args, name)) {
      args[name] = eq < 0 ? "" : decodeValue(pairs[i].slice(eq + 1));
    }
  }
  return args;
}

export function listRequest(domain: string, query: string): ListRequest {
  const given = parseQuery(query);
  const limitText =
    given.limit === undefined || given.limit === "" ? String(DEFAULT_LIMIT) : given.limit;
  if (
    !/^[0-9]{1,4}$/.test(limitText) ||
    parseInt(limitText, 10) < 1 ||
    parseInt(limitText, 10) > MAX_LIMIT
  ) {
    return { ok: false, problem: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
  }
  const prefix = given.prefix || "";
  const after = given.after || "";
  if (/[\x00-\x1f\x7f]/.test(prefix + after)) {
    return { ok: false, problem: "prefix and after may not hold control bytes" };
  }
  const args: Args = { domain: domain, prefix: prefix, limit: limitText };
  if (after !== "") {
    args.after = after;
  }
  return { ok: true, args: args };
}

export type Listing = { status: number; body: string; log: string | null };

// The JSON answer for a list_keys answer line. `next_after` is the key to pass
// as `after` for the next page, or null when this page was the last.
export function listingFromAnswer(answer: Answer, domain: string, args: Args): Listing {
  if (answer.kind === "ok" || (answer.kind === "err" && answer.code === "none_match")) {
    const keys: string[] = [];
    const count = answer.kind === "ok" ? parseInt(answer.args.key_count || "0", 10) : 0;
    for (let i = 1; i <= count; i++) {
      const key = answer.kind === "ok" ? answer.args[`key_${i}`] : undefined;
      if (key !== undefined) {
        keys.push(key);
      }
    }
    const full = keys.length > 0 && keys.length >= parseInt(args.limit, 10);
    const json = {
      domain: domain,
      prefix: args.prefix,
      keys: keys,
      next_after: full ? keys[keys.length - 1] : null,
    };
    return { status: 200, body: `${JSON.stringify(json)}\n`, log: null };
  }
  if (answer.kind === "err" && answer.code === "unreg_domain") {
    return {
      status: 500,
      body: `${JSON.stringify({ error: "unknown domain" })}\n`,
      log: `unreg_domain: the tracker does not know domain "${domain}"`,
    };
  }
  const code = answer.kind === "err" ? answer.code : "malformed_answer";
  return {
    status: 502,
    body: `${JSON.stringify({ error: "tracker error", code: code })}\n`,
    log: `${code}: list_keys failed for domain "${domain}"`,
  };
}
