// A command that was sent but whose outcome never came back (the connection dropped, or it
// ran out of time) may or may not have changed the host. Callers must not treat that like
// "it failed": retrying a create could then meet the device it already made. This error
// says so, and isAmbiguous() lets callers tell it apart from failures before sending.
import { SshError } from "../errors";

export class AmbiguousOperationError extends SshError {
  override name = "AmbiguousOperationError";
  readonly ambiguous = true;
}

/** True for a transport failure or timeout after the command was sent: its effect on the host is unknown. */
export function isAmbiguous(err: unknown): err is AmbiguousOperationError {
  return err instanceof AmbiguousOperationError;
}
