// Rejections the tests expect, as the Errors the code under test must reject with.
import assert from "node:assert/strict";

/** `reason` when it is an Error (what every expected rejection is); fails the test otherwise. */
export function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  assert.fail(`rejected with ${typeof reason} ${String(reason)}, not an Error`);
}
