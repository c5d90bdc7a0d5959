// The LanguageRuntime service: one handler per RPC the engine calls, each delegating to the
// language's module (language.ts) that does the work. Absent methods (GetRequiredPlugins,
// RunPlugin, Generate*, Pack, Link) get grpc-js's UNIMPLEMENTED answer, which the engine
// tolerates or reports as such.
import type { ILanguageRuntimeServer } from "@pulumi/pulumi/proto/language_grpc_pb";
import type { EngineArgs, RunOutcome } from "./child";
import type { Language } from "./language";
import type { PulumiPackage } from "./packages";
import { interruptAll } from "./processes";
import { programOf } from "./program";
import { emptypb, grpc, lang, pluginpb, sdkVersion } from "./sdk";

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function languageRuntime(engine: EngineArgs, language: Language): Partial<ILanguageRuntimeServer> {
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
      const answer = (found: PulumiPackage[]) => {
        const res = new lang.GetRequiredPackagesResponse();
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
      };
      // The scans swallow their own errors; the catch only guards the guard.
      language.requiredPackages(programOf(call.request.getInfo())).then(answer, () => answer([]));
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
      language.run(call.request, engine, abort.signal).then(respond, (e: unknown) => respond({ error: `language host: ${messageOf(e)}` }));
    },

    installDependencies(call) {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const program = programOf(call.request.getInfo(), { pwd: call.request.getDirectory() });
      language
        .install(
          program,
          (stream, chunk) => {
            const msg = new lang.InstallDependenciesResponse();
            if (stream === "stdout") msg.setStdout(chunk);
            else msg.setStderr(chunk);
            call.write(msg);
          },
          abort.signal,
        )
        .then(
          () => call.end(),
          (e: unknown) => call.emit("error", { code: grpc.status.UNKNOWN, details: messageOf(e) }),
        );
    },

    about(call, cb) {
      language.about(programOf(call.request.getInfo())).then(
        (a) => {
          const res = new lang.AboutResponse().setExecutable(a.executable).setVersion(a.version);
          for (const [k, v] of Object.entries(a.metadata)) res.getMetadataMap().set(k, v);
          cb(null, res);
        },
        (e: unknown) => cb({ code: grpc.status.UNKNOWN, details: messageOf(e) }, null),
      );
    },

    getProgramDependencies(call, cb) {
      const req = call.request;
      const answer = (deps: { name: string; version: string }[]) => {
        const res = new lang.GetProgramDependenciesResponse();
        for (const d of deps) res.addDependencies(new lang.DependencyInfo().setName(d.name).setVersion(d.version));
        cb(null, res);
      };
      language.dependencies(programOf(req.getInfo(), { pwd: req.getPwd() })).then(answer, () => answer([]));
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
