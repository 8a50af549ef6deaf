// Stores a file the way any MogileFS client does (create_open, HTTP PUT to the
// path the tracker gives, create_close), for trying the local cluster by hand:
//   node dist/cluster/upload.mjs <tracker host:port> <domain> <key> <file> [class]
import { readFileSync } from "node:fs";
import { closeTrackerConnections } from "./client";
import { storeFile } from "./files";

async function main(): Promise<void> {
  const [tracker, domain, key, file, klass] = process.argv.slice(2);
  if (!tracker || !domain || !key || !file) {
    throw new Error(
      "usage: node dist/cluster/upload.mjs <tracker host:port> <domain> <key> <file> [class]",
    );
  }
  const stored = await storeFile(tracker, domain, key, readFileSync(file), { class: klass ?? "" });
  console.log(`stored ${key} as fid ${stored.fid} on device ${stored.devid}: ${stored.path}`);
}

main()
  .catch((e: unknown) => {
    console.error(`upload: ${(e as Error).message ?? String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => closeTrackerConnections());
