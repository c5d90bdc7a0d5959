// A long-lived command on one SSH channel, spoken to in lines: what the host's relay runs as
// for a whole session (provider/host/relay-stream.ts). Lines go to its stdin as they come and
// its stdout comes back line by line; the channel stays open until the caller ends it or the
// command or connection does. The sudo conversation is the same as for one-shot commands
// (channel.ts): nothing is written to the command before it has started.
import type { Client, ClientChannel } from "ssh2";
import { SshError } from "../errors";
import type { Logger } from "../log";
import { stopRemote } from "./channel";
import type { Redact } from "./redact";
import { SudoPreamble, sudoRefusal, type SudoMode } from "./sudo";
import { LineSplitter } from "./lines";

/** How a stream ended: the command's exit, or the connection going away under it. */
export interface StreamEnd {
  exitCode: number | null;
  signal?: string;
  /** The command's last stderr (a few KB at most). */
  stderr: string;
  /** The SSH connection was gone when the channel closed: the command's fate is unknown. */
  connectionLost: boolean;
  /** sudo refused before the command started (its message). */
  refused?: SshError;
}

export interface StreamRun {
  client: Client;
  host: string;
  command: string;
  shown: string;
  sudo?: SudoMode;
  user: string;
  isOpen(): boolean;
  log: Logger;
  redact: Redact;
  onLine(line: string): void;
  onEnd(end: StreamEnd): void;
}

export interface RemoteStream {
  /** Sends one line (a newline is added); lines sent before the command started wait for it. */
  send(line: string): void;
  /** Ends stdin: the command finishes what it has and exits. */
  end(): void;
  /** Asks the host to stop the command (TERM) and closes the channel. */
  kill(): void;
}

const STDERR_KEPT = 4096;

/** Opens the channel and starts the command; resolves once the channel is open. */
export function openStream(r: StreamRun): Promise<RemoteStream> {
  return new Promise((resolve, reject) => {
    const onOpen = (err: Error | undefined, ch: ClientChannel) => {
      if (err) {
        const message = `cannot start ${r.shown}: ${r.redact(err.message)}`;
        // Refused while the connection is up: nothing ran. Refused because it died: nothing
        // was written to the command either (its stdin comes after the open).
        return reject(new SshError(r.host, "transport", message, { cause: err }));
      }
      resolve(attach(ch, r));
    };
    try {
      r.client.exec(r.command, onOpen);
    } catch (err) {
      reject(new SshError(r.host, "transport", `cannot start ${r.shown}: ${r.redact((err as Error).message)}`, { cause: err }));
    }
  });
}

function attach(ch: ClientChannel, r: StreamRun): RemoteStream {
  const preamble = r.sudo ? new SudoPreamble() : undefined;
  let started = !preamble;
  const early: string[] = [];
  const stdout = new LineSplitter((line) => r.onLine(line));
  let stderr = "";
  let exitCode: number | null = null;
  let signal: string | undefined;
  let ended = false;

  const keep = (s: string) => (stderr = (stderr + s).slice(-STDERR_KEPT));
  ch.on("data", (d: Buffer) => stdout.push(d));
  ch.stderr.on("data", (d: Buffer) => {
    if (!preamble) return void keep(d.toString());
    const { commandStderr, newPrompts, startedNow } = preamble.feed(d);
    if (commandStderr.length) keep(commandStderr.toString());
    if (newPrompts > 0 && r.sudo?.kind === "password") {
      if (preamble.prompts === newPrompts && newPrompts === 1) ch.write(`${r.sudo.password}\n`);
      else ch.end();
    }
    if (startedNow) {
      started = true;
      for (const l of early.splice(0)) ch.write(l);
    }
  });
  ch.on("exit", (code: number | null, sig?: string) => {
    exitCode = code;
    signal = sig ?? undefined;
  });
  ch.on("close", () => {
    ended = true;
    const end: StreamEnd = { exitCode, stderr: r.redact(stderr), connectionLost: !r.isOpen() };
    if (signal) end.signal = signal;
    if (preamble && r.sudo && !preamble.started && !end.connectionLost) end.refused = new SshError(r.host, "privilege", r.redact(sudoRefusal(preamble, r.sudo, r.user, exitCode)));
    r.log.debug(`ssh ${r.host}: ${r.shown} ended (exit ${exitCode ?? signal ?? "unknown"}${end.connectionLost ? ", connection lost" : ""})`);
    r.onEnd(end);
  });

  return {
    send(line) {
      if (ended) return;
      const l = `${line}\n`;
      if (started) ch.write(l);
      else early.push(l);
    },
    end() {
      if (!ended) ch.end();
    },
    kill() {
      if (ended) return;
      try {
        stopRemote(ch);
        ch.close();
      } catch {
        /* the connection is gone already */
      }
    },
  };
}
