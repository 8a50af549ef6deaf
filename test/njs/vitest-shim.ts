// The part of vitest's API that the unit tests use, written in the njs subset, so
// the same test files run in Node (vitest) and in the njs engine (this shim).
// build.mjs bundles test/unit/*.test.ts with `vitest` aliased to this file.

type TestFn = () => unknown;
type Case = { name: string; fn: TestFn };

const cases: Case[] = [];
const suites: string[] = [];

export function describe(name: string, body: () => void): void {
  suites.push(name);
  try {
    body();
  } finally {
    suites.pop();
  }
}

export function test(name: string, fn: TestFn): void {
  cases.push({ name: suites.concat([name]).join(" > "), fn: fn });
}

export const it = test;

function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value);
  }
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch (_e) {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const ao = a as { [k: string]: unknown };
  const bo = b as { [k: string]: unknown };
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) {
    return false;
  }
  for (let i = 0; i < ak.length; i++) {
    if (!Object.prototype.hasOwnProperty.call(bo, ak[i]) || !deepEqual(ao[ak[i]], bo[ak[i]])) {
      return false;
    }
  }
  return true;
}

type Matchers = {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toStrictEqual(expected: unknown): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toMatch(pattern: RegExp | string): void;
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  toThrow(pattern?: RegExp | string): void;
};

function matchers(actual: unknown, negate: boolean): Matchers {
  const check = (pass: boolean, what: string): void => {
    if (pass === negate) {
      throw new Error(`expected ${show(actual)}${negate ? " not" : ""} ${what}`);
    }
  };
  return {
    toBe: (expected) => check(actual === expected, `to be ${show(expected)}`),
    toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
    toStrictEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
    toBeNull: () => check(actual === null, "to be null"),
    toBeUndefined: () => check(actual === undefined, "to be undefined"),
    toBeTruthy: () => check(!!actual, "to be truthy"),
    toBeFalsy: () => check(!actual, "to be falsy"),
    toMatch: (pattern) =>
      check(
        typeof pattern === "string"
          ? String(actual).indexOf(pattern) >= 0
          : pattern.test(String(actual)),
        `to match ${String(pattern)}`,
      ),
    toContain: (item) =>
      check(
        typeof actual === "string"
          ? actual.indexOf(String(item)) >= 0
          : (actual as unknown[]).indexOf(item) >= 0,
        `to contain ${show(item)}`,
      ),
    toHaveLength: (length) =>
      check((actual as { length: number }).length === length, `to have length ${length}`),
    toThrow: (pattern) => {
      let thrown: unknown = null;
      let threw = false;
      try {
        (actual as () => unknown)();
      } catch (e) {
        threw = true;
        thrown = e;
      }
      const message = threw ? String((thrown as Error).message || thrown) : "";
      const fits =
        pattern === undefined
          ? true
          : typeof pattern === "string"
            ? message.indexOf(pattern) >= 0
            : pattern.test(message);
      check(threw && fits, `to throw${pattern === undefined ? "" : ` ${String(pattern)}`}`);
    },
  };
}

export function expect(actual: unknown): Matchers & { not: Matchers } {
  const positive = matchers(actual, false) as Matchers & { not: Matchers };
  positive.not = matchers(actual, true);
  return positive;
}

// Runs the collected tests one after another (async ones awaited) and prints one
// line per failure, then `njs-unit: N passed, N failed`, which the test runner reads.
export function run(): void {
  let passed = 0;
  let failed = 0;
  const report = (c: Case, e: unknown): void => {
    failed++;
    console.log(`FAIL ${c.name}: ${String((e as Error).message || e)}`);
  };
  // Synchronous tests run in a loop; only an async one continues from its
  // promise. (Recursing once per test overflows njs's call stack.)
  const next = (from: number): void => {
    for (let i = from; i < cases.length; i++) {
      const c = cases[i];
      let result: unknown;
      try {
        result = c.fn();
      } catch (e) {
        report(c, e);
        continue;
      }
      if (result && typeof (result as Promise<unknown>).then === "function") {
        (result as Promise<unknown>).then(
          () => {
            passed++;
            next(i + 1);
          },
          (e) => {
            report(c, e);
            next(i + 1);
          },
        );
        return;
      }
      passed++;
    }
    console.log(`njs-unit: ${passed} passed, ${failed} failed`);
  };
  next(0);
}
