// The tracker's side of the wire format, byte for byte as mogilefsd's Perl does it.
// Keys are bytes, not text: every string here is a "byte string" (one char per byte,
// latin1), so a UTF-8 key travels through the database and back unchanged.
// src/protocol.ts is the client's codec (UTF-8 text, and it escapes `\`); the tracker
// must match the original encoder instead, so it has its own.

export type Args = Record<string, string>;

// mogilefsd's eurl: bytes outside [A-Za-z0-9_,-./\: ] become %XX, then space -> `+`.
export function eurl(value: string): string {
  return value
    .replace(/[^A-Za-z0-9_,\-./\\: ]/g, (c) => {
      const code = c.charCodeAt(0) & 0xff;
      return `%${code.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .replace(/ /g, "+");
}

function unescapeBytes(text: string): string {
  return text
    .replace(/\+/g, " ")
    .replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// mogilefsd's decode_url_args: empty pairs dropped, `a=b=c` keeps only `b` (Perl's
// split), a repeated name joins its values with NUL.
export function decodeRequestArgs(text: string): Args {
  const args: Args = {};
  for (const pair of text.split("&")) {
    if (pair === "" || pair === "0") {
      continue;
    }
    const parts = pair.split("=");
    const name = unescapeBytes(parts[0]);
    const value = unescapeBytes(parts[1] ?? "");
    args[name] = Object.hasOwn(args, name) && args[name] ? `${args[name]}\0${value}` : value;
  }
  return args;
}

export type Request = { command: string; args: Args };

// One request line (line end already removed). Null when the line holds no command.
export function parseRequestLine(line: string): Request | null {
  const match = /^(\w+)\s*(.*)$/s.exec(line);
  if (!match) {
    return null;
  }
  return { command: match[1].toLowerCase(), args: decodeRequestArgs(match[2].trim()) };
}

export type Answer = { ok: true; args: Args } | { ok: false; code: string; text?: string };

export function ok(args: Args = {}): Answer {
  return { ok: true, args };
}

export function err(code: string, text?: string): Answer {
  return { ok: false, code, text };
}

// mogilefsd's canned texts; any other code is repeated as its own text.
const CANNED: Record<string, string> = {
  dup: "Duplicate name/number used.",
  after_mismatch: "Pattern does not match the after-value?",
  bad_params: "Invalid parameters to command; please see documentation",
  class_exists: "That class already exists in that domain",
  class_has_files: "Class still has files, unable to delete",
  class_not_found: "Class not found",
  db: "Database error",
  device_has_files: "Device still has files, unable to delete",
  device_not_dead: "Device isn't marked as dead, unable to delete",
  device_in_queue: "Device is in queue to receive files",
  domain_has_files: "Domain still has files, unable to delete",
  domain_exists: "That domain already exists",
  domain_not_empty: "Domain still has classes, unable to delete",
  domain_not_found: "Domain not found",
  failure: "Operation failed",
  host_exists: "That host already exists",
  host_mismatch: "The device specified doesn't belong to the host specified",
  host_not_empty: "Unable to delete host; it contains devices still",
  host_not_found: "Host not found",
  invalid_checker_level: "Checker level invalid.  Please see documentation on this command.",
  invalid_mindevcount: "The mindevcount must be at least 1",
  key_exists: "Target key name already exists; can't overwrite.",
  no_class: "No class provided",
  no_devices: "No devices found to store file",
  no_device: "Device not found",
  no_domain: "No domain provided",
  no_host: "No host provided",
  no_ip: "IP required to create host",
  no_port: "Port required to create host",
  no_temp_file: "No tempfile or file already closed",
  none_match: "No keys match that pattern and after-value (if any).",
  plugin_aborted: "Action aborted by plugin",
  state_too_high: "Status cannot go from dead to alive; must use down",
  unknown_command: "Unknown server command",
  unknown_host: "Host not found",
  unknown_state: "Invalid/unknown state",
  unreg_domain: "Domain name invalid/not found",
  rebal_not_started: "Rebalance not running",
  no_rebal_state: "No available rebalance status",
  no_rebal_policy: "No rebalance policy available",
  nodel_default_class: "Cannot delete the default class",
};

// The answer line, CRLF included. `callid` is echoed as mogilefsd does: an OK pair,
// or a third word of an ERR line.
export function encodeAnswer(answer: Answer, callid: string | undefined): string {
  if (answer.ok) {
    const args: Args = { ...answer.args };
    if (callid !== undefined) {
      args.callid = callid;
    }
    const line = Object.keys(args)
      .map((name) => `${eurl(name)}=${eurl(args[name])}`)
      .join("&");
    return `OK ${line}\r\n`;
  }
  const text = answer.text || CANNED[answer.code] || answer.code;
  const tail = callid !== undefined ? ` ${eurl(callid)}` : "";
  return `ERR ${answer.code} ${eurl(text)}${tail}\r\n`;
}
