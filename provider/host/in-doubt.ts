// A create whose outcome is unknown: the connection dropped (or the operation timed out) after
// its batch was sent. It names the batch, so that the host's journal can say what it did.
import { AmbiguousOperationError } from "../ssh/ambiguous";

export class CreateInDoubt extends AmbiguousOperationError {
  override name = "CreateInDoubt";
  constructor(
    cause: AmbiguousOperationError,
    /** The batch's id in the host's journal. */
    readonly batchId: string,
    /** The indexes of the create op and the read-back of the primary in that batch. */
    readonly createOp: number,
    readonly readOp: number,
  ) {
    super(cause.host, cause.kind, cause.message.replace(/^ssh [^:]+: /, ""), { cause });
  }
}
