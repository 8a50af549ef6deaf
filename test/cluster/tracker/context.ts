import type { Pool } from "mysql2/promise";
import type { Answer, Args } from "./codec";
import type { Monitor } from "./monitor";

export type Context = { db: Pool; monitor: Monitor };

export type Handler = (ctx: Context, args: Args) => Promise<Answer>;

// Perl's `$x + 0` on a request value: leading number or 0.
export function perlNumber(value: string | undefined): number {
  const n = Number.parseFloat(value ?? "");
  return Number.isFinite(n) ? n : 0;
}

// mogilefsd's valid_key: defined and not empty.
export function validKey(key: string | undefined): key is string {
  return key !== undefined && key.length > 0;
}
