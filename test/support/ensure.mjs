#!/usr/bin/env node
// Installs what `npm start` and `npm test` need, and says nothing when all is there:
// the npm dependencies, and Debian's nginx with njs, the njs command-line engine and
// MariaDB. As root it runs apt itself; as another user it prints the command to run.
// Plain Node with no dependencies: it runs before `npm ci` has.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const DEBIAN_PACKAGES = [
  "nginx",
  "libnginx-mod-http-js",
  "libnginx-mod-stream",
  "libnginx-mod-stream-js",
  "njs",
  "mariadb-server",
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) {
    throw new Error(`${command}: ${result.error.message}`);
  }
  return result;
}

function missingDebianPackages(packages) {
  return packages.filter((name) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const query = run("dpkg-query", ["-W", "-f=${Status}", name]);
    return query.status !== 0 || !query.stdout.includes("install ok installed");
  });
}

// Debian's packages start their services on install; the system nginx would take
// port 80 and the system MariaDB its socket. A policy-rc.d that exits 101 forbids
// that for the length of the install.
function aptInstall(packages) {
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    writeFileSync(
      policy,
      "#!/bin/sh\n# written by njs-mogilefs during apt-get install\nexit 101\n",
      {
        mode: 0o755,
      },
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    console.log(`ensure: installing Debian packages: ${packages.join(" ")}`);
    const update = run("apt-get", ["update", "-qq"], { env, stdio: "inherit" });
    if (update.status !== 0) {
      throw new Error("apt-get update failed");
    }
    const install = run(
      "apt-get",
      ["install", "-y", "-qq", "--no-install-recommends", ...packages],
      { env, stdio: ["ignore", "ignore", "inherit"] },
    );
    if (install.status !== 0) {
      throw new Error(`apt-get install ${packages.join(" ")} failed`);
    }
  } finally {
    if (ownPolicy) {
      unlinkSync(policy);
    }
  }
}

function ensureDebianPackages() {
  const missing = missingDebianPackages(DEBIAN_PACKAGES);
  if (missing.length === 0) {
    return;
  }
  if (process.getuid() !== 0) {
    console.error(`ensure: missing Debian packages: ${missing.join(" ")}`);
    console.error("ensure: run this as root, then try again:");
    console.error(
      `  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}; rm -f /usr/sbin/policy-rc.d`,
    );
    process.exit(1);
  }
  aptInstall(missing);
  const still = missingDebianPackages(missing);
  if (still.length > 0) {
    console.error(`ensure: still missing after apt-get: ${still.join(" ")}`);
    process.exit(1);
  }
}

// Every dependency present at the version package-lock.json holds; otherwise `npm ci`.
function npmDependenciesPresent() {
  const lockFile = path.join(root, "package-lock.json");
  if (!existsSync(lockFile)) {
    return false;
  }
  const lock = JSON.parse(readFileSync(lockFile, "utf8"));
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  return names.every((name) => {
    const installed = path.join(root, "node_modules", name, "package.json");
    const locked = lock.packages?.[`node_modules/${name}`]?.version;
    return existsSync(installed) && JSON.parse(readFileSync(installed, "utf8")).version === locked;
  });
}

function ensureNpmDependencies() {
  if (npmDependenciesPresent()) {
    return;
  }
  console.log("ensure: installing npm dependencies (npm ci)");
  const ci = run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: root,
    stdio: "inherit",
  });
  if (ci.status !== 0) {
    console.error("ensure: npm ci failed");
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureDebianPackages();
    ensureNpmDependencies();
  } catch (e) {
    console.error(`ensure: ${e.message}`);
    process.exit(1);
  }
}
