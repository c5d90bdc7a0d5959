// Secrets must never reach an error message or a log line, whoever wrote the text: our
// own messages, ssh2's (which quote what they could not parse), sudo's or a command's
// stderr. Every text the SSH layer emits passes through the redactor of its connection.
import type { Logger } from "../log";
import type { Connection, Endpoint } from "./connection";

export type Redact = (text: string) => string;

const MASK = "[redacted]";
/** Shorter secrets would turn ordinary words into masks; such secrets protect nothing anyway. */
const MIN_SECRET = 4;

/** Every secret of an endpoint, and each line of a private key (a message may quote one line). */
function endpointSecrets(e: Endpoint): string[] {
  const out = [e.password, e.privateKeyPassphrase].filter((s): s is string => s !== undefined);
  if (e.privateKey) {
    out.push(e.privateKey, e.privateKey.trim());
    for (const line of e.privateKey.split(/\r?\n/)) if (!line.startsWith("-----")) out.push(line.trim());
  }
  return out;
}

export function connectionSecrets(c: Connection): string[] {
  const out = endpointSecrets(c);
  if (c.jumpHost) out.push(...endpointSecrets(c.jumpHost));
  if (typeof c.sudo === "object") out.push(c.sudo.password);
  return out;
}

export function redactor(secrets: readonly string[]): Redact {
  // Longest first, so a whole key is masked before its lines are.
  const list = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET))].sort((a, b) => b.length - a.length);
  return (text) => {
    let t = text;
    for (const s of list) if (t.includes(s)) t = t.split(s).join(MASK);
    return t;
  };
}

/** The same logger, with every line redacted. */
export function redactingLogger(log: Logger, redact: Redact): Logger {
  return {
    debug: (m) => log.debug(redact(m)),
    info: (m) => log.info(redact(m)),
    warn: (m) => log.warn(redact(m)),
  };
}

/** Redacts an error's message and stack, and its causes', in place: the last line of defence before it leaves the layer. */
export function redactError<E>(err: E, redact: Redact): E {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 10; cur = cur.cause, depth++) {
    cur.message = redact(cur.message);
    if (cur.stack) cur.stack = redact(cur.stack);
  }
  return err;
}
