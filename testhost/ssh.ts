import * as net from "net";
import { Client } from "ssh2";
import { TestHostError } from "./errors";
import { keyBlob } from "./keys";

/** What it takes to reach a test host over SSH with its host key pinned. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The host key the server must present ("ssh-ed25519 AAAA…"); anything else is refused. */
  hostKey: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

/**
 * Resolves with the server's identification line once something on
 * 127.0.0.1:port sends "SSH-…". qemu's port forward accepts connections even
 * before the guest listens (and then drops them), so an accepted connection
 * alone proves nothing; the banner does.
 */
export function readBanner(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf.split("\r\n")[0] ?? "");
    };
    const timer = setTimeout(() => finish(new Error(`no SSH banner within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      buf += d;
      if (buf.includes("\n")) {
        if (buf.startsWith("SSH-")) finish();
        else finish(new Error(`not an SSH banner: ${JSON.stringify(buf.slice(0, 40))}`));
      }
    });
    sock.on("error", (err) => finish(err));
    sock.on("close", () => finish(new Error("connection closed before an SSH banner")));
  });
}

/**
 * Runs one command over a fresh SSH connection (always closed afterwards).
 * Rejects with `level: "host-key"` when the server presents another host key.
 */
export function sshExec(target: SshTarget, command: string, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
  const expected = keyBlob(target.hostKey);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let hostKeyMismatch = false;
    let settled = false;
    const timer = setTimeout(() => settle(new TestHostError(`ssh ${target.host}:${target.port}: '${command}' did not finish within ${timeoutMs} ms`)), timeoutMs);
    function settle(err: Error | null, result?: ExecResult) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.end();
      if (err) reject(err);
      else resolve(result!);
    }
    conn.on("ready", () => {
      conn.exec(command, (err, stream) => {
        if (err) return settle(err);
        let stdout = "";
        let stderr = "";
        let code: number | null = null;
        let signal: string | undefined;
        stream.on("data", (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        stream.on("exit", (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        stream.on("close", () => settle(null, { stdout, stderr, code, ...(signal ? { signal } : {}) }));
      });
    });
    conn.on("error", (err: Error & { level?: string }) => {
      if (hostKeyMismatch) {
        const e = new TestHostError(`ssh ${target.host}:${target.port}: the server's host key is not the pinned one`, { cause: err });
        (e as TestHostError & { level: string }).level = "host-key";
        return settle(e);
      }
      settle(err);
    });
    conn.on("close", () => settle(new TestHostError(`ssh ${target.host}:${target.port}: connection closed before '${command}' finished`)));
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      readyTimeout: Math.min(timeoutMs, 30_000),
      // ssh2 hands over the raw host key blob: compare it byte for byte.
      hostVerifier: (key: Buffer) => {
        const ok = Buffer.isBuffer(key) && key.equals(expected);
        hostKeyMismatch = !ok;
        return ok;
      },
    });
  });
}
