// The MogileFS tracker protocol: one request line out, one answer line back.
//
// Request:  `<command> k=v&k=v\r\n`, values URL-encoded.
// Answer:   `OK k=v&k=v\r\n` (pairs in any order; an empty OK is `OK \r\n`)
//           or `ERR <code> <urlencoded text>[ <callid>]\r\n`.
// Pure functions only: this module runs unchanged in Node and in the njs engine.

export type Args = { [name: string]: string };

export type Answer =
  | { kind: "ok"; args: Args; callid: string | null }
  | { kind: "err"; code: string; message: string; callid: string | null }
  | { kind: "malformed"; line: string };

export type Destination = { devid: string; path: string };

export type OpenedFile = { fid: string; destinations: Destination[] };

function isDecimal(text: string): boolean {
  if (text === "") {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      return false;
    }
  }
  return true;
}

function hexByte(code: number): string {
  const hex = code.toString(16).toUpperCase();
  return hex.length < 2 ? `%0${hex}` : `%${hex}`;
}

// The characters a value keeps raw: A-Z a-z 0-9 _ , - . / : (the tracker's own
// safe alphabet; the bridge encodes raw key bytes by the same rule).
export function isRawCode(c: number): boolean {
  return (
    (c >= 48 && c <= 58) || // 0-9 :
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 || // _
    c === 44 || // ,
    c === 45 || // -
    c === 46 || // .
    c === 47 // /
  );
}

// Encodes one key or value for a request line. Every byte outside
// [A-Za-z0-9_,-./:] becomes %XX of its UTF-8 bytes (space becomes `+`, as the
// tracker writes it), so `&`, `=`, `+`, `%`, CR, LF and NUL can never split a line
// or a pair. `/`, `:` and `,` stay raw: the tracker does the same and paths stay
// readable in logs. A lone UTF-16 surrogate, which no UTF-8 text can hold, is
// sent as U+FFFD: the njs engine stores it so anyway, and Node's encoder would throw.
// (Character by character, no regular expression: in njs 0.7.9 a replace with a
// callback costs hundreds of KB per value, held until the request ends.)
export function encodeValue(value: string): string {
  const parts: string[] = [];
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isRawCode(c)) {
      continue;
    }
    if (i > run) {
      parts.push(value.slice(run, i));
    }
    if (c === 32) {
      parts.push("+");
    } else if (c < 128) {
      parts.push(hexByte(c));
    } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(value.charCodeAt(i + 1))) {
      parts.push(encodeURIComponent(value.slice(i, i + 2)));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      parts.push("%EF%BF%BD");
    } else {
      parts.push(encodeURIComponent(value.charAt(i)));
    }
    run = i + 1;
  }
  if (run === 0) {
    return value;
  }
  if (run < value.length) {
    parts.push(value.slice(run));
  }
  return parts.join("");
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

// Bytes that are not valid UTF-8 cannot come from a key this module sent, but a
// tracker may hold them; they decode one character per byte instead of failing.
function decodeBytesLoosely(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

// Decodes one key or value from an answer line: `+` is a space, %XX a byte of
// UTF-8.
// (No regular expression on the common path: the bridge decodes every answer in
// a long-lived njs session, where each match costs memory until it ends.)
export function decodeValue(text: string): string {
  const spaced = text.indexOf("+") < 0 ? text : text.split("+").join(" ");
  if (spaced.indexOf("%") < 0) {
    return spaced;
  }
  try {
    return decodeURIComponent(spaced);
  } catch (_e) {
    return decodeBytesLoosely(spaced);
  }
}

export function encodeArgs(args: Args): string {
  const pairs: string[] = [];
  const names = Object.keys(args);
  for (let i = 0; i < names.length; i++) {
    pairs.push(`${encodeValue(names[i])}=${encodeValue(args[names[i]])}`);
  }
  return pairs.join("&");
}

// Splits `k=v&k=v` into a map. Empty pairs are skipped; a pair without `=` is a
// name with an empty value, as Perl's tracker reads it.
export function decodeArgs(text: string): Args {
  const args: Args = {};
  if (text === "") {
    return args;
  }
  const pairs = text.split("&");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (pair === "") {
      continue;
    }
    const eq = pair.indexOf("=");
    if (eq < 0) {
      args[decodeValue(pair)] = "";
    } else {
      args[decodeValue(pair.slice(0, eq))] = decodeValue(pair.slice(eq + 1));
    }
  }
  return args;
}

// The full request line, CRLF included. The command name is checked here because
// it is the one part of the line that is not encoded.
export function requestLine(command: string, args: Args): string {
  if (!/^[a-z][a-z0-9_]*$/.test(command)) {
    throw new Error(`invalid tracker command name: ${JSON.stringify(command)}`);
  }
  return `${command} ${encodeArgs(args)}\r\n`;
}

function stripLineEnd(line: string): string {
  const end = line.length;
  if (line.charCodeAt(end - 1) !== 10) {
    return line;
  }
  return line.slice(0, line.charCodeAt(end - 2) === 13 ? end - 2 : end - 1);
}

function hasLineBreak(text: string): boolean {
  return text.indexOf("\r") >= 0 || text.indexOf("\n") >= 0;
}

// Reads one answer line. Anything that is not `OK ...` or `ERR <code> ...` is
// "malformed", so a caller can treat a garbled tracker like a failed one.
export function parseAnswer(raw: string): Answer {
  const line = stripLineEnd(raw);
  if (line === "OK" || line.slice(0, 3) === "OK ") {
    if (hasLineBreak(line)) {
      return { kind: "malformed", line: raw };
    }
    const args = decodeArgs(line.slice(3).trimEnd());
    const callid = Object.prototype.hasOwnProperty.call(args, "callid") ? args.callid : null;
    if (callid !== null) {
      delete args.callid;
    }
    return { kind: "ok", args: args, callid: callid };
  }
  // ERR <code>[ <message>[ <callid>]]: no spaces inside the parts.
  if (line.slice(0, 4) === "ERR " && !hasLineBreak(line)) {
    const parts = line.slice(4).split(" ");
    if (parts[0] !== "" && parts.length <= 3) {
      const code = parts[0];
      const message = parts.length < 2 ? code : decodeValue(parts[1]);
      const callid = parts.length < 3 ? null : decodeValue(parts[2]);
      return { kind: "err", code: code, message: message, callid: callid };
    }
  }
  return { kind: "malformed", line: raw };
}

// The replica URLs of a `get_paths` answer, in the tracker's order (path1 first).
// `paths=N` is authoritative; numbered entries beyond it, or missing ones, are
// ignored rather than guessed.
export function pathsOf(args: Args): string[] {
  const count = isDecimal(args.paths || "") ? parseInt(args.paths, 10) : 0;
  const paths: string[] = [];
  for (let i = 1; i <= count; i++) {
    const path = args[`path${i}`];
    if (path) {
      paths.push(path);
    }
  }
  return paths;
}

// The fid and the destinations of a `create_open` answer. With multi_dest=1 the
// tracker answers `dev_count`, `devid_N`, `path_N`; without it `devid`, `path`.
// The fid stays a decimal string: fids are BIGINT and outgrow 32-bit numbers.
// Returns null when the answer lacks a fid or any destination.
export function openedFileOf(args: Args): OpenedFile | null {
  const fid = args.fid;
  if (!fid || !isDecimal(fid)) {
    return null;
  }
  const destinations: Destination[] = [];
  if (args.dev_count !== undefined) {
    const count = isDecimal(args.dev_count) ? parseInt(args.dev_count, 10) : 0;
    for (let i = 1; i <= count; i++) {
      const devid = args[`devid_${i}`];
      const path = args[`path_${i}`];
      if (devid && isDecimal(devid) && path) {
        destinations.push({ devid: devid, path: path });
      }
    }
  } else if (args.devid && isDecimal(args.devid) && args.path) {
    destinations.push({ devid: args.devid, path: args.path });
  }
  if (destinations.length === 0) {
    return null;
  }
  return { fid: fid, destinations: destinations };
}
