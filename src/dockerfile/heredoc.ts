/**
 * Here-documents of RUN, COPY and ADD as BuildKit's Dockerfile frontend uses them
 * (the Dockerfile reference, "Here-Documents").
 */
import { ExpandError, expandHeredoc, rawWords, type Lookup } from "./expand.ts";
import { dockerfileError, heredocData, type Instruction } from "./parse.ts";
import type { InlineFile } from "./types.ts";

function expanded(file: string, ins: Instruction, data: string, lookup: Lookup): string {
  try {
    return expandHeredoc(data, lookup);
  } catch (err) {
    if (err instanceof ExpandError) throw dockerfileError(file, ins.line, `${ins.keyword}: ${err.message}`);
    throw err;
  }
}

/** A command-line word that is a heredoc operator: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`. */
const HEREDOC_WORD = /^<<-?(["']?)[^\s"'<>|&;]+\1$/;

/** Where BuildKit mounts a RUN's lone heredoc that starts with `#!` (read-only, never in the layer). */
export const HEREDOC_PIPES = "/dev/pipes";

/**
 * RUN's argv, heredocs as BuildKit runs them: a command line that is one heredoc alone
 * runs its content through the SHELL (or, starting with `#!`, as a 0755 file under
 * /dev/pipes); any other line goes to the SHELL with the documents appended, and the
 * shell reads them (so quoting the name or `<<-` is the shell's business).
 */
export function runCommand(shell: string[], ins: Instruction): { argv: string[]; script?: InlineFile } {
  const docs = ins.heredocs;
  if (!docs) return { argv: ins.json ?? [...shell, ins.args] };
  if (HEREDOC_WORD.test(ins.args.trim())) {
    const data = heredocData(docs[0]);
    if (data.startsWith("#!")) return { argv: [...shell, `${HEREDOC_PIPES}/${docs[0].name}`], script: { name: docs[0].name, content: data } };
    return { argv: [...shell, data] };
  }
  return { argv: [...shell, ins.args + docs.map((d) => `\n${d.content}${d.name}`).join("")] };
}

/** COPY/ADD words: heredoc sources become files (unquoted ones expanded), the rest expand as usual. */
export function copyWords(file: string, ins: Instruction, escape: string, lookup: Lookup, expand: (w: string) => string[]): { words: string[]; inline: InlineFile[] } {
  const raw = rawWords(ins.args, escape);
  const docs = ins.heredocs ?? [];
  const inline: InlineFile[] = [];
  const words: string[] = [];
  raw.forEach((word, i) => {
    if (!HEREDOC_WORD.test(word) || docs.length === 0) {
      words.push(...expand(word));
      return;
    }
    if (i === raw.length - 1) throw dockerfileError(file, ins.line, `${ins.keyword} cannot take a heredoc as its destination`);
    const doc = docs[inline.length];
    const data = heredocData(doc);
    inline.push({ name: doc.name, content: doc.expand ? expanded(file, ins, data, lookup) : data });
  });
  return { words, inline };
}
