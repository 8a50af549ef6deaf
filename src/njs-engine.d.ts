// Built-ins njs 0.7.9 has beyond ES5, declared one by one. The compiler's ES2015
// library cannot be used whole: it would also admit Array.from, Map, Set and
// other things the engine lacks.
interface String {
  includes(search: string, position?: number): boolean;
  startsWith(search: string, position?: number): boolean;
  endsWith(search: string, endPosition?: number): boolean;
  padStart(length: number, fill?: string): string;
  padEnd(length: number, fill?: string): string;
  repeat(count: number): string;
  trimStart(): string;
  trimEnd(): string;
}

interface Array<T> {
  includes(search: T, fromIndex?: number): boolean;
  find(predicate: (value: T, index: number, array: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, array: T[]) => unknown): number;
}

interface NumberConstructor {
  isInteger(value: unknown): boolean;
  isSafeInteger(value: unknown): boolean;
  isNaN(value: unknown): boolean;
  isFinite(value: unknown): boolean;
}

interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
}

// ngx.shared, from njs 0.8.0 on: absent on 0.7.9, so declared optional and
// looked up at run time. Only what the counters use.
interface NgxSharedDict {
  incr(key: string, delta: number, init?: number): number;
  items(maxCount?: number): Array<[string, unknown]>;
}

interface NgxObject {
  readonly shared?: { [zone: string]: NgxSharedDict | undefined };
}
