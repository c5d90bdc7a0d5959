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

/** Longest word shown whole in logs and errors; longer ones (a script) are abbreviated. */
const SHOWN = 80;

/**
 * Human-readable form for logs and errors: control characters escaped, and a long word (such
 * as the relay's source) cut to its first line and its size, so errors stay readable.
 */
export function displayArgv(argv: readonly string[]): string {
  const shown = argv.map((w) => (w.length > SHOWN ? `${w.split("\n")[0]!.slice(0, SHOWN)}…(${Buffer.byteLength(w)} bytes)` : w));
  return toCommandLine(shown).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
