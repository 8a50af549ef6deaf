// What can be checked of docker/Dockerfile and docker/compose.yml without a
// container engine: pinned base images, sources that exist, and the paths the
// start-up script expects.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./entrypoint";

const dockerfile = readFileSync(join(root, "docker", "Dockerfile"), "utf8");
const compose = readFileSync(join(root, "docker", "compose.yml"), "utf8");
const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, "m").exec(dockerfile)?.[1];

describe("docker/Dockerfile", () => {
  it("pins the official nginx image to a version, and compose uses the same", () => {
    const nginx = arg("NGINX_IMAGE");
    expect(nginx).toMatch(/^nginx:\d+\.\d+\.\d+$/);
    expect(arg("NODE_IMAGE")).toMatch(/^node:\d+\.\d+-bookworm-slim$/);
    for (const image of compose.matchAll(/^\s+image: (nginx:\S+)$/gm)) {
      expect(image[1]).toBe(nginx);
    }
    expect(compose).toMatch(/^\s+image: mariadb:\d+\.\d+$/m);
  });

  it("copies only files that exist", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].flatMap((m) =>
      m[1].split(/\s+/),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      const plain = source.replace(/\/?\*\.conf$/, "");
      expect(existsSync(join(root, plain)), source).toBe(true);
    }
  });

  it("puts the renderer, module and templates where the start-up script looks", () => {
    const script = readFileSync(join(root, "docker", "entrypoint.d", "40-mogilefs.sh"), "utf8");
    expect(script).toContain(":-/usr/share/njs-mogilefs}");
    expect(dockerfile).toContain(
      "COPY --from=build /src/dist/mogilefs.js /src/dist/docker/render-env.js /usr/share/njs-mogilefs/",
    );
    expect(dockerfile).toContain("COPY nginx/*.conf /usr/share/njs-mogilefs/nginx/");
    expect(dockerfile).toContain("COPY docker/entrypoint.d/40-mogilefs.sh /docker-entrypoint.d/");
    expect(dockerfile).toContain("ln -sf /etc/nginx/mogilefs/nginx.conf /etc/nginx/nginx.conf");
  });

  it("runs the unprivileged target as uid 101 on 8080 without a user directive", () => {
    const unprivileged = dockerfile.slice(dockerfile.indexOf("AS unprivileged"));
    expect(unprivileged).toMatch(/MOGILEFS_PORT=8080/);
    expect(unprivileged).toMatch(/MOGILEFS_USER= /);
    expect(unprivileged).toMatch(/^USER 101$/m);
  });
});
