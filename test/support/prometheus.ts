// A strict reader of the Prometheus text exposition format (version 0.0.4), for
// tests: every line must be a HELP, a TYPE or a sample of a declared metric, or
// it throws, naming the line. Returns each sample's value by series.

export type Exposition = {
  // `name{a="1",b="2"}` (labels in the order printed) -> value.
  samples: Map<string, number>;
  types: Map<string, string>;
};

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(
  `^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*)?,?\\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)( -?[0-9]+)?$`,
);
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

// The metric a sample belongs to: histograms own _bucket, _sum and _count.
function family(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) {
    return name;
  }
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" || types.get(base) === "summary" ? base : undefined;
}

export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith("\n")) {
    throw new Error("exposition must end with a newline");
  }
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") {
      throw new Error(`${where}: empty line`);
    }
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (help) {
      if (helped.has(help[1])) {
        throw new Error(`${where}: second HELP for ${help[1]}`);
      }
      helped.add(help[1]);
      return;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (\\S+)$`).exec(line);
    if (type) {
      if (!TYPES.includes(type[2])) {
        throw new Error(`${where}: unknown type ${type[2]}`);
      }
      if (types.has(type[1])) {
        throw new Error(`${where}: second TYPE for ${type[1]}`);
      }
      types.set(type[1], type[2]);
      return;
    }
    if (line.startsWith("#")) {
      return; // a comment
    }
    const sample = SAMPLE.exec(line);
    if (!sample) {
      throw new Error(`${where}: not a sample`);
    }
    const owner = family(sample[1], types);
    if (owner === undefined) {
      throw new Error(`${where}: sample before its TYPE line`);
    }
    const series = sample[1] + (sample[2] ?? "");
    if (samples.has(series)) {
      throw new Error(`${where}: series printed twice`);
    }
    const value = Number(sample[3].replace("Inf", "Infinity"));
    if (types.get(owner) === "counter" && !(value >= 0)) {
      throw new Error(`${where}: a counter must not be negative`);
    }
    samples.set(series, value);
  });
  checkHistograms(samples, types);
  return { samples, types };
}

// Buckets cumulative, a +Inf bucket, and _count equal to it.
function checkHistograms(samples: Map<string, number>, types: Map<string, string>): void {
  for (const [name, type] of types) {
    if (type !== "histogram") {
      continue;
    }
    const buckets = [...samples]
      .filter(([series]) => series.startsWith(`${name}_bucket{`))
      .map(([series, value]) => {
        const le = /le="([^"]+)"/.exec(series)?.[1] ?? "";
        return { le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), value };
      })
      .sort((a, b) => a.le - b.le);
    if (buckets.length === 0) {
      continue;
    }
    if (buckets[buckets.length - 1].le !== Number.POSITIVE_INFINITY) {
      throw new Error(`histogram ${name}: no +Inf bucket`);
    }
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i].value < buckets[i - 1].value) {
        throw new Error(`histogram ${name}: buckets are not cumulative`);
      }
    }
    if (samples.get(`${name}_count`) !== buckets[buckets.length - 1].value) {
      throw new Error(`histogram ${name}: _count differs from the +Inf bucket`);
    }
    if (!samples.has(`${name}_sum`)) {
      throw new Error(`histogram ${name}: no _sum`);
    }
  }
}
