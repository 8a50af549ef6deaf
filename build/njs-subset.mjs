// Rejects JavaScript that the njs engine of Debian 12 (njs 0.7.9) cannot run.
//
// tsc's `lib` setting already keeps most missing built-ins out of the type system,
// but syntax is another matter: TypeScript happily accepts a `class` or a `for..of`
// that the engine then refuses at nginx start-up. This walk finds them at build
// time and names the construct, the file and the line. Every rule below was
// checked against the njs 0.7.9 command-line engine.
import ts from "typescript";

// Globals the engine does not define at all.
const MISSING_GLOBALS = {
  Map: "Map",
  Set: "Set",
  WeakMap: "WeakMap",
  WeakSet: "WeakSet",
  WeakRef: "WeakRef",
  Proxy: "Proxy",
  Reflect: "Reflect",
  BigInt: "BigInt",
  Intl: "Intl",
  structuredClone: "structuredClone",
  queueMicrotask: "queueMicrotask",
};

// Static methods missing on a global object: `Array.from(...)`.
const MISSING_STATICS = {
  Array: ["from"],
  Object: ["fromEntries", "hasOwn"],
  String: ["raw"],
};

// Methods missing on every value: `x.replaceAll(...)`. Matched by name on any
// receiver, since the receiver's type is not known here; these names are not
// used for anything else in this project.
const MISSING_METHODS = [
  "replaceAll",
  "flat",
  "flatMap",
  "at",
  "matchAll",
  "findLast",
  "findLastIndex",
];

function describe(node) {
  switch (node.kind) {
    case ts.SyntaxKind.ClassDeclaration:
    case ts.SyntaxKind.ClassExpression:
      return "class";
    case ts.SyntaxKind.ObjectBindingPattern:
    case ts.SyntaxKind.ArrayBindingPattern:
      return "destructuring";
    case ts.SyntaxKind.SpreadElement:
    case ts.SyntaxKind.SpreadAssignment:
      return "spread (...)";
    case ts.SyntaxKind.ForOfStatement:
      return node.awaitModifier ? "for await..of" : "for..of";
    case ts.SyntaxKind.TaggedTemplateExpression:
      return "tagged template";
    case ts.SyntaxKind.YieldExpression:
      return "generator (yield)";
    case ts.SyntaxKind.MetaProperty:
      return `${ts.tokenToString(node.keywordToken)}.${node.name.text}`;
    default:
      break;
  }
  if (ts.isParameter(node) && node.initializer) {
    return "default parameter";
  }
  if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken) {
    return "generator function (function*)";
  }
  if (ts.isMethodDeclaration(node) && node.asteriskToken) {
    return "generator method (*name)";
  }
  if (
    (ts.isPropertyAccessExpression(node) ||
      ts.isElementAccessExpression(node) ||
      ts.isCallExpression(node)) &&
    node.questionDotToken
  ) {
    return "optional chaining (?.)";
  }
  if (ts.isAwaitExpression(node) && insideCallArguments(node)) {
    return "await inside a call's arguments (await into a variable first)";
  }
  if (ts.isCatchClause(node) && !node.variableDeclaration) {
    return "optional catch binding (catch without a variable)";
  }
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    (ts.isObjectLiteralExpression(node.left) || ts.isArrayLiteralExpression(node.left))
  ) {
    return "destructuring assignment";
  }
  if (ts.isRegularExpressionLiteral(node)) {
    const flags = node.text.slice(node.text.lastIndexOf("/") + 1);
    const bad = flags.replace(/[gimy]/g, "");
    if (bad) {
      return `regular expression flag "${bad}"`;
    }
  }
  if (
    ts.isIdentifier(node) &&
    Object.hasOwn(MISSING_GLOBALS, node.text) &&
    isGlobalReference(node)
  ) {
    return MISSING_GLOBALS[node.text];
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const statics = MISSING_STATICS[node.expression.text];
    if (statics?.includes(node.name.text)) {
      return `${node.expression.text}.${node.name.text}`;
    }
  }
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    MISSING_METHODS.includes(node.expression.name.text)
  ) {
    return `.${node.expression.name.text}()`;
  }
  return null;
}

// njs 0.7.9 refuses `f(await x)`, `new C(await x)` and `f([await x])`, however
// deep the await sits in the arguments, up to the nearest function.
function insideCallArguments(node) {
  let child = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isFunctionLike(parent)) {
      return false;
    }
    if (
      (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
      parent.arguments?.includes(child)
    ) {
      return true;
    }
  }
  return false;
}

// An identifier counts as a global reference unless it names a property, a
// declaration, or a type: `x.Map`, `{ Map: 1 }`, `type T = Map<...>` are fine.
function isGlobalReference(node) {
  const parent = node.parent;
  if (!parent) {
    return true;
  }
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) {
    return false;
  }
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  if (ts.isTypeReferenceNode(parent) || ts.isExpressionWithTypeArguments(parent)) {
    return false;
  }
  return true;
}

// Returns one message per construct found, as `file:line:col: ... ` lines.
export function findUnsupported(sourceFile, displayName) {
  const problems = [];
  const visit = (node) => {
    // Types vanish at compile time; only emitted code matters.
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      return;
    }
    const what = describe(node);
    if (what) {
      const at = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
      problems.push(
        `${displayName}:${at.line + 1}:${at.character + 1}: ${what} is not supported by the njs 0.7.9 engine`,
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return problems;
}

// Convenience for code held in a string (tests, and the bundle after esbuild).
export function findUnsupportedInText(text, displayName) {
  const kind = displayName.endsWith(".ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const sourceFile = ts.createSourceFile(displayName, text, ts.ScriptTarget.Latest, true, kind);
  return findUnsupported(sourceFile, displayName);
}

// Module-level values that are objects (object, array and regular expression
// literals, `new ...`) in code that runs inside nginx. Each makes every request's
// VM dearer, whether the request uses it or not: about 1,300 instructions per
// object per request in njs 0.8.9 (BENCHMARKS.md, "Counters"). main.ts's default
// export, which nginx needs, is the one allowed.
export function findModuleLevelObjects(sourceFile, displayName) {
  const problems = [];
  const isObject = (node) =>
    node !== undefined &&
    (ts.isObjectLiteralExpression(node) ||
      ts.isArrayLiteralExpression(node) ||
      ts.isRegularExpressionLiteral(node) ||
      ts.isNewExpression(node));
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) {
      continue;
    }
    for (const declaration of statement.declarationList.declarations) {
      let value = declaration.initializer;
      while (value && (ts.isAsExpression(value) || ts.isSatisfiesExpression?.(value))) {
        value = value.expression;
      }
      if (isObject(value)) {
        const at = sourceFile.getLineAndCharacterOfPosition(declaration.getStart(sourceFile));
        problems.push(
          `${displayName}:${at.line + 1}:${at.character + 1}: module-level object ${declaration.name.getText(sourceFile)}: it makes every request's njs VM dearer; build it inside a function`,
        );
      }
    }
  }
  return problems;
}

export function findModuleLevelObjectsInText(text, displayName) {
  const sourceFile = ts.createSourceFile(displayName, text, ts.ScriptTarget.Latest, true);
  return findModuleLevelObjects(sourceFile, displayName);
}
