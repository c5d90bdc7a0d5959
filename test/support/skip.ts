// A test may skip only where a capability is genuinely absent, and must say which. The
// reason is recorded so the summary lists every skip with its cause.
import type { Context } from "mocha";

export const skipReasons = new Map<string, string>();

export function skipBecause(ctx: Context, reason: string): never {
  const title = ctx.currentTest?.fullTitle() ?? ctx.test?.fullTitle() ?? "?";
  skipReasons.set(title, reason);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}
