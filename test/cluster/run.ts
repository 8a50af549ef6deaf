// `node dist/cluster/start.mjs` runs the local cluster alone (no gateway) until
// Ctrl-C, which the harness turns into a clean stop of every daemon: for running
// the suites in external mode against it, or for trying the tracker by hand.
import { runLocalCluster } from "./start";

runLocalCluster().then(
  () => console.log("Press Ctrl-C to stop."),
  (e: unknown) => {
    console.error(String((e as Error).message ?? e));
    process.exit(1);
  },
);
