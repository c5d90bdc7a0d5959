import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionDefaultsFrom } from "../../../provider/config";
import { checkInputs } from "../../../provider/definition/check";
import { silentLogger } from "../../../provider/log";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { connectionSchema } from "../../../provider/connection";
import { hostKeyPolicy } from "../../../provider/ssh/host-verifier";
import { fingerprintOf, hostKeyAlgorithms, matchesPin, negotiable, parseHostKeyPin, SSH2_HOST_KEY_ALGORITHMS } from "../../../provider/ssh/hostkey";
import { knownHostKeys, readKnownHosts } from "../../../provider/ssh/known-hosts";

describe("unit: ssh/hostkey", () => {
  let dir: string;
  let pub: string; // "ssh-ed25519 AAAA… comment"
  let blob: Buffer;
  let sshKeygenFingerprint: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hostkey-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", join(dir, "k")]);
    pub = readFileSync(join(dir, "k.pub"), "utf8").trim();
    blob = Buffer.from(pub.split(" ")[1]!, "base64");
    sshKeygenFingerprint = execFileSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")])
      .toString()
      .split(" ")[1]!;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("computes the same fingerprint as ssh-keygen", () => {
    assert.equal(fingerprintOf(blob), sshKeygenFingerprint);
  });

  it("accepts a public key line, a known_hosts line and a fingerprint", () => {
    for (const pin of [pub, `[127.0.0.1]:2222 ${pub}`, `host.example,10.0.0.1 ${pub}`, sshKeygenFingerprint]) {
      const p = parseHostKeyPin(pin);
      assert.equal(p.fingerprint, sshKeygenFingerprint, pin);
      assert.ok(matchesPin(p, blob), pin);
    }
  });

  it("rejects a different key", () => {
    const other = Buffer.from(blob);
    other[other.length - 1]! ^= 1;
    assert.equal(matchesPin(parseHostKeyPin(pub), other), false);
    assert.equal(matchesPin(parseHostKeyPin(sshKeygenFingerprint), other), false);
  });

  it("refuses malformed pins with a message that lists the accepted forms", () => {
    for (const bad of ["", "nonsense", "ssh-ed25519", "ssh-ed25519 !!!", "SHA256:short", `ssh-rsa ${pub.split(" ")[1]}`]) {
      assert.throws(() => parseHostKeyPin(bad), /known_hosts line .* fingerprint/, bad);
    }
  });

  it("finds plain and hashed known_hosts entries for host:port", () => {
    const kh = join(dir, "known_hosts");
    writeFileSync(kh, `# comment\n[127.0.0.1]:2222 ${pub}\n@revoked [127.0.0.1]:2223 ${pub}\n`);
    assert.equal(knownHostKeys("127.0.0.1", 2222, [kh]).length, 1);
    assert.equal(knownHostKeys("127.0.0.1", 2223, [kh]).length, 0, "revoked entries are not trusted keys");
    assert.equal(knownHostKeys("127.0.0.1", 22, [kh]).length, 0);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", kh], { stdio: "ignore" }); // hash the host names in place
    assert.match(readFileSync(kh, "utf8"), /^\|1\|/m);
    assert.ok(knownHostKeys("127.0.0.1", 2222, [kh])[0]!.equals(blob));
    assert.equal(knownHostKeys("missing.example", 2222, [kh, join(dir, "nope")]).length, 0);
  });
});

// Part 7 of "GitOps-grade truth": known_hosts markers, and asking the server for the pinned
// key's type.
describe("unit: ssh/hostkey markers and key types", () => {
  let dir: string;
  const keys: Record<string, { pub: string; blob: Buffer; fingerprint: string }> = {};
  const keygen = (name: string, args: string[]) => {
    execFileSync("ssh-keygen", ["-q", ...args, "-N", "", "-C", name, "-f", join(dir, name)]);
    const pub = readFileSync(join(dir, `${name}.pub`), "utf8").trim();
    const blob = Buffer.from(pub.split(" ")[1]!, "base64");
    keys[name] = { pub, blob, fingerprint: fingerprintOf(blob) };
  };
  const pairWith = (connection: Record<string, unknown>) => ({ connection, name: "nk0", peerName: "nk0p" });
  const endpoint = (over: Record<string, unknown> = {}) => connectionSchema.parse({ host: "127.0.0.1", port: 2222, ...over });
  const policyOf = (over: Record<string, unknown>, knownHostsFiles: string[] = []) =>
    hostKeyPolicy(endpoint(over), { id: "root@127.0.0.1:2222", log: silentLogger, pinField: "connection.hostKey", knownHostsFiles });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hostkey-types-"));
    keygen("ed25519", ["-t", "ed25519"]);
    keygen("rsa", ["-t", "rsa", "-b", "2048"]);
    for (const bits of ["256", "384", "521"]) keygen(`ecdsa${bits}`, ["-t", "ecdsa", "-b", bits]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("a pin that is a known_hosts line with a marker is refused at check, naming the field", () => {
    const markers: Array<[title: string, line: (pub: string) => string, reason: RegExp]> = [
      ["@revoked for one host", (pub) => `@revoked [127.0.0.1]:2222 ${pub}`, /@revoked.*never trusted/],
      ["@revoked for every host", (pub) => `@revoked * ${pub}`, /@revoked.*never trusted/],
      ["@cert-authority", (pub) => `@cert-authority *.example.com ${pub}`, /@cert-authority.*certificates are not supported/],
      ["an unknown marker", (pub) => `@something 10.0.0.1 ${pub}`, /@something.*not supported/],
      // Pasted with the lines around it: any marker line refuses the whole pin.
      ["@revoked on the second line of a paste", (pub) => `10.0.0.1 ${pub}\n@revoked 10.0.0.1 ${pub}`, /@revoked/],
    ];
    for (const [title, line, reason] of markers) {
      it(`${title}: connection.hostKey, connection.jumpHost.hostKey, netkit:hostKey, netkit:jumpHost`, () => {
        const pin = line(keys.ed25519!.pub);
        assert.throws(() => parseHostKeyPin(pin), reason);
        const target = checkInputs(netkitPairDefinition, pairWith({ host: "10.0.0.1", hostKey: pin }));
        assert.equal(target.failures.length, 1, JSON.stringify(target.failures));
        assert.equal(target.failures[0]!.property, "connection.hostKey");
        assert.match(target.failures[0]!.reason, reason);
        const jump = checkInputs(netkitPairDefinition, pairWith({ host: "10.0.0.1", jumpHost: { host: "bastion", hostKey: pin } }));
        assert.equal(jump.failures.length, 1, JSON.stringify(jump.failures));
        assert.equal(jump.failures[0]!.property, "connection.jumpHost.hostKey");
        assert.match(jump.failures[0]!.reason, reason);
        assert.throws(
          () => connectionDefaultsFrom((k) => (k === "hostKey" ? pin : undefined)),
          (e: Error) => /^config netkit:hostKey: /.test(e.message) && reason.test(e.message),
        );
        const json = JSON.stringify({ host: "bastion", hostKey: pin });
        assert.throws(
          () => connectionDefaultsFrom((k) => (k === "jumpHost" ? json : undefined)),
          (e: Error) => /^config netkit:jumpHost: hostKey: /.test(e.message) && reason.test(e.message),
        );
      });
    }

    it("the same key without a marker, or with a comment that merely contains @, is still a valid pin", () => {
      for (const pin of [`[127.0.0.1]:2222 ${keys.ed25519!.pub}`, `${keys.ed25519!.pub.split(" ").slice(0, 2).join(" ")} @laptop`]) {
        assert.deepEqual(checkInputs(netkitPairDefinition, pairWith({ host: "10.0.0.1", hostKey: pin })).failures, [], pin);
      }
    });
  });

  describe("asking the server for the pinned key's type", () => {
    it("names the algorithms of each key type", () => {
      assert.deepEqual(hostKeyAlgorithms("ssh-ed25519"), ["ssh-ed25519"]);
      assert.deepEqual(hostKeyAlgorithms("ssh-rsa"), ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
      for (const n of ["256", "384", "521"]) assert.deepEqual(hostKeyAlgorithms(`ecdsa-sha2-nistp${n}`), [`ecdsa-sha2-nistp${n}`]);
      for (const sk of ["sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]) assert.deepEqual(hostKeyAlgorithms(sk), [sk]);
    });

    it("a pinned key line restricts the offered algorithms to its type; a fingerprint, known_hosts or no check keeps ssh2's defaults", () => {
      const expected: Record<string, string[]> = {
        ed25519: ["ssh-ed25519"],
        rsa: ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
        ecdsa256: ["ecdsa-sha2-nistp256"],
        ecdsa384: ["ecdsa-sha2-nistp384"],
        ecdsa521: ["ecdsa-sha2-nistp521"],
      };
      for (const [name, algorithms] of Object.entries(expected)) {
        assert.equal(parseHostKeyPin(keys[name]!.pub).keyType, keys[name]!.pub.split(" ")[0], name);
        assert.deepEqual(policyOf({ hostKey: keys[name]!.pub }).algorithms, algorithms, name);
        assert.deepEqual(policyOf({ hostKey: `[127.0.0.1]:2222 ${keys[name]!.pub}` }).algorithms, algorithms, `${name} as a known_hosts line`);
      }
      assert.equal(policyOf({ hostKey: keys.rsa!.fingerprint }).algorithms, undefined);
      assert.equal(policyOf({}).algorithms, undefined);
      assert.equal(policyOf({ insecureSkipHostKeyCheck: true }).algorithms, undefined);
    });

    it("ssh2 can negotiate every host key algorithm the provider may ask for, and the list says which it cannot", () => {
      // The provider's own list of what ssh2 supports must be the installed ssh2's.
      const ssh2 = createRequire(__filename)("ssh2/lib/protocol/constants.js") as { SUPPORTED_SERVER_HOST_KEY: string[] };
      assert.deepEqual([...SSH2_HOST_KEY_ALGORITHMS].sort(), [...ssh2.SUPPORTED_SERVER_HOST_KEY].sort());
      for (const t of ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]) assert.ok(negotiable(hostKeyAlgorithms(t)), t);
      assert.ok(!negotiable(hostKeyAlgorithms("sk-ssh-ed25519@openssh.com")));
    });

    it("a fingerprint pin that does not match says which type the server offered and to pin the full key line", () => {
      const refusal = policyOf({ hostKey: keys.rsa!.fingerprint }).refusal(keys.ed25519!.blob);
      assert.match(refusal, new RegExp(`offered its ssh-ed25519 host key ${escape(keys.ed25519!.fingerprint)}, not the pinned ${escape(keys.rsa!.fingerprint)}`));
      assert.match(
        refusal,
        /pin that key's full line .*: pulumi config set netkit:hostKey "\$\(ssh-keyscan -t TYPE -p 2222 127\.0\.0\.1\)" \(or the resource's connection\.hostKey\)/,
      );
      // A pinned key line asked for its own type: a mismatch there is a different key, said plainly.
      assert.match(policyOf({ hostKey: keys.ed25519!.pub }).refusal(keys.rsa!.blob), /host key \S+ does not match the pinned \S+: the host changed/);
    });
  });

  describe("~/.ssh/known_hosts markers", () => {
    it("@revoked refuses the key it names, whatever else trusts it, naming the file and line", () => {
      const kh = join(dir, "known_hosts-revoked");
      writeFileSync(kh, `# keys\n[127.0.0.1]:2222 ${keys.ed25519!.pub}\n[127.0.0.1]:2222 ${keys.rsa!.pub}\n@revoked * ${keys.ed25519!.pub}\n`);
      const policy = policyOf({}, [kh]);
      assert.equal(policy.verify(keys.ed25519!.blob), false);
      assert.match(
        policy.refusal(keys.ed25519!.blob),
        new RegExp(`host key ${escape(keys.ed25519!.fingerprint)} of \\[127\\.0\\.0\\.1\\]:2222 is revoked: ${escape(kh)} line 4 marks it @revoked`),
      );
      assert.equal(policy.verify(keys.rsa!.blob), true, "another key of the host is still trusted");
      assert.deepEqual(readKnownHosts([kh]).revocation(keys.ed25519!.blob), { file: kh, line: 4 });
      assert.equal(readKnownHosts([kh]).revocation(keys.rsa!.blob), undefined);
    });

    it("@revoked applies to hashed entries too", () => {
      const kh = join(dir, "known_hosts-hashed");
      writeFileSync(kh, `[127.0.0.1]:2222 ${keys.ecdsa256!.pub}\n`);
      execFileSync("ssh-keygen", ["-q", "-H", "-f", kh], { stdio: "ignore" });
      appendFileSync(kh, `@revoked [127.0.0.1]:2222 ${keys.ecdsa256!.pub}\n`);
      assert.match(readFileSync(kh, "utf8"), /^\|1\|/m);
      assert.equal(knownHostKeys("127.0.0.1", 2222, [kh]).length, 1, "the hashed entry is found");
      assert.equal(policyOf({}, [kh]).verify(keys.ecdsa256!.blob), false);
      assert.match(policyOf({}, [kh]).refusal(keys.ecdsa256!.blob), /is revoked: .* line 2 marks it @revoked/);
    });

    it("@cert-authority lines are not host keys: such a host is unknown", () => {
      const kh = join(dir, "known_hosts-ca");
      writeFileSync(kh, `@cert-authority [127.0.0.1]:2222 ${keys.ed25519!.pub}\n@cert-authority * ${keys.rsa!.pub}\n`);
      assert.deepEqual(knownHostKeys("127.0.0.1", 2222, [kh]), []);
      const policy = policyOf({}, [kh]);
      assert.equal(policy.verify(keys.ed25519!.blob), false);
      assert.match(
        policy.refusal(keys.ed25519!.blob),
        /is unknown: verify it out of band, then pin it: pulumi config set netkit:hostKey "SHA256:\S+" \(or the resource.s connection\.hostKey\), or add it to ~\/\.ssh\/known_hosts: ssh-keyscan -t \S+ -p \d+ \S+ >> ~\/\.ssh\/known_hosts/,
      );
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
