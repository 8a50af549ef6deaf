// Builds dist/ before any suite runs, so every suite tests what nginx would load.
// The test runner builds first and sets NJS_MOGILEFS_BUILT to skip a second build.
// It first stops daemons that an earlier, killed test process left running.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { reapOrphans } from "../cluster/reaper";

export default async function setup(): Promise<void> {
  const reaped = await reapOrphans();
  if (reaped.length > 0) {
    console.log(`stopped ${reaped.length} daemon(s) a killed test run left: ${reaped.join(", ")}`);
  }
  if (process.env.NJS_MOGILEFS_BUILT === "1") {
    return;
  }
  const root = path.resolve(import.meta.dirname, "../..");
  const build = spawnSync(process.execPath, [path.join(root, "build.mjs")], {
    cwd: root,
    encoding: "utf8",
  });
  if (build.status !== 0) {
    throw new Error(`node build.mjs failed:\n${build.stdout}${build.stderr}`);
  }
}
