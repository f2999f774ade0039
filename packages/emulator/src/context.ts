import type { CaeRegistry } from "./cae.js";
import type { EmulatorClock } from "./clock.js";
import type { Directory } from "./directory.js";
import type { ResolvedEntraBehaviour } from "./entra-behaviour.js";
import type { FaultInjector } from "./faults.js";
import type { RequestLog } from "./request-log.js";
import type { SigningKey } from "./signing-key.js";
import type { RefreshTokenStore } from "./token/refresh-tokens.js";

/** The emulator's state, shared by its endpoints. @internal */
export interface EmulatorContext {
  /** `https://localhost:<port>`. */
  readonly origin: string;
  readonly directory: Directory;
  readonly key: SigningKey;
  /** The clock, in milliseconds (`clock.now`). */
  readonly now: () => number;
  /** The clock that `now` reads, which tests move forward. */
  readonly clock: EmulatorClock;
  /** Lifetime of issued tokens, in seconds. */
  readonly tokenLifetimeSeconds: number;
  /** Lifetime of issued refresh tokens, in seconds. */
  readonly refreshTokenLifetimeSeconds: number;
  /** The refresh tokens issued, and their revocations. */
  readonly refreshTokens: RefreshTokenStore;
  readonly cae: CaeRegistry;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  /** Switches for behaviour the sources leave open. */
  readonly entra: ResolvedEntraBehaviour;
  /** `uti` of the `user_fic` credentials (T2) already presented, for single-use T2. */
  readonly usedUserFicCredentials: Set<string>;
  /** Aborted when the emulator closes, to end injected delays. */
  readonly closing: AbortSignal;
}
