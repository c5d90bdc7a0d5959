// The few error classes of the provider. Each says what failed, where, and why; `cause`
// keeps the underlying error. Messages never include secrets.

export class NetkitError extends Error {
  override name = "NetkitError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why an SSH connection failed; decides whether a retry can help. */
export type SshFailureKind =
  | "transport"
  | "timeout"
  | "authentication"
  | "host-key"
  | "protocol"
  /** sudo refused a privileged operation (no sudo, a password needed or wrong). */
  | "privilege";

export class SshError extends NetkitError {
  override name = "SshError";
  constructor(
    readonly host: string,
    readonly kind: SshFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`ssh ${host}: ${message}`, options);
  }
  /** Only transport-level failures may succeed on another attempt. */
  get retryable(): boolean {
    return this.kind === "transport" || this.kind === "timeout";
  }
}

export class RemoteCommandError extends NetkitError {
  override name = "RemoteCommandError";
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${host}: \`${command}\` failed (exit ${exitCode ?? "signal"})${stderr ? `: ${stderr.trim()}` : ""}`);
  }
}

/** A kernel refusal: errno plus the kernel's own extack message, for one operation on one host. */
export class NetlinkError extends NetkitError {
  override name = "NetlinkError";
  constructor(
    readonly host: string,
    readonly operation: string,
    readonly errno: number,
    readonly errnoName: string,
    readonly extack?: string,
    hint?: string,
  ) {
    super(`${host}: ${operation} failed: ${errnoName}${extack ? ` (kernel: ${extack})` : ""}${hint ? ` — ${hint}` : ""}`);
  }
}

/**
 * The host cannot do what was asked: its kernel lacks a feature (the catalogue and the one
 * message are features.ts's) or a tool is missing; says what is missing.
 */
export class CapabilityError extends NetkitError {
  override name = "CapabilityError";
  /** The missing kernel feature (features.ts), when it is one. */
  readonly feature?: string;
  constructor(message: string, options?: { cause?: unknown; feature?: string }) {
    super(message, options);
    if (options?.feature) this.feature = options.feature;
  }
}

/**
 * A create whose outcome is unknown (the connection dropped, and checking the host afterwards
 * failed too): the engine keeps the resource in state as failed to initialize, with `id` and
 * `properties`, so that `pulumi refresh` settles it from the host instead of leaving an
 * unmanaged device. The dynamic provider and the plugin's server both read these fields.
 */
export class FailedToInitializeError extends NetkitError {
  override name = "FailedToInitializeError";
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    public properties: object,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.reasons = [message];
  }
}

/** Something the provider's own code should never do (a broken invariant): a bug to report. */
export class ProviderBugError extends NetkitError {
  override name = "ProviderBugError";
  constructor(what: string, options?: { cause?: unknown }) {
    super(`pulumi-netkit bug: ${what}; please report it`, options);
  }
}
