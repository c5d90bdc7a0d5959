// What the SSH tier watches: every log line and every error text the SSH layer produced,
// so tests can assert on warnings and retries, and that no secret ever shows up in them.
import assert from "node:assert/strict";
import type { Logger } from "../../provider/log";

export class Capture implements Logger {
  readonly lines: string[] = [];
  readonly errors: string[] = [];

  debug(m: string): void {
    this.lines.push(`debug: ${m}`);
  }
  info(m: string): void {
    this.lines.push(`info: ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn: ${m}`);
  }

  /** Records an error's text, its cause chain's included; returns it for assert.rejects. */
  record(e: unknown): unknown {
    for (let cur: unknown = e, depth = 0; cur && depth < 10; cur = (cur as { cause?: unknown }).cause, depth++) {
      this.errors.push(errorText(cur));
    }
    return e;
  }

  /** Runs p, which must reject; records the error and returns it. */
  async failure(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (e) {
      this.record(e);
      return e as Error;
    }
    assert.fail("expected a rejection");
  }

  text(): string {
    return [...this.lines, ...this.errors].join("\n");
  }
}

/** An error's text as recorded: its name, message and stack; anything else thrown as String() renders it. */
function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
}

/** The strings that must never appear: each secret, and each body line of each private key. */
export function secretNeedles(secrets: string[]): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    if (s.includes("PRIVATE KEY")) {
      for (const line of s.split("\n")) if (line.trim() && !line.startsWith("-----")) out.push(line.trim());
    } else {
      out.push(s);
    }
  }
  return out;
}

export function assertNoSecrets(text: string, secrets: string[]): void {
  assert.ok(text.length > 0, "nothing was captured: the check would prove nothing");
  for (const n of secretNeedles(secrets)) assert.ok(!text.includes(n), `a secret (${n.slice(0, 4)}…) appears in captured text`);
}
