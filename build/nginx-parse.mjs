// A parser for nginx configuration files that keeps where every directive sits in
// the text, so a tool can rewrite some directives and leave every other byte alone.
//
// It follows nginx's own lexer (ngx_conf_read_token): words are separated by
// whitespace; ";" ends a directive and "{" opens its block; "#" at the start of a
// word comments out the rest of the line; "..." and '...' quote a word (with "\"
// escapes); "\" escapes the next character in a bare word; "${name}" is a variable,
// not a block.

/**
 * @typedef {object} NginxDirective
 * @property {string} name        the directive's name, as written
 * @property {string[]} args      the arguments, unquoted and unescaped
 * @property {string[]} rawArgs   the arguments exactly as written (quotes included)
 * @property {number} line        1-based line of the name
 * @property {number} start       offset of the name
 * @property {number} end         offset after the closing ";" or "}"
 * @property {number} endLine     line of the closing ";" or "}"
 * @property {NginxDirective[] | null} block  the directives in its { } block, if any
 * @property {number} [blockOpen]  offset of the "{"
 * @property {number} [blockClose] offset of the "}"
 */

export class NginxSyntaxError extends Error {
  /**
   * @param {string} file
   * @param {number} line
   * @param {string} message
   */
  constructor(file, line, message) {
    super(`${file}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

const ESCAPES = { t: "\t", r: "\r", n: "\n" };

/**
 * Parses a whole file into its top-level directives.
 * @param {string} text
 * @param {string} [file] the name used in error messages
 * @returns {NginxDirective[]}
 */
export function parseNginx(text, file = "nginx.conf") {
  /** @type {NginxDirective[]} */
  const top = [];
  /** @type {{ list: NginxDirective[], owner: NginxDirective | null }[]} */
  const stack = [{ list: top, owner: null }];
  /** @type {{ value: string, raw: string, start: number, line: number }[]} */
  let words = [];
  let line = 1;
  let i = 0;

  const fail = (message, at = line) => {
    throw new NginxSyntaxError(file, at, message);
  };
  const statement = (end) => {
    const first = words[0];
    /** @type {NginxDirective} */
    const directive = {
      name: first.value,
      args: words.slice(1).map((w) => w.value),
      rawArgs: words.slice(1).map((w) => w.raw),
      line: first.line,
      start: first.start,
      end,
      endLine: line,
      block: null,
    };
    words = [];
    return directive;
  };

  while (i < text.length) {
    const ch = text[i];
    if (ch === "\n") {
      line++;
      i++;
    } else if (ch === " " || ch === "\t" || ch === "\r" || ch === "\f") {
      i++;
    } else if (ch === "#") {
      while (i < text.length && text[i] !== "\n") {
        i++;
      }
    } else if (ch === ";") {
      if (words.length === 0) {
        fail('unexpected ";"');
      }
      stack[stack.length - 1].list.push(statement(i + 1));
      i++;
    } else if (ch === "{") {
      if (words.length === 0) {
        fail('unexpected "{"');
      }
      const directive = statement(-1);
      directive.block = [];
      directive.blockOpen = i;
      stack[stack.length - 1].list.push(directive);
      stack.push({ list: directive.block, owner: directive });
      i++;
    } else if (ch === "}") {
      if (words.length > 0) {
        fail('unexpected "}" (a directive before it lacks its ";")');
      }
      const frame = stack.pop();
      if (!frame || frame.owner === null) {
        fail('unexpected "}"');
        return top;
      }
      frame.owner.blockClose = i;
      frame.owner.end = i + 1;
      frame.owner.endLine = line;
      i++;
    } else if (ch === '"' || ch === "'") {
      const start = i;
      const startLine = line;
      let value = "";
      i++;
      while (i < text.length && text[i] !== ch) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1];
          value += next === ch || next === "\\" ? next : (ESCAPES[next] ?? `\\${next}`);
          i += 2;
          continue;
        }
        if (text[i] === "\n") {
          line++;
        }
        value += text[i];
        i++;
      }
      if (i >= text.length) {
        fail(`unterminated ${ch} quote`, startLine);
      }
      i++;
      words.push({ value, raw: text.slice(start, i), start, line: startLine });
    } else {
      const start = i;
      let value = "";
      let inVariable = false;
      while (i < text.length) {
        const c = text[i];
        if (/[\s;]/.test(c) || (c === "{" && !(text[i - 1] === "$" && i - 1 >= start))) {
          break;
        }
        if (c === "}" && !inVariable) {
          break;
        }
        if (c === "{") {
          inVariable = true;
        } else if (c === "}") {
          inVariable = false;
        }
        if (c === "\\" && i + 1 < text.length && text[i + 1] !== "\n") {
          value += text[i + 1];
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      words.push({ value, raw: text.slice(start, i), start, line });
    }
  }
  if (words.length > 0) {
    fail('unexpected end of file, expecting ";" or "}"');
  }
  if (stack.length > 1) {
    const open = /** @type {NginxDirective} */ (stack[stack.length - 1].owner);
    fail(`unexpected end of file: the block of "${open.name}" (line ${open.line}) is not closed`);
  }
  return top;
}

/**
 * Calls visit(directive, ancestors) for every directive, depth first, in file order.
 * @param {NginxDirective[]} directives
 * @param {(d: NginxDirective, ancestors: NginxDirective[]) => void} visit
 * @param {NginxDirective[]} [ancestors]
 */
export function walkNginx(directives, visit, ancestors = []) {
  for (const directive of directives) {
    visit(directive, ancestors);
    if (directive.block) {
      walkNginx(directive.block, visit, [...ancestors, directive]);
    }
  }
}
