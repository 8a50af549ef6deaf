// One line per event on stderr: the harness keeps it in the tracker's log file and
// prints its tail when a test fails.
let prefix = "tracker";

export function setLogPrefix(name: string): void {
  prefix = name;
}

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${prefix} ${message}\n`);
}

// Byte strings (keys) printed readably: UTF-8 bytes back to text, controls escaped.
export function show(bytes: string): string {
  return JSON.stringify(Buffer.from(bytes, "latin1").toString("utf8"));
}
