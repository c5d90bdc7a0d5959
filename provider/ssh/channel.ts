// Runs one command on one SSH channel: stdin in, stdout/stderr/exit status out, a time
// limit, the sudo conversation for privileged commands, and the one case that needs care —
// the connection dropping after the command was sent, when its effect is unknown.
import type { Client, ClientChannel } from "ssh2";
import { SshError } from "../errors";
import type { Logger } from "../log";
import { AmbiguousOperationError } from "./ambiguous";
import type { Redact } from "./redact";
import { SudoPreamble, sudoRefusal, type SudoMode } from "./sudo";

export interface ExecResult {
  exitCode: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

export interface ChannelRun {
  client: Client;
  /** "user@host:port" for messages. */
  host: string;
  /** The command line (already quoted, sudo-wrapped when privileged). */
  command: string;
  /** The caller's argv for display. */
  shown: string;
  stdin?: string | Buffer;
  /** Set when the command line is wrapped by sudoArgv. */
  sudo?: SudoMode;
  /** Login user, for sudo's messages. */
  user: string;
  /** When the whole operation must be done (epoch ms), and the caller's limit for messages. */
  deadline: number;
  timeoutMs: number;
  /** Whether the SSH connection is still up; false once it closed. */
  isOpen(): boolean;
  log: Logger;
  redact: Redact;
}

/**
 * Sends TERM to the remote command. ssh2's Channel.signal() silently does nothing once stdin
 * was ended (it checks `writable`), which it always is here, so this goes one level down to
 * the protocol method, which has no such check. Best effort: the command may be gone.
 */
export function stopRemote(ch: ClientChannel): void {
  const c = ch as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  if (c.outgoing && (c.outgoing.state === "open" || c.outgoing.state === "eof")) c._client?._protocol?.signal(c.outgoing.id, "TERM");
}

const maybeApplied = "the operation may or may not have been applied on the host";

export function runOnChannel(r: ChannelRun): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(
      () =>
        settle(() => {
          // Ask the host to stop it, then let go. OpenSSH ≥ 7.9 honours signals, except on root
          // logins before 9.8 (no privilege separation there); sudo relays TERM.
          try {
            if (channel) stopRemote(channel);
            channel?.close();
          } catch {
            /* the connection is gone already */
          }
          reject(new AmbiguousOperationError(r.host, "timeout", `${r.shown} did not finish within ${r.timeoutMs} ms; ${maybeApplied}`));
        }),
      Math.max(0, r.deadline - Date.now()),
    );

    const onOpen = (err: Error | undefined, ch: ClientChannel) => {
      if (err) {
        // Refused while the connection is up: the server did not run it. Refused because the
        // connection died: the exec request may have reached it first.
        const message = `cannot start ${r.shown}: ${r.redact(err.message)}`;
        return settle(() =>
          reject(
            r.isOpen()
              ? new SshError(r.host, "transport", message, { cause: err })
              : new AmbiguousOperationError(r.host, "transport", `${message}; ${maybeApplied}`, { cause: err }),
          ),
        );
      }
      if (settled) return ch.close(); // timed out while opening
      channel = ch;
      collect(ch);
    };

    const collect = (ch: ClientChannel) => {
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let exitCode: number | null = null;
      let signal: string | undefined;
      let exited = false;
      const preamble = r.sudo ? new SudoPreamble() : undefined;
      const sendStdin = () => ch.end(r.stdin);

      ch.on("data", (d: Buffer) => out.push(d));
      ch.stderr.on("data", (d: Buffer) => {
        if (!preamble) return void errOut.push(d);
        const { commandStderr, newPrompts, startedNow } = preamble.feed(d);
        if (commandStderr.length) errOut.push(commandStderr);
        if (newPrompts > 0 && r.sudo?.kind === "password") {
          // The first prompt gets the password; another one means it was wrong: end stdin so
          // sudo gives up now rather than after its remaining tries.
          if (preamble.prompts === newPrompts && newPrompts === 1) {
            r.log.debug(`ssh ${r.host}: sudo asked for the password`);
            ch.write(`${r.sudo.password}\n`);
          } else {
            ch.end();
          }
        }
        if (startedNow) sendStdin();
      });
      ch.on("exit", (code: number | null, sig?: string) => {
        exited = true;
        exitCode = code;
        signal = sig ?? undefined;
      });
      ch.on("close", () =>
        settle(() => {
          const durationMs = Date.now() - started;
          if (!exited && !r.isOpen()) {
            r.log.debug(`ssh ${r.host}: ${r.shown} interrupted after ${durationMs} ms`);
            return reject(new AmbiguousOperationError(r.host, "transport", `the connection closed while ${r.shown} was running; ${maybeApplied}`));
          }
          if (preamble && r.sudo && !preamble.started) {
            return reject(new SshError(r.host, "privilege", r.redact(sudoRefusal(preamble, r.sudo, r.user, exitCode))));
          }
          const result: ExecResult = { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), durationMs };
          if (signal) result.signal = signal;
          r.log.debug(`ssh ${r.host}: ${r.shown} → exit ${exitCode ?? signal} in ${durationMs} ms`);
          resolve(result);
        }),
      );
      if (!preamble) sendStdin();
    };

    try {
      r.client.exec(r.command, onOpen);
    } catch (err) {
      // ssh2 throws when the connection is already gone: nothing was sent.
      settle(() => reject(new SshError(r.host, "transport", `cannot start ${r.shown}: ${r.redact((err as Error).message)}`, { cause: err })));
    }
  });
}
