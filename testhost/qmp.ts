import * as net from "net";

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

/**
 * Runs QMP commands one after another on qemu's QMP socket. Resolves true once
 * every command returned (a closed socket after the last one was sent also
 * counts: qemu may drop the connection while quitting), false if the socket is
 * gone or silent or a command returned an error; the caller decides what that means.
 */
export function qmpRun(socketPath: string, commands: QmpCommand[], timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    let buf = "";
    // -1: waiting for the greeting; 0: for qmp_capabilities; n: for commands[n - 1].
    let awaiting = -1;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    const send = (c: QmpCommand) => sock.write(`${JSON.stringify(c)}\n`);
    sock.setEncoding("utf8");
    sock.on("error", () => done(false));
    sock.on("close", () => done(awaiting === commands.length));
    // QMP speaks one JSON object per line: greeting, then capabilities, then commands;
    // asynchronous events (RESET, SHUTDOWN, …) may come in between.
    sock.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (awaiting === -1 && "QMP" in msg) {
          awaiting = 0;
          send({ execute: "qmp_capabilities" });
        } else if (awaiting >= 0 && "error" in msg) {
          done(false);
        } else if (awaiting >= 0 && "return" in msg) {
          if (awaiting === commands.length) return done(true);
          send(commands[awaiting]!);
          awaiting++;
        }
      }
    });
  });
}

/**
 * One human-monitor (HMP) command through QMP; resolves with its printed output ("" when it
 * printed nothing, which is how HMP reports success), undefined if QMP failed.
 */
export function qmpHuman(socketPath: string, commandLine: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    let buf = "";
    let stage: "greeting" | "capabilities" | "command" = "greeting";
    const done = (out: string | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("error", () => done(undefined));
    sock.on("close", () => done(undefined));
    sock.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        } catch {
          msg = {};
        }
        buf = buf.slice(nl + 1);
        if (stage === "greeting" && "QMP" in msg) {
          stage = "capabilities";
          sock.write(`${JSON.stringify({ execute: "qmp_capabilities" })}\n`);
        } else if ("error" in msg) {
          done(undefined);
        } else if (stage === "capabilities" && "return" in msg) {
          stage = "command";
          sock.write(`${JSON.stringify({ execute: "human-monitor-command", arguments: { "command-line": commandLine } })}\n`);
        } else if (stage === "command" && "return" in msg) {
          done(typeof msg.return === "string" ? msg.return : "");
        }
      }
    });
  });
}

/** Asks qemu to quit; the caller still waits for exit. */
export function qmpQuit(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return qmpRun(socketPath, [{ execute: "quit" }], timeoutMs);
}
