import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { TestHostError } from "./errors";
import { run } from "./run";

export interface KeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** OpenSSH private key text. */
  privateKey: string;
  /** "ssh-ed25519 AAAA…" without the comment. */
  publicKey: string;
}

/** Generates a fresh passphrase-less ed25519 key pair with ssh-keygen into dir/name{,.pub}. */
export async function generateKey(dir: string, name: string, comment: string): Promise<KeyPair> {
  const privateKeyPath = path.join(dir, name);
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", privateKeyPath]);
  const publicKeyPath = `${privateKeyPath}.pub`;
  return {
    privateKeyPath,
    publicKeyPath,
    privateKey: fs.readFileSync(privateKeyPath, "utf8"),
    publicKey: stripComment(fs.readFileSync(publicKeyPath, "utf8")),
  };
}

/** "type base64 [comment]" -> "type base64". */
export function stripComment(publicKeyLine: string): string {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  if (!type || !b64) throw new TestHostError(`not an OpenSSH public key line: ${JSON.stringify(publicKeyLine.slice(0, 40))}`);
  return `${type} ${b64}`;
}

/** The wire-format key blob of an OpenSSH public key line (what an SSH server presents). */
export function keyBlob(publicKeyLine: string): Buffer {
  return Buffer.from(stripComment(publicKeyLine).split(" ")[1] ?? "", "base64");
}

/** "SHA256:…" exactly as `ssh-keygen -lf` prints it (unpadded base64 of the blob's SHA-256). */
export function fingerprint(publicKeyLine: string): string {
  const digest = createHash("sha256").update(keyBlob(publicKeyLine)).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** A known_hosts line for a server on a non-default port: "[host]:port type base64". */
export function knownHostsLine(host: string, port: number, publicKeyLine: string): string {
  return `[${host}]:${port} ${stripComment(publicKeyLine)}`;
}
