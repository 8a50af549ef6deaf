// The test suites' Prometheus reader must itself refuse what Prometheus would,
// or "the status output parses" would prove nothing.
import { describe, expect, test } from "vitest";
import { parsePrometheus } from "../support/prometheus";

const good = `# HELP a_total Things.
# TYPE a_total counter
a_total{method="GET",status="200"} 3
a_total{method="PUT",status="201"} 1
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 2
h_sum 0.35
h_count 2
# a comment
`;

describe("parsePrometheus", () => {
  test("reads samples by series", () => {
    const parsed = parsePrometheus(good);
    expect(parsed.samples.get('a_total{method="GET",status="200"}')).toBe(3);
    expect(parsed.samples.get("h_sum")).toBe(0.35);
    expect(parsed.types.get("h")).toBe("histogram");
  });

  test.each([
    ["no final newline", good.trimEnd(), "must end with a newline"],
    ["a sample before its TYPE", "x 1\n", "sample before its TYPE"],
    ["a bad label", "# TYPE x gauge\nx{a=b} 1\n", "not a sample"],
    ["an unescaped quote", '# TYPE x gauge\nx{a="b"c"} 1\n', "not a sample"],
    ["a value that is no number", "# TYPE x gauge\nx one\n", "not a sample"],
    ["a series twice", "# TYPE x gauge\nx 1\nx 2\n", "printed twice"],
    ["a negative counter", "# TYPE x counter\nx -1\n", "must not be negative"],
    ["an unknown type", "# TYPE x meter\n", "unknown type"],
    ["an empty line", "# TYPE x gauge\n\nx 1\n", "empty line"],
    [
      "buckets that shrink",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      "not cumulative",
    ],
    [
      "a count that differs from +Inf",
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
      "_count differs",
    ],
    ["no +Inf bucket", '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', "no +Inf"],
  ])("refuses %s", (_name, text, message) => {
    expect(() => parsePrometheus(text)).toThrow(message);
  });
});
