/** The one error class of the test-host harness: what failed, and why (`cause`). */
export class TestHostError extends Error {
  override readonly name = "TestHostError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A command that exited non-zero; carries its argv, exit code and output tail. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    super(`${displayArgv(argv)} ${how}${stderrTail ? `:\n${stderrTail}` : ""}`);
  }
}

/** Quotes an argv for display only (commands always run as arrays). */
export function displayArgv(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}'`))
    .join(" ");
}

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 40): string {
  const all = text.replace(/\s+$/, "").split("\n");
  return all.slice(-lines).join("\n");
}
