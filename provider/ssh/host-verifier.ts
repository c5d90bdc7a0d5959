// Decides whether to trust the host key a server offers during the handshake: against the
// pin when given, else against ~/.ssh/known_hosts. Skipping the check is possible only for
// the target and only when asked for, and then it is said out loud on every connection.
import type { Logger } from "../log";
import type { Endpoint } from "./connection";
import { fingerprintOf, matchesPin, parseHostKeyPin } from "./hostkey";
import { knownHostKeys } from "./known-hosts";

export interface HostKeyPolicy {
  verify(key: Buffer): boolean;
  /** Why `key` was refused and what to do about it. */
  refusal(key: Buffer): string;
}

export interface PolicyOptions {
  /** "user@host:port" of the hop, for the warning. */
  id: string;
  log: Logger;
  /** Where the user pins this hop's key: connection.hostKey or connection.jumpHost.hostKey. */
  pinField: string;
  /** Accept any key (the target's insecureSkipHostKeyCheck). */
  insecure?: boolean;
}

export function hostKeyPolicy(e: Endpoint, { id, log, pinField, insecure = false }: PolicyOptions): HostKeyPolicy {
  const where = e.port === 22 ? e.host : `[${e.host}]:${e.port}`;
  if (insecure) {
    return {
      verify: (key) => {
        log.warn(
          `host key verification is DISABLED for ${id} (offered ${fingerprintOf(key)}): anyone on the network path ` +
            `can impersonate this host; pin connection.hostKey instead of insecureSkipHostKeyCheck`,
        );
        return true;
      },
      refusal: () => "unreachable: every key is accepted",
    };
  }
  if (e.hostKey) {
    const pin = parseHostKeyPin(e.hostKey);
    return {
      verify: (key) => matchesPin(pin, key),
      refusal: (key) =>
        `host key ${fingerprintOf(key)} does not match the pinned ${pin.fingerprint}: the host changed or ` +
        `this is not the host you meant; if the change is expected, update ${pinField}`,
    };
  }
  const known = knownHostKeys(e.host, e.port);
  return {
    verify: (key) => known.some((k) => k.equals(key)),
    refusal: (key) =>
      known.length > 0
        ? `host key ${fingerprintOf(key)} differs from the one in ~/.ssh/known_hosts for ${where}: refusing to connect`
        : `host key ${fingerprintOf(key)} of ${where} is unknown: pin it with ${pinField} ` +
          `("${fingerprintOf(key)}") or add it to ~/.ssh/known_hosts (ssh-keyscan -p ${e.port} ${e.host})`,
  };
}
