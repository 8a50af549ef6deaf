// Rewrites parts of an nginx config's text, by the positions parseNginx recorded,
// leaving every other byte (comments, spacing, line ends) as it was. Edits are
// collected, then applied at once from the end of the text.

/** @typedef {import("./nginx-parse.mjs").NginxDirective} NginxDirective */

/**
 * @param {string} text
 */
export function nginxEditor(text) {
  /** @type {{ start: number, end: number, text: string }[]} */
  const edits = [];

  /** @param {number} offset  where the line holding offset starts */
  const lineStart = (offset) => text.lastIndexOf("\n", offset - 1) + 1;
  /** @param {number} offset  after the newline ending the line holding offset */
  const lineEnd = (offset) => {
    const n = text.indexOf("\n", offset);
    return n === -1 ? text.length : n + 1;
  };
  /** @param {NginxDirective} d  the whitespace before d on its line ("" if shared) */
  const indentOf = (d) => {
    const before = text.slice(lineStart(d.start), d.start);
    return /^[ \t]*$/.test(before) ? before : "";
  };
  /**
   * The directive's own lines, when nothing else shares them (a trailing comment
   * goes with it); otherwise just the directive.
   * @param {NginxDirective} d
   */
  const span = (d) => {
    const from = lineStart(d.start);
    const to = lineEnd(d.end);
    const before = text.slice(from, d.start);
    const after = text.slice(d.end, to);
    if (/^[ \t]*$/.test(before) && /^[ \t\r]*(#.*)?\n?$/.test(after)) {
      return { start: from, end: to, whole: true };
    }
    return { start: d.start, end: d.end, whole: false };
  };
  /**
   * @param {number} start
   * @param {number} end
   * @param {string} replacement
   */
  const replace = (start, end, replacement) => {
    edits.push({ start, end, text: replacement });
  };

  return {
    lineStart,
    indentOf,
    span,
    replace,
    /** @param {NginxDirective} d */
    remove(d) {
      const s = span(d);
      replace(s.start, s.end, "");
    },
    /**
     * Turns the directive (a block with all its lines) into comments, under a
     * comment line saying why.
     * @param {NginxDirective} d
     * @param {string} reason
     */
    commentOut(d, reason) {
      const s = span(d);
      const indent = indentOf(d);
      const original = text.slice(s.start, s.end).replace(/\n$/, "");
      const lines = s.whole
        ? original
            .split("\n")
            .map((l) => (l.startsWith(indent) ? `${indent}# ${l.slice(indent.length)}` : `# ${l}`))
        : [`# ${original.replace(/\n/g, " ")}`];
      const body = `${indent}# ${reason}\n${lines.join("\n")}\n`;
      replace(s.start, s.end, s.whole ? body : `\n${body}${indent}`);
    },
    /**
     * Inserts lines right after a block's "{", each on its own line, indented as
     * the block's first directive.
     * @param {NginxDirective} block
     * @param {string[]} lines
     */
    insertAfterOpen(block, lines) {
      const open = /** @type {number} */ (block.blockOpen);
      const first = block.block?.[0];
      const indent = first && first.line > block.line ? indentOf(first) : `${indentOf(block)}    `;
      const rest = text.slice(open + 1, lineEnd(open + 1));
      const at = /^[ \t\r]*(#.*)?\n$/.test(rest) ? lineEnd(open + 1) : open + 1;
      const prefix = at === open + 1 ? "\n" : "";
      replace(at, at, `${prefix}${lines.map((l) => `${indent}${l}\n`).join("")}`);
    },
    /**
     * The text with every edit applied; insertions at one offset keep their order.
     * @returns {string}
     */
    apply() {
      const sorted = edits
        .map((edit, index) => ({ ...edit, index }))
        .sort((a, b) => b.start - a.start || b.end - a.end || b.index - a.index);
      let out = text;
      let limit = Number.POSITIVE_INFINITY;
      for (const edit of sorted) {
        if (edit.end > limit) {
          throw new Error(`overlapping edits at offset ${edit.start}`);
        }
        out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
        limit = edit.start;
      }
      return out;
    },
  };
}
