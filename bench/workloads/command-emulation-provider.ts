// Runs in the provider process. Baseline (a'): the cost model of pulumi-command's
// remote.Command (provider/pkg/provider/remote in pulumi/pulumi-command), reproduced because
// its plugin cannot be built or downloaded here. Per command, like the real one: dial a new
// SSH connection (up to 10 attempts with back-off), authenticate, open one session, run the
// command string through the login shell, collect its output. Create runs `create`, delete
// runs `delete`, and read is the default of pulumi-go-provider's infer, which remote.Command
// keeps: the state as it is, no connection at all. NETKIT_BENCH_COMMAND_READ=check instead
// runs `check` per resource over its own connection: what per-resource commands cost when a
// refresh is to notice drift. Differences kept on purpose: the host key is checked against
// the pin (the real one accepts any key; the cost is the same comparison either way) and the
// client is closed after the command (the real one leaves it open until the plugin exits).
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { Client } from "ssh2";
import { matchesPin, parseHostKeyPin } from "../../provider/ssh/hostkey";

interface Conn {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKey: string;
}

export interface CommandProps {
  connection: Conn;
  create: string;
  delete: string;
  check: string;
}

const DIAL_ATTEMPTS = 10;

function dialOnce(c: Conn): Promise<Client> {
  const pin = parseHostKeyPin(c.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve(client));
    client.once("error", reject);
    client.connect({ host: c.host, port: c.port, username: c.user, privateKey: c.privateKey, readyTimeout: 60_000, hostVerifier: (key: Buffer) => matchesPin(pin, key) });
  });
}

/** pulumi's retry.Until defaults: 100 ms, growing 1.5× per attempt, at most 5 s. */
async function dial(c: Conn): Promise<Client> {
  for (let attempt = 1, delay = 100; ; attempt++, delay = Math.min(delay * 1.5, 5000)) {
    try {
      return await dialOnce(c);
    } catch (e) {
      if (attempt >= DIAL_ATTEMPTS || (e as { level?: string }).level === "client-authentication") throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** One command over a connection of its own; fails with the command and its output. */
async function run(c: Conn, command: string): Promise<string> {
  const client = await dial(c);
  try {
    return await new Promise<string>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let out = "";
        stream.on("data", (d: Buffer) => (out += d.toString()));
        stream.stderr.on("data", (d: Buffer) => (out += d.toString()));
        stream.on("close", (code: number | null) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: running ${JSON.stringify(command)}:\n${out}`))));
      });
    });
  } finally {
    client.end();
  }
}

export const commandEmulationProvider: pulumi.dynamic.ResourceProvider<CommandProps, CommandProps & { stdout: string }> = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async (_id, olds, news) => ({ changes: olds.create !== news.create || olds.delete !== news.delete }),
  async create(inputs) {
    const stdout = await run(inputs.connection, inputs.create);
    return { id: `${randomBytes(4).toString("hex")}`, outs: { ...inputs, stdout } };
  },
  async read(id, props) {
    if (process.env.NETKIT_BENCH_COMMAND_READ === "check" && props) await run(props.connection, props.check);
    return { id, props: props! };
  },
  async update(_id, _olds, news) {
    return { outs: { ...news, stdout: await run(news.connection, news.create) } };
  },
  async delete(_id, props) {
    await run(props.connection, props.delete);
  },
};
