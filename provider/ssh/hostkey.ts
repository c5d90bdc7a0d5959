// Host key pinning. A pin is either an OpenSSH known_hosts/public-key line or a SHA256
// fingerprint as `ssh-keygen -lf` prints it; both are compared against the raw key blob
// the server offers during the handshake. A key line also says the key's type, so the
// client can ask a server that has several host keys for that one.
import { createHash } from "node:crypto";
import type { ServerHostKeyAlgorithm } from "ssh2";

export interface HostKeyPin {
  /** Raw public key blob, when the pin was a key line. */
  blob?: Buffer;
  /** The key's type ("ssh-ed25519", "ssh-rsa", …), when the pin was a key line. */
  keyType?: string;
  /** "SHA256:…" fingerprint. */
  fingerprint: string;
}

/** "SHA256:<unpadded base64>" of a raw public key blob, like ssh-keygen. */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type a raw public key blob starts with (an SSH string), or "unknown" for a mangled blob. */
export function keyTypeOf(blob: Buffer): string {
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  return len > 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString("latin1") : "unknown";
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/**
 * The host key algorithms under which a server presents a key of this type. An RSA key
 * signs with SHA-2 (RFC 8332) or, on old servers, SHA-1; every other type is its own one.
 */
export function hostKeyAlgorithms(keyType: string): string[] {
  return keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];
}

/**
 * What ssh2 (1.x, its SUPPORTED_SERVER_HOST_KEY) can ask a server for; a unit test keeps this
 * in step with the installed ssh2. Security-key (sk-…) types are not among them: OpenSSH
 * uses them for user keys, and ssh2 would throw on them before dialing.
 */
export const SSH2_HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
  "ssh-dss",
];

/** Whether ssh2 can ask a server for every one of these algorithms. */
export function negotiable(algorithms: string[]): algorithms is ServerHostKeyAlgorithm[] {
  return algorithms.every((a) => (SSH2_HOST_KEY_ALGORITHMS as readonly string[]).includes(a));
}

const MALFORMED = 'must be a known_hosts line ("[host]:22 ssh-ed25519 AAAA…"), a public key line ("ssh-ed25519 AAAA…") or a fingerprint ("SHA256:…" as ssh-keygen -lf prints it)';

/** The marker (@revoked, @cert-authority, …) that starts any line of a pasted known_hosts text. */
function markerOf(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const first = line.trim().split(/\s+/)[0];
    if (first?.startsWith("@")) return first;
  }
  return undefined;
}

/**
 * Why a known_hosts line with this marker cannot be a pin. A revoked key must never be
 * trusted, and a CA key signs host certificates, which this provider does not verify:
 * reading either as a plain key would trust exactly what the line says not to.
 */
function markerRefusal(marker: string): string {
  if (marker === "@revoked") {
    return "is a known_hosts line marked @revoked: that key is revoked and never trusted, so it cannot be a pin; pin the host's current key (its key line or SHA256 fingerprint)";
  }
  if (marker === "@cert-authority") {
    return "is a known_hosts line marked @cert-authority: host certificates are not supported; pin the host's own key instead (its line from ssh-keyscan, or its SHA256 fingerprint)";
  }
  return `is a known_hosts line with the marker ${marker}, which is not supported; pin a plain key line ("ssh-ed25519 AAAA…") or a fingerprint ("SHA256:…")`;
}

/** The pin, or why it is not one (worded to follow the field's name). */
function readPin(pin: string): HostKeyPin | string {
  const text = pin.trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
  if (fp) return { fingerprint: `SHA256:${fp[1]}` };
  const marker = markerOf(text);
  if (marker) return markerRefusal(marker);
  // known_hosts lines start with host patterns; the key type is the first word that looks
  // like one, and the blob follows it.
  const words = text.split(/\s+/);
  const at = words.findIndex((w) => KEY_TYPE.test(w));
  const b64 = at >= 0 ? words[at + 1] : undefined;
  if (b64 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    const blob = Buffer.from(b64, "base64");
    // The blob starts with its own key type; a mismatch means a mangled pin.
    if (keyTypeOf(blob) === words[at]) return { blob, keyType: words[at], fingerprint: fingerprintOf(blob) };
  }
  return MALFORMED;
}

/** Why `pin` cannot be used, for check to report at the field; undefined when it can. */
export function hostKeyPinProblem(pin: string): string | undefined {
  const r = readPin(pin);
  return typeof r === "string" ? r : undefined;
}

/** Parses a pin; throws a message that says which forms are accepted, or why a marker line is not one. */
export function parseHostKeyPin(pin: string): HostKeyPin {
  const r = readPin(pin);
  if (typeof r === "string") throw new Error(`hostKey ${r}`);
  return r;
}

export function matchesPin(pin: HostKeyPin, offered: Buffer): boolean {
  return pin.blob ? pin.blob.equals(offered) : pin.fingerprint === fingerprintOf(offered);
}
