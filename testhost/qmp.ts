import * as net from "net";

/**
 * Asks qemu to quit through its QMP socket. Resolves true once the command was
 * sent, false if the socket is gone or silent; the caller still waits for exit.
 */
export function qmpQuit(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    let buf = "";
    let stage: "greeting" | "capabilities" | "quit" = "greeting";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("error", () => done(false));
    sock.on("close", () => done(stage === "quit"));
    // QMP speaks one JSON object per line: greeting, then capabilities, then commands.
    sock.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (stage === "greeting" && line.includes('"QMP"')) {
          stage = "capabilities";
          sock.write('{"execute":"qmp_capabilities"}\n');
        } else if (stage === "capabilities" && line.includes('"return"')) {
          stage = "quit";
          sock.write('{"execute":"quit"}\n');
        } else if (stage === "quit" && line.includes('"return"')) {
          done(true);
        }
      }
    });
  });
}
