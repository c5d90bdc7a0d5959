// Decides whether to trust the host key a server offers during the handshake: against the
// pin when given, else against ~/.ssh/known_hosts. Skipping the check is possible only for
// the target and only when asked for, and then it is said out loud on every connection.
// A pinned key line also decides which key to ask for: a server with several host keys
// presents the one of the client's preferred type, and that must be the pinned one.
import type { ServerHostKeyAlgorithm } from "ssh2";
import type { Logger } from "../log";
import type { Endpoint } from "./connection";
import { fingerprintOf, hostKeyAlgorithms, keyTypeOf, matchesPin, negotiable, parseHostKeyPin, type HostKeyPin } from "./hostkey";
import { readKnownHosts } from "./known-hosts";

export interface HostKeyPolicy {
  verify(key: Buffer): boolean;
  /** Why `key` was refused and what to do about it. */
  refusal(key: Buffer): string;
  /** Host key algorithms to ask for, when the policy wants one key type; otherwise ssh2's defaults. */
  algorithms?: ServerHostKeyAlgorithm[];
  /** Why a server that offers none of `algorithms` is refused. */
  noCommonAlgorithm?: string;
  /** Why no handshake can succeed, decided before dialing (a pinned key type ssh2 cannot ask for). */
  unusable?: string;
}

export interface PolicyOptions {
  /** "user@host:port" of the hop, for the warning. */
  id: string;
  log: Logger;
  /** Where the user pins this hop's key: connection.hostKey or connection.jumpHost.hostKey. */
  pinField: string;
  /** Accept any key (the target's insecureSkipHostKeyCheck). */
  insecure?: boolean;
  /** The known_hosts files consulted without a pin (default ~/.ssh/known_hosts). */
  knownHostsFiles?: string[];
}

/** How the user lists the host's keys (of one type: an SSH key type such as ssh-ed25519, or TYPE), to pin one. */
function keyscan(e: Endpoint, type?: string): string {
  // ssh-keyscan names types without their prefix: ed25519, rsa, ecdsa.
  const t = type?.replace(/^ssh-/, "").replace(/^ecdsa-sha2-nistp\d+$/, "ecdsa");
  return `ssh-keyscan${t ? ` -t ${t}` : ""} -p ${e.port} ${e.host}`;
}

/**
 * How to pin a key: the target's stack config has a command; a jump host's key sits inside
 * the JSON of netkit:jumpHost (or the resource's connection), so only its field is named.
 */
function pinIt(pinField: string, value: string): string {
  return pinField === "connection.hostKey" ? `pulumi config set netkit:hostKey ${value} (or the resource's connection.hostKey)` : `${pinField} (${value})`;
}

/**
 * What to run once a changed key is pinned: the stack recorded the provider's configuration at
 * its last update, and `pulumi refresh` and `pulumi destroy` connect with that one unless they
 * run the program.
 */
const AFTER_REPIN =
  "then run `pulumi up` (until an update records the new pin, `pulumi refresh` and `pulumi destroy` connect with the configuration " +
  "the stack recorded: give them --run-program)";

function insecurePolicy(id: string, log: Logger): HostKeyPolicy {
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

/** A pinned key line: ask for its type only, so a mismatch really is another key. */
function keyLinePolicy(pin: HostKeyPin & { keyType: string }, e: Endpoint, pinField: string): HostKeyPolicy {
  const policy: HostKeyPolicy = {
    verify: (key) => matchesPin(pin, key),
    refusal: (key) =>
      `host key ${fingerprintOf(key)} does not match the pinned ${pin.fingerprint}: the host changed or this is not the host you meant. ` +
      `If the change is expected, verify the new key out of band, pin it: ${pinIt(pinField, `"$(${keyscan(e, pin.keyType)})"`)}, ${AFTER_REPIN}`,
    noCommonAlgorithm:
      `the server offers no ${pin.keyType} host key, the type of the key pinned in ${pinField} (${pin.fingerprint}): its keys changed ` +
      `or this is not the host you meant. If the change is expected, verify its keys out of band (${keyscan(e)} lists them), pin one: ` +
      `${pinIt(pinField, `"$(${keyscan(e, "TYPE")})"`)}, ${AFTER_REPIN}`,
  };
  const algorithms = hostKeyAlgorithms(pin.keyType);
  if (negotiable(algorithms)) policy.algorithms = algorithms;
  else
    policy.unusable =
      `the key pinned in ${pinField} is of type ${pin.keyType}, which ssh2 (the provider's SSH client) cannot ask a server for; ` +
      `pin another of the host's keys (${keyscan(e)} lists them)`;
  return policy;
}

/**
 * A pinned fingerprint cannot say which type to ask for: the server presents its default key,
 * and a mismatch may just be another of its keys. The refusal says so before it says MITM.
 */
function fingerprintPolicy(pin: HostKeyPin, e: Endpoint, pinField: string): HostKeyPolicy {
  return {
    verify: (key) => matchesPin(pin, key),
    refusal: (key) =>
      `the server offered its ${keyTypeOf(key)} host key ${fingerprintOf(key)}, not the pinned ${pin.fingerprint}. A fingerprint does not ` +
      `say which type of key to ask for, so the server presented its default one: if ${pin.fingerprint} is another of this host's keys ` +
      `(of a type other than ${keyTypeOf(key)}), pin that key's full line (not its fingerprint) so that the server is asked for it: ` +
      `${pinIt(pinField, `"$(${keyscan(e, "TYPE")})"`)}; otherwise the host changed or this is not the host you meant`,
  };
}

/** No pin: the user's known_hosts, where a @revoked entry outweighs any entry trusting the key. */
function knownHostsPolicy(e: Endpoint, pinField: string, files: string[] | undefined): HostKeyPolicy {
  const where = e.port === 22 ? e.host : `[${e.host}]:${e.port}`;
  const known = readKnownHosts(files);
  const trusted = known.trusted(e.host, e.port);
  return {
    verify: (key) => !known.revocation(key) && trusted.some((k) => k.equals(key)),
    refusal: (key) => {
      const revoked = known.revocation(key);
      if (revoked) {
        return (
          `host key ${fingerprintOf(key)} of ${where} is revoked: ${revoked.file} line ${revoked.line} marks it @revoked; refusing to ` +
          `connect (the host needs a new key, which you then pin with ${pinField} or add to known_hosts)`
        );
      }
      return trusted.length > 0
        ? `host key ${fingerprintOf(key)} differs from the one in ~/.ssh/known_hosts for ${where}: the host changed or this is not the host you meant. ` +
            `If the change is expected, verify the new key out of band, replace the old one (ssh-keygen -R ${where}; ${keyscan(e, keyTypeOf(key))} >> ~/.ssh/known_hosts), ${AFTER_REPIN}`
        : `host key ${fingerprintOf(key)} of ${where} is unknown: verify it out of band, then pin it: ${pinIt(pinField, `"${fingerprintOf(key)}"`)}, ` +
            `or add it to ~/.ssh/known_hosts: ${keyscan(e, keyTypeOf(key))} >> ~/.ssh/known_hosts`;
    },
  };
}

export function hostKeyPolicy(e: Endpoint, { id, log, pinField, insecure = false, knownHostsFiles }: PolicyOptions): HostKeyPolicy {
  if (insecure) return insecurePolicy(id, log);
  if (e.hostKey) {
    const pin = parseHostKeyPin(e.hostKey);
    return pin.keyType ? keyLinePolicy({ ...pin, keyType: pin.keyType }, e, pinField) : fingerprintPolicy(pin, e, pinField);
  }
  return knownHostsPolicy(e, pinField, knownHostsFiles);
}
