// The LanguageRuntime service: one handler per RPC the engine calls, each delegating to the
// module that does the work. Absent methods (GetRequiredPlugins, RunPlugin, Generate*, Pack,
// Link) get grpc-js's UNIMPLEMENTED answer, which the engine tolerates or reports as such.
import type { ILanguageRuntimeServer } from "@pulumi/pulumi/proto/language_grpc_pb";
import { installDependencies } from "./install";
import { findPulumiPackages, programDependencies } from "./packages";
import { interruptAll } from "./processes";
import { programOf } from "./program";
import { runProgram, type EngineArgs, type RunOutcome } from "./runner";
import { emptypb, grpc, lang, pluginpb, sdkVersion } from "./sdk";

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function languageRuntime(engine: EngineArgs): Partial<ILanguageRuntimeServer> {
  return {
    handshake(call, cb) {
      engine.engineAddress = call.request.getEngineAddress();
      cb(null, new lang.LanguageHandshakeResponse());
    },

    // Loaded after every start; the engine parses the answer as semver and drops the host otherwise.
    getPluginInfo(_call, cb) {
      cb(null, new pluginpb.PluginInfo().setVersion(sdkVersion));
    },

    // Any error here fails `pulumi up` ("failed to discover package requirements"): never one.
    getRequiredPackages(call, cb) {
      const res = new lang.GetRequiredPackagesResponse();
      let found: ReturnType<typeof findPulumiPackages> = [];
      try {
        found = findPulumiPackages(programOf(call.request.getInfo()).dir);
      } catch {
        // the scan swallows its own errors; this only guards the guard
      }
      for (const p of found) {
        const dep = new pluginpb.PackageDependency().setName(p.name).setKind("resource");
        if (p.version) dep.setVersion(p.version);
        if (p.server) dep.setServer(p.server);
        if (p.parameterization) {
          const { name, version, value } = p.parameterization;
          dep.setParameterization(new pluginpb.PackageParameterization().setName(name).setVersion(version).setValue(Buffer.from(value, "base64")));
        }
        res.addPackages(dep);
      }
      cb(null, res);
    },

    run(call, cb) {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const respond = (o: RunOutcome) => {
        const res = new lang.RunResponse();
        if (o.bail) res.setBail(true);
        if (o.error) res.setError(o.error);
        cb(null, res);
      };
      runProgram(call.request, engine, abort.signal).then(respond, (e: unknown) => respond({ error: `language host: ${messageOf(e)}` }));
    },

    installDependencies(call) {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const dir = programOf(call.request.getInfo(), { pwd: call.request.getDirectory() }).dir;
      installDependencies(
        dir,
        (stream, chunk) => {
          const msg = new lang.InstallDependenciesResponse();
          if (stream === "stdout") msg.setStdout(chunk);
          else msg.setStderr(chunk);
          call.write(msg);
        },
        abort.signal,
      ).then(
        () => call.end(),
        (e: unknown) => call.emit("error", { code: grpc.status.UNKNOWN, details: messageOf(e) }),
      );
    },

    about(_call, cb) {
      const res = new lang.AboutResponse().setExecutable(process.execPath).setVersion(process.version);
      res.getMetadataMap().set("packagemanager", "npm");
      cb(null, res);
    },

    getProgramDependencies(call, cb) {
      const req = call.request;
      const res = new lang.GetProgramDependenciesResponse();
      for (const d of programDependencies(programOf(req.getInfo(), { pwd: req.getPwd() }).dir)) {
        res.addDependencies(new lang.DependencyInfo().setName(d.name).setVersion(d.version));
      }
      cb(null, res);
    },

    runtimeOptionsPrompts(_call, cb) {
      cb(null, new lang.RuntimeOptionsResponse());
    },

    template(_call, cb) {
      cb(null, new lang.TemplateResponse());
    },

    // The engine's shutdown and Ctrl-C: the programs and installs we started end on SIGINT.
    cancel(_call, cb) {
      interruptAll();
      cb(null, new emptypb.Empty());
    },
  };
}
