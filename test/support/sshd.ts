// A real OpenSSH server on loopback for the SSH tier: its own host key, authorized key and
// config in a private temp dir; never the machine's /etc/ssh. Logs at VERBOSE so tests can
// count connections and authentications. Local test users (password login, sudo) are made
// here too, idempotently, so a fresh CI machine needs nothing but root.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Keypair {
  privateKey: string;
  publicKey: string;
  path: string;
}

/** Key types a test can ask for; RSA and ECDSA for servers that hold several host keys. */
export type KeyType = "ed25519" | "rsa" | "ecdsa";

export function generateKey(dir: string, name: string, passphrase = "", type: KeyType = "ed25519"): Keypair {
  const path = join(dir, name);
  // 2048-bit RSA: enough for a test, and quick to generate.
  const size = type === "rsa" ? ["-b", "2048"] : [];
  execFileSync("ssh-keygen", ["-q", "-t", type, ...size, "-N", passphrase, "-C", name, "-f", path]);
  return { path, privateKey: readFileSync(path, "utf8"), publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface SshdOptions {
  /** Listen on this port (default: a free one); lets a test start a server late on a known port. */
  port?: number;
  /** Listen address (default 127.0.0.1; any 127.x address is loopback). */
  listenAddress?: string;
  /** Use these keys instead of generating them (a test that needs the host key before the server runs). */
  keys?: { client: Keypair; hostKey: Keypair };
  /** PasswordAuthentication yes (default no). */
  passwordAuth?: boolean;
  /** AllowTcpForwarding yes, for a jump host (default no). */
  allowTcpForwarding?: boolean;
  /**
   * Host keys of these types besides the ed25519 one: the server then offers every one of
   * them and the client's preference decides which it presents (ssh2 prefers ed25519).
   */
  extraHostKeys?: Array<Exclude<KeyType, "ed25519">>;
  /** MaxSessions (default 64). */
  maxSessions?: number;
  /** Further sshd_config lines. */
  extraConfig?: string[];
}

export interface LoopbackSshd {
  port: number;
  host: string;
  user: string;
  client: Keypair;
  hostKey: Keypair;
  /** The further host keys extraHostKeys asked for, by type. */
  extraHostKeys: Partial<Record<KeyType, Keypair>>;
  knownHostsLine: string;
  logPath: string;
  /** The sshd process (the listener; each connection is served by its descendants). */
  pid: number;
  log(): string;
  /** How often `re` occurs in the log, e.g. /Accepted publickey/g. */
  count(re: RegExp): number;
  /** TCP connections the server accepted so far. */
  connections(): number;
  /** Successful authentications so far ("Accepted <method> for <user>"). */
  accepted(): number;
  /** Adds a public key to the authorized keys (of every user: the file is shared). */
  authorize(publicKey: string): void;
  /** SIGKILLs every process serving a connection (and what they run), as a crash or a cut cable would end them. */
  killSessions(): number;
  stop(): Promise<void>;
}

async function waitForBanner(host: string, port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, host);
      c.once("data", (d) => (c.destroy(), resolve(d.toString().startsWith("SSH-2.0"))));
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${host}:${port} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every descendant of pid, from /proc (children before their own children). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // "pid (comm) state ppid …"; comm may contain spaces and parentheses, so parse after the last ')'.
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  for (let frontier = [pid]; frontier.length;) {
    const next = [...parent].filter(([, pp]) => frontier.includes(pp)).map(([p]) => p);
    out.push(...next);
    frontier = next;
  }
  return out;
}

export async function startSshd(opts: SshdOptions | string[] = {}): Promise<LoopbackSshd> {
  const o: SshdOptions = Array.isArray(opts) ? { extraConfig: opts } : opts;
  const host = o.listenAddress ?? "127.0.0.1";
  const dir = mkdtempSync(join(tmpdir(), "netkit-sshd-"));
  // Test users other than root read authorized_keys with their own rights.
  chmodSync(dir, 0o755);
  const client = o.keys?.client ?? generateKey(dir, "client");
  const hostKey = o.keys?.hostKey ?? generateKey(dir, "host");
  const extraHostKeys = Object.fromEntries((o.extraHostKeys ?? []).map((t) => [t, generateKey(dir, `host-${t}`, "", t)]));
  writeFileSync(join(dir, "authorized_keys"), client.publicKey + "\n", { mode: 0o644 });
  const port = o.port ?? (await freePort(host));
  const logPath = join(dir, "sshd.log");
  const config = [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${hostKey.path}`,
    ...Object.values(extraHostKeys).map((k) => `HostKey ${k.path}`),
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    "StrictModes no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    `PasswordAuthentication ${o.passwordAuth ? "yes" : "no"}`,
    "KbdInteractiveAuthentication no",
    `AllowTcpForwarding ${o.allowTcpForwarding ? "yes" : "no"}`,
    "LogLevel VERBOSE",
    // bash sources ~/.bashrc for SSH commands only in a top-level shell (SHLVL < 2). This
    // machine's root .bashrc runs pyenv init, which under concurrency waits up to 60 s on
    // a lock and writes to stderr; the fixture's sessions must not depend on rc files.
    "SetEnv SHLVL=1",
    `MaxSessions ${o.maxSessions ?? 64}`,
    "MaxStartups 64",
    ...(o.extraConfig ?? []),
  ];
  writeFileSync(join(dir, "sshd_config"), config.join("\n") + "\n");
  mkdirSync("/run/sshd", { recursive: true }); // privilege separation directory
  const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logChunks: Buffer[] = [];
  child.stderr!.on("data", (d: Buffer) => logChunks.push(d));
  const log = () => Buffer.concat(logChunks).toString();
  const count = (re: RegExp) => (log().match(new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g")) ?? []).length;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForBanner(host, port, Date.now() + 10_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}; sshd said: ${log()}`);
  }
  return {
    port,
    host,
    user: "root",
    client,
    hostKey,
    extraHostKeys,
    knownHostsLine: `[${host}]:${port} ${hostKey.publicKey}`,
    logPath,
    pid: child.pid!,
    log,
    count,
    // The banner probes above are connections too, but they happen before any test looks.
    connections: () => count(/Connection from /g),
    accepted: () => count(/Accepted \S+ for /g),
    authorize(publicKey) {
      appendFileSync(join(dir, "authorized_keys"), publicKey.trim() + "\n");
    },
    killSessions() {
      const pids = descendants(child.pid!);
      for (const p of pids) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      return pids.length;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      writeFileSync(logPath, log());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- local test users -------------------------------------------------------------------

export interface TestUser {
  name: string;
  /** A fresh random password (only for users made with password: true). */
  password?: string;
  /** Takes the password and the sudo rule away again (the account stays, unusable for password logins and sudo). */
  release(): void;
}

export function sudoInstalled(): boolean {
  return existsSync("/usr/bin/sudo");
}

/**
 * Makes (or reuses) a local user for tests. Every call sets a new random password, so a
 * known one never outlives the test run on a machine whose own sshd may allow passwords;
 * release() removes it, and the sudo rule. `sudo` writes /etc/sudoers.d/netkit-test-<name>: "nopasswd" or
 * "password" (sudo asks for the user's password). Needs root.
 */
export function ensureTestUser(name: string, opts: { password?: boolean; sudo?: "nopasswd" | "password" } = {}): TestUser {
  if (!/^netkit-test[a-z-]*$/.test(name)) throw new Error(`test users are named netkit-test…, not ${name}`);
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", name]);
  }
  // useradd leaves "!" (locked) in the password field, and sshd without PAM refuses even key
  // logins for locked accounts; "*" is "no password" without being locked.
  const noPassword = () => execFileSync("usermod", ["-p", "*", name]);
  let password: string | undefined;
  if (opts.password) {
    password = randomBytes(18).toString("base64url");
    execFileSync("chpasswd", { input: `${name}:${password}\n` });
  } else {
    noPassword();
  }
  if (opts.sudo) {
    if (!sudoInstalled()) throw new Error("sudo is not installed");
    mkdirSync("/etc/sudoers.d", { recursive: true });
    const rule = opts.sudo === "nopasswd" ? `${name} ALL=(ALL:ALL) NOPASSWD: ALL` : `${name} ALL=(ALL:ALL) ALL`;
    // Lecture off: it would be noise in every first sudo of a fresh user.
    writeFileSync(`/etc/sudoers.d/${name}`, `Defaults:${name} lecture=never\n${rule}\n`, { mode: 0o440 });
  }
  const sudoers = `/etc/sudoers.d/${name}`;
  const user: TestUser = {
    name,
    release: () => {
      if (opts.password) noPassword();
      if (opts.sudo) rmSync(sudoers, { force: true });
    },
  };
  if (password !== undefined) user.password = password;
  return user;
}
