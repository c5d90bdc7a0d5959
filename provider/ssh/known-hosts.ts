// Looks up a host in OpenSSH known_hosts files, including hashed (|1|salt|hash) entries,
// so that without an explicit pin the user's own trust decisions apply.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

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

/** Raw key blobs recorded for host:port (revoked and CA markers are not trusted as keys). */
export function knownHostKeys(host: string, port: number, files = [join(homedir(), ".ssh", "known_hosts")]): Buffer[] {
  const name = hostPattern(host, port);
  const keys: Buffer[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const words = line.trim().split(/\s+/);
      if (!words[0] || words[0].startsWith("#") || words[0].startsWith("@")) continue;
      if (words.length >= 3 && entryMatches(words[0], name)) keys.push(Buffer.from(words[2]!, "base64"));
    }
  }
  return keys;
}
