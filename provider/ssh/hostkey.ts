// Host key pinning. A pin is either an OpenSSH known_hosts/public-key line or a SHA256
// fingerprint as `ssh-keygen -lf` prints it; both are compared against the raw key blob
// the server offers during the handshake.
import { createHash } from "node:crypto";

export interface HostKeyPin {
  /** Raw public key blob, when the pin was a key line. */
  blob?: Buffer;
  /** "SHA256:…" fingerprint. */
  fingerprint: string;
}

/** "SHA256:<unpadded base64>" of a raw public key blob, like ssh-keygen. */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** Parses a pin; throws a message that says which forms are accepted. */
export function parseHostKeyPin(pin: string): HostKeyPin {
  const text = pin.trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
  if (fp) return { fingerprint: `SHA256:${fp[1]}` };
  // known_hosts lines may start with host patterns (and @markers); the key type is the
  // first word that looks like one, and the blob follows it.
  const words = text.split(/\s+/);
  const at = words.findIndex((w) => KEY_TYPE.test(w));
  const b64 = at >= 0 ? words[at + 1] : undefined;
  if (b64 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    const blob = Buffer.from(b64, "base64");
    // The blob starts with its own key type as an SSH string; a mismatch means a mangled pin.
    const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (typeLen > 0 && blob.subarray(4, 4 + typeLen).toString() === words[at]) {
      return { blob, fingerprint: fingerprintOf(blob) };
    }
  }
  throw new Error(
    'hostKey must be a known_hosts line (e.g. "[host]:22 ssh-ed25519 AAAA…"), a public key line ' +
      '("ssh-ed25519 AAAA…") or a fingerprint ("SHA256:…" as printed by ssh-keygen -lf)',
  );
}

export function matchesPin(pin: HostKeyPin, offered: Buffer): boolean {
  return pin.blob ? pin.blob.equals(offered) : pin.fingerprint === fingerprintOf(offered);
}
