// Loaded into every Node process the engine starts while the benchmark profiles a phase
// (NODE_OPTIONS=--require, profile.ts): a CPU profile of the whole process, written to
// $NETKIT_CPU_PROFILE_DIR when it ends. node's own --cpu-prof writes only on a normal exit,
// and the engine ends its plugins with SIGINT (SIGKILL 5 s later), so the profile is written
// from the signal here, before the process exits as the signal would have ended it.
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.NETKIT_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-thread session answers synchronously: the profile is on disk when this returns.
    session.post("Profiler.stop", (err, r) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  };
  process.on("exit", write);
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.once(sig, () => {
      write();
      process.kill(process.pid, sig);
    });
}
