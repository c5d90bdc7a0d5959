// Host keys against a real OpenSSH server that holds several (ed25519, RSA, ECDSA): a pinned
// key line makes the server present that key; a fingerprint pin of another of its keys fails
// saying so; known_hosts markers (@revoked, @cert-authority) are honoured, and a pin that is
// a marker line is refused at check, before any connection.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInputs } from "../../provider/definition/check";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { fingerprintOf, parseHostKeyPin } from "../../provider/ssh/hostkey";
import { SshSession } from "../../provider/ssh/session";
import { SshError } from "../../provider/errors";
import { startSshd, type LoopbackSshd, type Keypair } from "../support/sshd";
import { Capture, assertNoSecrets } from "../support/capture";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("ssh: host keys of a server with several", function () {
  let sshd: LoopbackSshd;
  let rsa: Keypair;
  let ecdsa: Keypair;
  let dir: string;
  const log = new Capture();
  const base = (): ConnectionInput => ({ host: sshd.host, port: sshd.port, privateKey: sshd.client.privateKey });
  const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), log);
  /** The refusal opening c ends in; a session that opens instead is closed, then the test fails. */
  const refused = (c: ConnectionInput) =>
    log.failure(
      open(c).then((s) => {
        s.close();
        return s;
      }),
    );
  const echo = async (c: ConnectionInput) => {
    const s = await open(c);
    try {
      return (await s.run(["echo", "ok"])).stdout.toString();
    } finally {
      s.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "netkit-hostkeys-"));
    // The jump-host tests reach this same server through itself.
    sshd = await startSshd({ extraHostKeys: ["rsa", "ecdsa"], allowTcpForwarding: true });
    rsa = sshd.extraHostKeys.rsa!;
    ecdsa = sshd.extraHostKeys.ecdsa!;
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("pinned key lines", () => {
    it("pinning the RSA key line connects: the server is asked for its RSA key", async () => {
      assert.equal(await echo({ ...base(), hostKey: rsa.publicKey }), "ok\n");
      assert.equal(await echo({ ...base(), hostKey: `[${sshd.host}]:${sshd.port} ${rsa.publicKey}` }), "ok\n");
    });

    it("pinning the ECDSA key line connects", async () => {
      assert.equal(await echo({ ...base(), hostKey: ecdsa.publicKey }), "ok\n");
    });

    it("pinning the ed25519 key line (or its fingerprint, the default choice) still connects", async () => {
      assert.equal(await echo({ ...base(), hostKey: sshd.knownHostsLine }), "ok\n");
      assert.equal(await echo({ ...base(), hostKey: parseHostKeyPin(sshd.hostKey.publicKey).fingerprint }), "ok\n");
    });

    it("a jump host's pinned RSA key line is asked for too", async () => {
      const jumpHost = { host: sshd.host, port: sshd.port, privateKey: sshd.client.privateKey, hostKey: rsa.publicKey };
      assert.equal(await echo({ ...base(), hostKey: ecdsa.publicKey, jumpHost }), "ok\n");
    });

    it("a pinned key type the server does not have is refused as such, without a retry", async () => {
      // ECDSA of another size than the server's (ssh-keygen's default, 256 bits).
      const path = join(dir, "p384");
      execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "384", "-N", "", "-C", "p384", "-f", path]);
      const pub = readFileSync(`${path}.pub`, "utf8").trim();
      const before = sshd.connections();
      const e = await refused({ ...base(), hostKey: pub, dialAttempts: 3 });
      assert.ok(e instanceof SshError && e.kind === "host-key" && !e.retryable, String(e));
      assert.match(
        e.message,
        new RegExp(
          `^ssh root@127\\.0\\.0\\.1:${sshd.port}: the server offers no ecdsa-sha2-nistp384 host key, the type of the key pinned in connection\\.hostKey \\(SHA256:\\S+\\): ` +
            `its keys changed or this is not the host you meant`,
        ),
      );
      assert.equal(sshd.connections() - before, 1, "not retried");
    });

    it("a security-key (sk-…) pin is refused before dialing: ssh2 cannot ask for that type", async () => {
      // sk host keys cannot be generated without a token; the pin only needs a well-formed blob.
      const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
      const type = "sk-ssh-ed25519@openssh.com";
      const blob = Buffer.concat([str(Buffer.from(type)), str(Buffer.alloc(32, 7)), str(Buffer.from("ssh:"))]);
      const before = sshd.connections();
      const e = await refused({ ...base(), hostKey: `${type} ${blob.toString("base64")}` });
      assert.ok(e instanceof SshError && e.kind === "host-key" && !e.retryable, String(e));
      assert.match(e.message, new RegExp(`the key pinned in connection\\.hostKey is of type ${escape(type)}, which ssh2 .* cannot ask a server for`));
      assert.equal(sshd.connections(), before, "nothing was dialed");
    });
  });

  describe("fingerprint pins", () => {
    it("a fingerprint of the RSA key fails saying the server offered its ed25519 key, and to pin the full key line", async () => {
      const pinned = parseHostKeyPin(rsa.publicKey).fingerprint;
      const offered = parseHostKeyPin(sshd.hostKey.publicKey).fingerprint;
      const e = await refused({ ...base(), hostKey: pinned });
      assert.ok(e instanceof SshError && e.kind === "host-key" && !e.retryable, String(e));
      assert.match(
        e.message,
        new RegExp(`^ssh root@127\\.0\\.0\\.1:${sshd.port}: the server offered its ssh-ed25519 host key ${escape(offered)}, not the pinned ${escape(pinned)}`),
      );
      assert.match(
        e.message,
        new RegExp(
          `pin that key's full line .*: pulumi config set netkit:hostKey "\\$\\(ssh-keyscan -t TYPE -p ${sshd.port} 127\\.0\\.0\\.1\\)" \\(or the resource's connection\\.hostKey\\)`,
        ),
      );
    });

    it("the same for a jump host, naming its field", async () => {
      const jumpHost = { host: sshd.host, port: sshd.port, privateKey: sshd.client.privateKey, hostKey: parseHostKeyPin(ecdsa.publicKey).fingerprint };
      const e = await refused({ ...base(), hostKey: rsa.publicKey, jumpHost });
      assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
      assert.match(e.message, /the server offered its ssh-ed25519 host key .*: connection\.jumpHost\.hostKey \("\$\(ssh-keyscan -t TYPE -p \d+ 127\.0\.0\.1\)"\)/);
    });
  });

  describe("a pin that is a known_hosts line with a marker", () => {
    for (const marker of ["@revoked", "@cert-authority"]) {
      it(`${marker}: refused at check, naming connection.hostKey; nothing is dialed`, () => {
        const before = sshd.connections();
        const pin = `${marker} [${sshd.host}]:${sshd.port} ${sshd.hostKey.publicKey}`;
        const r = checkInputs(netkitPairDefinition, { connection: { ...base(), hostKey: pin }, name: "nk0", peerName: "nk0p" });
        assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
        assert.equal(r.failures[0]!.property, "connection.hostKey");
        assert.match(r.failures[0]!.reason, new RegExp(marker));
        assert.throws(() => connectionSchema.parse({ ...base(), hostKey: pin }));
        assert.equal(sshd.connections(), before);
      });
    }
  });

  describe("~/.ssh/known_hosts (no pin)", () => {
    let home: string;
    let savedHome: string | undefined;
    const knownHosts = (lines: string[]) => writeFileSync(join(home, ".ssh", "known_hosts"), lines.join("\n") + "\n");
    const entry = () => `[${sshd.host}]:${sshd.port} ${sshd.hostKey.publicKey}`;

    before(() => {
      // The provider reads known_hosts under the home directory, which os.homedir() takes from HOME.
      savedHome = process.env.HOME;
      home = join(dir, "home");
      mkdirSync(join(home, ".ssh"), { recursive: true });
      process.env.HOME = home;
    });
    after(() => {
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
    });

    it("a plain entry for the server's key connects", async () => {
      knownHosts([entry()]);
      assert.equal(await echo(base()), "ok\n");
    });

    it("a @revoked line for the server's key refuses it, naming the revocation and its line, even beside a plain entry", async () => {
      knownHosts(["# the host's keys", entry(), `@revoked * ${sshd.hostKey.publicKey}`]);
      const before = sshd.connections();
      const e = await refused(base());
      assert.ok(e instanceof SshError && e.kind === "host-key" && !e.retryable, String(e));
      const fp = fingerprintOf(Buffer.from(sshd.hostKey.publicKey.split(" ")[1]!, "base64"));
      assert.match(
        e.message,
        new RegExp(
          `^ssh root@127\\.0\\.0\\.1:${sshd.port}: host key ${escape(fp)} of \\[127\\.0\\.0\\.1\\]:${sshd.port} is revoked: ${escape(join(home, ".ssh", "known_hosts"))} line 3 marks it @revoked`,
        ),
      );
      assert.equal(sshd.connections() - before, 1, "not retried");
    });

    it("a @cert-authority line is not a host key: the server's key is unknown", async () => {
      knownHosts([`@cert-authority [${sshd.host}]:${sshd.port} ${sshd.hostKey.publicKey}`]);
      const e = await refused(base());
      assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
      assert.match(
        e.message,
        /is unknown: verify it out of band, then pin it: pulumi config set netkit:hostKey "SHA256:\S+" \(or the resource.s connection\.hostKey\), or add it to ~\/\.ssh\/known_hosts: ssh-keyscan -t \S+ -p \d+ \S+ >> ~\/\.ssh\/known_hosts/,
      );
    });
  });

  // A suite's own tests run before its nested ones: this one goes last, in a suite of its own.
  describe("afterwards", () => {
    it("no key appears in any error or log line", () => {
      assertNoSecrets(log.text(), [sshd.client.privateKey]);
    });
  });
});
