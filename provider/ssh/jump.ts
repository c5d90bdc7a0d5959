// Reaching a host through a jump host (`ssh -J`): one SSH connection to the jump host, a
// direct-tcpip channel from it to the target, and the target's own SSH connection carried
// inside that channel. The target's address is resolved by the jump host, so private
// names and addresses behind a bastion work.
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { SshError } from "../errors";

/** OpenSSH's reason codes for a refused channel (RFC 4254 §5.1). */
const ADMINISTRATIVELY_PROHIBITED = 1;
const CONNECT_FAILED = 2;

/**
 * Opens a channel from the jump host to host:port. `jumpId` names the jump host, `targetId`
 * the target, in errors: a target the jump host cannot reach is a retryable transport
 * failure; a jump host that forbids forwarding is not.
 */
export function forwardThrough(jump: Client, jumpId: string, targetId: string, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    try {
      jump.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
        if (!err) return resolve(stream);
        const reason = (err as Error & { reason?: number }).reason;
        if (reason === ADMINISTRATIVELY_PROHIBITED) {
          reject(
            new SshError(jumpId, "protocol", `refuses to forward to ${targetId} (${err.message}): the jump host must allow TCP forwarding (AllowTcpForwarding)`, { cause: err }),
          );
        } else {
          const why = reason === CONNECT_FAILED ? "cannot reach" : "could not open a channel to";
          reject(new SshError(targetId, "transport", `the jump host ${jumpId} ${why} ${host}:${port}: ${err.message}`, { cause: err }));
        }
      });
    } catch (err) {
      reject(new SshError(jumpId, "transport", `the connection to the jump host closed: ${(err as Error).message}`, { cause: err }));
    }
  });
}
