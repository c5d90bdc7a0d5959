// A real OpenSSH server on loopback for the SSH tier: its own host key, authorized key and
// config in a private temp dir; never the machine's /etc/ssh. Logs at VERBOSE so tests can
// count handshakes and authentications.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Keypair {
  privateKey: string;
  publicKey: string;
  path: string;
}

export function generateKey(dir: string, name: string, passphrase = ""): Keypair {
  const path = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path]);
  return { path, privateKey: readFileSync(path, "utf8"), publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface LoopbackSshd {
  port: number;
  host: "127.0.0.1";
  user: string;
  client: Keypair;
  hostKey: Keypair;
  knownHostsLine: string;
  logPath: string;
  log(): string;
  stop(): Promise<void>;
}

async function waitForBanner(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, "127.0.0.1");
      c.once("data", (d) => (c.destroy(), resolve(d.toString().startsWith("SSH-2.0"))));
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on 127.0.0.1:${port} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(extraConfig: string[] = []): Promise<LoopbackSshd> {
  const dir = mkdtempSync(join(tmpdir(), "netkit-sshd-"));
  const client = generateKey(dir, "client");
  const hostKey = generateKey(dir, "host");
  writeFileSync(join(dir, "authorized_keys"), client.publicKey + "\n");
  const port = await freePort();
  const logPath = join(dir, "sshd.log");
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey.path}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    "StrictModes no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "LogLevel VERBOSE",
    "MaxSessions 64",
    "MaxStartups 64",
    ...extraConfig,
  ];
  writeFileSync(join(dir, "sshd_config"), config.join("\n") + "\n");
  mkdirSync("/run/sshd", { recursive: true }); // privilege separation directory
  const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logChunks: Buffer[] = [];
  child.stderr!.on("data", (d: Buffer) => logChunks.push(d));
  const log = () => Buffer.concat(logChunks).toString();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForBanner(port, Date.now() + 10_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}; sshd said: ${log()}`);
  }
  return {
    port,
    host: "127.0.0.1",
    user: "root",
    client,
    hostKey,
    knownHostsLine: `[127.0.0.1]:${port} ${hostKey.publicKey}`,
    logPath,
    log,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      writeFileSync(logPath, log());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
