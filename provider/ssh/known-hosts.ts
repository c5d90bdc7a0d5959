// Looks up a host in OpenSSH known_hosts files, including hashed (|1|salt|hash) entries,
// so that without an explicit pin the user's own trust decisions apply: plain entries are
// trusted keys, @revoked entries are keys never to accept, @cert-authority entries (CA keys
// for host certificates, which this provider does not verify) are not host keys at all.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The user's known_hosts, read at each use (HOME may differ between processes and tests). */
export function defaultKnownHostsFiles(): string[] {
  return [join(homedir(), ".ssh", "known_hosts")];
}

/** Where a known_hosts entry is: to name it in messages. */
export interface KnownHostsLine {
  file: string;
  /** 1-based. */
  line: number;
}

interface Entry extends KnownHostsLine {
  /** "@revoked", "@cert-authority" (or another "@…"), or undefined for a plain entry. */
  marker?: string;
  hosts: string;
  blob: Buffer;
}

export interface KnownHosts {
  /** Raw key blobs trusted for host:port (entries without a marker). */
  trusted(host: string, port: number): Buffer[];
  /** The @revoked entry for this key, if any. */
  revocation(key: Buffer): KnownHostsLine | undefined;
}

/** known_hosts names a host on a non-default port as "[host]:port". */
function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function entryMatches(field: string, name: string): boolean {
  for (const pat of field.split(",")) {
    if (pat.startsWith("|1|")) {
      const [, , salt, hash] = pat.split("|");
      if (salt && hash && createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash) return true;
    } else if (pat === name) {
      return true;
    }
  }
  return false;
}

/** One line as an entry: "[@marker] hosts keytype base64 [comment]"; comments and blanks are none. */
function entryOf(text: string, file: string, line: number): Entry | undefined {
  const words = text.trim().split(/\s+/);
  if (!words[0] || words[0].startsWith("#")) return undefined;
  const marker = words[0].startsWith("@") ? words.shift() : undefined;
  if (words.length < 3) return undefined;
  return { file, line, hosts: words[0], blob: Buffer.from(words[2]!, "base64"), ...(marker ? { marker } : {}) };
}

function entriesOf(files: string[]): Entry[] {
  const entries: Entry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    text.split("\n").forEach((line, i) => {
      const e = entryOf(line, file, i + 1);
      if (e) entries.push(e);
    });
  }
  return entries;
}

export function readKnownHosts(files = defaultKnownHostsFiles()): KnownHosts {
  const entries = entriesOf(files);
  return {
    trusted(host, port) {
      const name = hostPattern(host, port);
      return entries.filter((e) => e.marker === undefined && entryMatches(e.hosts, name)).map((e) => e.blob);
    },
    // OpenSSH applies @revoked to the hosts its pattern matches (usually "*"). A revoked key is
    // compromised key material whatever host presents it, and this reader does not implement
    // wildcard patterns, so the host pattern is not consulted: the key is refused everywhere.
    revocation(key) {
      const e = entries.find((x) => x.marker === "@revoked" && x.blob.equals(key));
      return e && { file: e.file, line: e.line };
    },
  };
}

/** Raw key blobs recorded for host:port (revoked and CA markers are not trusted as keys). */
export function knownHostKeys(host: string, port: number, files = defaultKnownHostsFiles()): Buffer[] {
  return readKnownHosts(files).trusted(host, port);
}
