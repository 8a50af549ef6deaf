// Error-log lines, all prefixed so operators can grep one word.
type Logger = {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

export function logAt(target: Logger, level: "info" | "warn" | "error", message: string): void {
  const line = `mogilefs: ${message}`;
  if (level === "error") {
    target.error(line);
  } else if (level === "warn") {
    target.warn(line);
  } else {
    target.log(line);
  }
}
