import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fingerprintOf, matchesPin, parseHostKeyPin } from "../../../provider/ssh/hostkey";
import { knownHostKeys } from "../../../provider/ssh/known-hosts";

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
