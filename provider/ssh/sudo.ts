// Privileged operations for a non-root login user, through sudo. The command stays an argv
// array (quoted only in argv.ts); the password travels on the channel's stdin and never on
// a command line, so it is in no process's argv on the host.
//
// The password is sent only when sudo asks for it, and the command's own stdin only once
// the command has started: a fixed prompt (-p) tells us sudo is asking, and a marker the
// wrapper prints to stderr just before exec tells us the command runs. Sending blindly
// would hand the password to the command as its first stdin line whenever sudo does not
// ask (NOPASSWD, cached credentials), and could feed the command's stdin to sudo as a
// password.
import type { Connection } from "./connection";

export type SudoMode = { kind: "nopasswd" } | { kind: "password"; password: string };

/** What sudo prints to stderr when it wants the password (no % escapes: sudo expands those). */
export const SUDO_PROMPT = "[netkit-sudo:password]";
/** What the wrapper prints to stderr right before it execs the command. */
export const SUDO_STARTED = "[netkit-sudo:started]\n";

/** Fixed script, never built from input: the command arrives as positional parameters. */
const WRAPPER = `printf '%s\\n' '${SUDO_STARTED.trim()}' >&2; exec "$@"`;

/** How privileged operations run on this connection; undefined: as the login user, without sudo. */
export function sudoMode(c: Connection): SudoMode | undefined {
  if (c.user === "root" || c.sudo === false) return undefined;
  return c.sudo === true ? { kind: "nopasswd" } : { kind: "password", password: c.sudo.password };
}

/** The argv that runs `argv` as root through sudo. */
export function sudoArgv(argv: readonly string[], mode: SudoMode): string[] {
  // -n: fail instead of prompting; -S: read the password from stdin; -p: our prompt, on stderr.
  const auth = mode.kind === "nopasswd" ? ["-n"] : ["-S"];
  return ["sudo", ...auth, "-p", SUDO_PROMPT, "--", "sh", "-c", WRAPPER, "sh", ...argv];
}

/**
 * Reads stderr until the command has started: counts sudo's prompts and keeps whatever else
 * sudo said (for the error when it refuses); from the marker on, stderr is the command's.
 */
export class SudoPreamble {
  prompts = 0;
  started = false;
  private pending = "";
  private said = "";

  /** Feeds one stderr chunk; returns the part that belongs to the command and how many prompts were new. */
  feed(chunk: Buffer): { commandStderr: Buffer; newPrompts: number; startedNow: boolean } {
    if (this.started) return { commandStderr: chunk, newPrompts: 0, startedNow: false };
    // latin1 maps bytes 1:1, so the command's part can be cut out as the original bytes.
    this.pending += chunk.toString("latin1");
    let newPrompts = 0;
    for (let i = this.pending.indexOf(SUDO_PROMPT); i >= 0; i = this.pending.indexOf(SUDO_PROMPT)) {
      this.said += this.pending.slice(0, i);
      this.pending = this.pending.slice(i + SUDO_PROMPT.length);
      newPrompts++;
    }
    this.prompts += newPrompts;
    const m = this.pending.indexOf(SUDO_STARTED);
    if (m < 0) return { commandStderr: Buffer.alloc(0), newPrompts, startedNow: false };
    this.started = true;
    this.said += this.pending.slice(0, m);
    const rest = Buffer.from(this.pending.slice(m + SUDO_STARTED.length), "latin1");
    this.pending = "";
    return { commandStderr: rest, newPrompts, startedNow: true };
  }

  /** What sudo (or the shell, when sudo is missing) said before the command started. */
  get text(): string {
    return (this.said + this.pending).trim();
  }
}

/** Why sudo did not start the command, from what it said. */
export function sudoRefusal(p: SudoPreamble, mode: SudoMode, user: string, exitCode: number | null): string {
  const said = p.text;
  if (exitCode === 127 || /sudo: (command )?not found/.test(said)) return "sudo is not installed on the host (connection.sudo needs it)";
  if (mode.kind === "nopasswd" && /password is required/.test(said)) {
    return `sudo needs a password for ${user}: set connection.sudo to { password } or allow ${user} NOPASSWD in sudoers`;
  }
  if (mode.kind === "password" && (p.prompts > 1 || /incorrect password|try again/i.test(said))) {
    return `sudo rejected connection.sudo.password for ${user}`;
  }
  return `sudo refused to run the command as root for ${user}${said ? `: ${said.replace(/\s+/g, " ")}` : ""}`;
}
