// SSH runs one command string through the remote user's shell. Commands stay argv arrays
// everywhere else and become a string only here, each word single-quoted, so no input can
// ever be interpreted by that shell.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell. */
export function quoteWord(word: string): string {
  if (word.includes("\0")) throw new Error("command word contains a NUL byte");
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command string for an argv, safe to hand to a remote shell. */
export function toCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(quoteWord).join(" ");
}

/** Human-readable form for logs and errors, with control characters escaped. */
export function displayArgv(argv: readonly string[]): string {
  return toCommandLine(argv).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
