/**
 * The executor's output buffer, which also remembers where each rendered line came
 * from (file and line of the template text, or of the action that printed it), so an
 * error found later in the rendered YAML can point at what the user wrote.
 */
import { lineAt, type Source } from "./source.ts";

export interface Origin {
  file: string;
  line: number;
}

export class Output {
  private readonly chunks: string[] = [];
  /** Origin of each rendered line, by index (line - 1); undefined for lines of a `tpl` string. */
  readonly lines: (Origin | undefined)[] = [];
  private lineStart = true;

  /** `verbatim` text keeps its own line breaks in the source; a printed value does not. */
  write(text: string, source: Source, pos: number, verbatim: boolean): void {
    if (text === "") return;
    this.chunks.push(text);
    let line = lineAt(source, pos);
    const origin = () => (source.virtual ? undefined : { file: source.file, line });
    const parts = text.split("\n");
    for (const [i, part] of parts.entries()) {
      if (i > 0) {
        if (this.lineStart) this.lines.push(origin());
        this.lineStart = true;
        if (verbatim) line++;
      }
      if (this.lineStart && part !== "") {
        this.lines.push(origin());
        this.lineStart = false;
      }
    }
  }

  text(): string {
    return this.chunks.join("");
  }
}
