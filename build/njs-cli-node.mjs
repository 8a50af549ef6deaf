// The few node:fs and node:path functions build/*.mjs use, on the njs
// command-line engine's own `fs` module (see build/njs-cli.mjs).
// The engine's global require, reached through globalThis so that esbuild leaves
// it alone (a bare require call gets a wrapper the engine cannot run).
const fs = globalThis.require("fs");

export function readFileSync(file, encoding) {
  return fs.readFileSync(file, encoding);
}

export function writeFileSync(file, data) {
  fs.writeFileSync(file, data);
}

export function mkdirSync(dir, options) {
  fs.mkdirSync(dir, options);
}

export function accessSync(file) {
  fs.accessSync(file);
}

function normalize(absolute) {
  const parts = [];
  for (const part of absolute.split("/")) {
    if (part === "..") {
      parts.pop();
    } else if (part !== "" && part !== ".") {
      parts.push(part);
    }
  }
  return `/${parts.join("/")}`;
}

// Absolute paths only: the container passes nothing else.
function resolve(...paths) {
  let out = "";
  for (const p of paths) {
    out = p.startsWith("/") ? p : `${out}/${p}`;
  }
  if (!out.startsWith("/")) {
    throw new Error(`path.resolve: ${JSON.stringify(out)} is not absolute`);
  }
  return normalize(out);
}

function join(...paths) {
  return normalize(paths.join("/"));
}

export default { resolve, join };
