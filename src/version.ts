// The module's version, kept in one place for the status output and log lines.
export const VERSION = "0.1.0";
