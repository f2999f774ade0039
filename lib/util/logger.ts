import { LogLevel, type NodeSystemOptions } from "@azure/msal-node";

type LoggerOptions = NonNullable<NodeSystemOptions["loggerOptions"]>;

/**
 * Where the provider writes what it does. Every method is optional; a missing level is dropped.
 * The provider never passes a token, an assertion or a secret to it.
 *
 * @example Logging to the console
 * ```ts
 * new OnBehalfOfAuthenticationProvider({ ..., logger: { ...console, verbose: console.debug } });
 * ```
 */
export interface Logger {
  /** Failures the caller will see. */
  error?(message: string): void;
  /** Something recovered, but worth knowing (a corrupt cache entry, a retry). */
  warn?(message: string): void;
  /** Token requests and their outcome. */
  info?(message: string): void;
  /** Cache hits and misses, and MSAL's own verbose log. */
  verbose?(message: string): void;
}

/** The level names a {@link Logger} has. */
export type LogLevelName = "error" | "warn" | "info" | "verbose";

/** A bound, total logger used internally. @internal */
export interface InternalLogger {
  readonly error: (message: string) => void;
  readonly warn: (message: string) => void;
  readonly info: (message: string) => void;
  readonly verbose: (message: string) => void;
  /** Whether verbose messages go anywhere, so hot paths can skip building them. */
  readonly verboseEnabled: boolean;
}

const noop = (): void => undefined;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g;

/**
 * Removes anything that looks like a JWT from a message: a last line of defence, since no message
 * this package builds contains one.
 *
 * @internal
 */
export function redact(message: string): string {
  return message.replace(JWT_LIKE, "[redacted]");
}

/**
 * Wraps a user logger: binds its methods, drops missing levels, redacts and never throws.
 *
 * @internal
 */
export function createLogger(
  logger: Logger | undefined,
  prefix = "graph-obo-auth",
): InternalLogger {
  const bind = (level: LogLevelName): ((message: string) => void) => {
    if (logger === undefined || typeof logger[level] !== "function") return noop;
    const target = logger;
    return (message: string) => {
      try {
        target[level]?.(`${prefix}: ${redact(message)}`);
      } catch {
        // A failing logger must never fail a Graph request.
      }
    };
  };
  const verbose = bind("verbose");
  return {
    error: bind("error"),
    warn: bind("warn"),
    info: bind("info"),
    verbose,
    verboseEnabled: verbose !== noop,
  };
}

/**
 * MSAL logger options that forward MSAL's log into ours, with personal data off.
 *
 * @internal
 */
export function msalLoggerOptions(log: InternalLogger): LoggerOptions {
  return {
    piiLoggingEnabled: false,
    logLevel: log.verboseEnabled ? LogLevel.Verbose : LogLevel.Warning,
    loggerCallback: (level: LogLevel, message: string, containsPii: boolean): void => {
      if (containsPii) return;
      const text = `msal: ${message}`;
      switch (level) {
        case LogLevel.Error:
          log.error(text);
          return;
        case LogLevel.Warning:
          log.warn(text);
          return;
        case LogLevel.Info:
          log.info(text);
          return;
        case LogLevel.Verbose:
        case LogLevel.Trace:
          log.verbose(text);
          return;
      }
    },
  };
}
