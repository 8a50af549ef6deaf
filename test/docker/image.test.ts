// The image itself (docker/Dockerfile), where a container engine is reachable:
// built with testcontainers, both targets run against the local cluster, and a
// bad variable stops the container before nginx starts. Without an engine the
// suite is skipped, with one line saying why; it never counts as passed.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  Wait,
} from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../cluster/ports";
import { waitFor } from "../cluster/process";
import { printLogsOnFailure, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { expectReadWriteCycle, readWriteEnvironment, root } from "./entrypoint";

async function noEngineReason(): Promise<string | null> {
  try {
    await getContainerRuntimeClient();
    return null;
  } catch (e) {
    return String((e as Error).message).split("\n")[0];
  }
}

const unreachable = await noEngineReason();
if (unreachable !== null) {
  console.info(
    `skipped test/docker/image.test.ts: no container engine reachable (${unreachable}); the image was not built`,
  );
}

// The build context: what docker/Dockerfile copies, without node_modules or dist.
function stageContext(): string {
  const dir = mkdtempSync(join(tmpdir(), "njs-mogilefs-image-"));
  for (const entry of [
    "package.json",
    "package-lock.json",
    "build.mjs",
    "tsconfig.json",
    "tsconfig.node.json",
    "build",
    "src",
    "nginx",
    "test",
    "docker",
  ]) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

const BUILD_TIMEOUT = 900_000;

describe.skipIf(unreachable !== null)("the image", () => {
  const cluster = useCluster({
    trackers: 2,
    storageHosts: 2,
    domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
  });
  const images: Record<string, string> = {};
  const started: StartedTestContainer[] = [];
  let context = "";

  beforeAll(async () => {
    context = stageContext();
    for (const target of ["gateway", "unprivileged"]) {
      const name = `njs-mogilefs-test:${target}`;
      await GenericContainer.fromDockerfile(context, "docker/Dockerfile")
        .withBuildkit()
        .withTarget(target)
        .build(name, { deleteOnExit: true });
      images[target] = name;
    }
  }, BUILD_TIMEOUT);

  afterAll(async () => {
    for (const container of started) {
      await container.stop().catch(() => undefined);
    }
    if (context) {
      rmSync(context, { recursive: true, force: true });
    }
  });

  it("stops before nginx starts when a required variable is missing, naming it", async () => {
    const container = await new GenericContainer(images.gateway)
      .withEnvironment({ MOGILEFS_TRACKERS: "127.0.0.1:7001" })
      .withWaitStrategy(
        Wait.forLogMessage(
          "40-mogilefs.sh: error: MOGILEFS_DOMAIN is required: the MogileFS domain",
        ),
      )
      .start();
    started.push(container);
    const client = await getContainerRuntimeClient();
    const handle = client.container.getById(container.getId());
    const state = await waitFor(
      "the container to exit",
      async () => {
        const info = await client.container.inspect(handle);
        return info.State.Running ? null : info.State;
      },
      30_000,
    );
    expect(state.ExitCode).not.toBe(0);
    const logs = await new Promise<string>((resolve) => {
      let text = "";
      container.logs().then((stream) => {
        stream.on("data", (chunk: Buffer | string) => {
          text += chunk.toString();
        });
        stream.on("end", () => resolve(text));
      });
    });
    expect(logs).not.toContain("start worker process");
  });

  for (const target of ["gateway", "unprivileged"]) {
    it(`${target}: reads, writes, lists and deletes against the cluster`, async () => {
      printLogsOnFailure(cluster);
      const port = await freePort();
      // Host networking: the local cluster listens on loopback addresses (Linux only).
      const container = await new GenericContainer(images[target])
        .withNetworkMode("host")
        .withEnvironment({ ...readWriteEnvironment(cluster()), MOGILEFS_PORT: String(port) })
        .withWaitStrategy(Wait.forLogMessage(/start worker process/))
        .start();
      started.push(container);
      if (target === "unprivileged") {
        const whoami = await container.exec(["id", "-u"]);
        expect(whoami.output.trim()).toBe("101");
      }
      await expectReadWriteCycle(
        `http://127.0.0.1:${port}/files/`,
        cluster(),
        uniquePrefix(`image-${target}`),
      );
    });
  }
});
