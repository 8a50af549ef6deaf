// Bundles a Node-style script for the njs command-line engine (`njs script.js`),
// which the official nginx image ships as /usr/bin/njs: the container renders its
// configuration with the same build/config.mjs and build/render.mjs, without Node.
//
// esbuild bundles (node:fs and node:path replaced by build/njs-cli-node.mjs), then
// TypeScript lowers the result to ES5, since build/*.mjs use destructuring, for..of,
// spread and default parameters, which the njs 0.7.9 engine lacks. The output must
// pass the same check as the module nginx loads.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import ts from "typescript";
import { findUnsupportedInText } from "./njs-subset.mjs";

/**
 * @param {string} root
 * @param {string} entry
 * @param {string} outfile
 * @returns {Promise<string[]>} problems; empty when the script was written
 */
export async function bundleForNjsCli(root, entry, outfile) {
  const shim = path.join(root, "build", "njs-cli-node.mjs");
  const result = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    format: "iife",
    target: "esnext",
    platform: "neutral",
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
    alias: { "node:fs": shim, "node:path": shim },
  });
  const lowered = ts.transpileModule(result.outputFiles[0].text, {
    compilerOptions: {
      target: ts.ScriptTarget.ES5,
      module: ts.ModuleKind.None,
      removeComments: true,
    },
    fileName: "bundle.js",
  }).outputText;
  const problems = findUnsupportedInText(lowered, path.relative(root, outfile));
  if (problems.length === 0) {
    mkdirSync(path.dirname(outfile), { recursive: true });
    writeFileSync(outfile, lowered);
  }
  return problems;
}
