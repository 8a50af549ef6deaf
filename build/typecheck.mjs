// Strict type checking of the njs sources against njs-types, as part of the build,
// so a type error stops `node build.mjs` the same way `tsc` would.
import path from "node:path";
import ts from "typescript";

export function typecheck(root, configName) {
  const configPath = path.join(root, configName);
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    return [ts.flattenDiagnosticMessageText(read.error.messageText, "\n")];
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file) {
      return `${configName}: ${text}`;
    }
    const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${path.relative(root, d.file.fileName)}:${at.line + 1}:${at.character + 1}: ${text}`;
  });
}
