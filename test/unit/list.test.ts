// Listings (list_keys as JSON). Runs in vitest and in the njs engine.
import { describe, expect, test } from "vitest";
import { listingFromAnswer, listRequest, parseQuery } from "../../src/list";
import { parseAnswer } from "../../src/protocol";

describe("parseQuery", () => {
  test("decodes names and values, + as space, the first of repeated names", () => {
    expect(parseQuery("prefix=a%2Fb+c&limit=5&prefix=x&flag")).toEqual({
      prefix: "a/b c",
      limit: "5",
      flag: "",
    });
    expect(parseQuery("")).toEqual({});
  });
});

describe("listRequest", () => {
  test("builds list_keys args with a default limit", () => {
    expect(listRequest("files", "prefix=img/")).toEqual({
      ok: true,
      args: { domain: "files", prefix: "img/", limit: "100" },
    });
    expect(listRequest("files", "after=img/3&limit=2")).toEqual({
      ok: true,
      args: { domain: "files", prefix: "", limit: "2", after: "img/3" },
    });
  });

  test("refuses a limit outside 1..1000 and control bytes", () => {
    expect(listRequest("files", "limit=0").ok).toBe(false);
    expect(listRequest("files", "limit=1001").ok).toBe(false);
    expect(listRequest("files", "limit=ten").ok).toBe(false);
    expect(listRequest("files", "prefix=a%0A").ok).toBe(false);
  });
});

describe("listingFromAnswer", () => {
  const args = { domain: "files", prefix: "k", limit: "2" };

  test("lists keys in order and points at the next page when the page is full", () => {
    const answer = parseAnswer("OK key_2=k%26b&next_after=k%26b&key_1=k+a&key_count=2\r\n");
    const listing = listingFromAnswer(answer, "files", args);
    expect(listing.status).toBe(200);
    expect(JSON.parse(listing.body)).toEqual({
      domain: "files",
      prefix: "k",
      keys: ["k a", "k&b"],
      next_after: "k&b",
    });
  });

  test("ends with next_after null on a short page, and none_match is an empty list", () => {
    const short = listingFromAnswer(parseAnswer("OK key_1=k1&key_count=1\r\n"), "files", args);
    expect(JSON.parse(short.body).next_after).toBeNull();
    const none = listingFromAnswer(parseAnswer("ERR none_match No+keys+match\r\n"), "files", args);
    expect(none.status).toBe(200);
    expect(JSON.parse(none.body).keys).toEqual([]);
  });

  test("500 for an unknown domain and 502 for other errors, each with a log line", () => {
    const unknown = listingFromAnswer(
      parseAnswer("ERR unreg_domain Domain+name+invalid\r\n"),
      "x",
      args,
    );
    expect(unknown.status).toBe(500);
    expect(unknown.log).toContain('"x"');
    const garbled = listingFromAnswer(parseAnswer("garbage\r\n"), "files", args);
    expect(garbled.status).toBe(502);
  });
});
