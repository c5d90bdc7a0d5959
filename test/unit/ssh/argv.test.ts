import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { displayArgv, quoteWord, toCommandLine } from "../../../provider/ssh/argv";

describe("unit: ssh/argv", () => {
  it("leaves plain words alone and quotes everything else", () => {
    assert.equal(toCommandLine(["ip", "-j", "link"]), "ip -j link");
    assert.equal(quoteWord(""), "''");
    assert.equal(quoteWord("a b"), "'a b'");
    assert.equal(quoteWord("it's"), `'it'\\''s'`);
  });

  it("a real shell gets back exactly the argv, whatever it contains", () => {
    const argv = ["printf", "%s\\n", "$(touch /tmp/pwned)", "`id`", "a;b|c&d", "it's", "new\nline", "*", "~", ""];
    const out = execFileSync("sh", ["-c", toCommandLine(argv)]).toString();
    assert.equal(
      out,
      argv
        .slice(2)
        .map((w) => `${w}\n`)
        .join(""),
    );
  });

  it("refuses NUL bytes and empty commands", () => {
    assert.throws(() => quoteWord("a\0b"), /NUL/);
    assert.throws(() => toCommandLine([]), /empty/);
  });

  it("abbreviates long words (scripts) for display", () => {
    const script = "# first line\n" + "x".repeat(500);
    assert.equal(displayArgv(["python3", "-c", script]), `python3 -c '# first line…(513 bytes)'`);
  });

  it("escapes control characters for display", () => {
    assert.equal(displayArgv(["echo", "a\nb\x1b"]), "echo 'a\\x0ab\\x1b'");
  });
});
