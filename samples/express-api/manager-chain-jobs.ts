/**
 * A long-running job on behalf of the user: `POST /jobs/manager-chain` starts a session inside the
 * request and answers `202` with a job id at once; a worker (on any instance sharing the token
 * cache, for example through Redis) builds the report of the user's manager chain later, with the
 * session's tokens, long after the caller's token has expired. `GET /jobs/:id` shows the job to
 * its owner. When the user's sessions are revoked, the job ends cleanly. No token and no session
 * key is ever in an answer or a log line.
 */
import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { GraphError, type ClientOptions } from "@microsoft/microsoft-graph-client";
import {
  createGraphClient,
  isOnBehalfOfError,
  withTokenOptions,
  type OnBehalfOfAuthenticationProvider,
} from "graph-obo-auth";

/** Graph's scope for what the request itself needs: the caller's own profile. */
export const START_SCOPES = ["https://graph.microsoft.com/User.Read"];
/** What the job needs: other users' profiles and managers. */
export const JOB_SCOPES = ["https://graph.microsoft.com/User.ReadBasic.All"];

/** One job, as its owner sees it (the session key is not part of it). */
export interface JobView {
  readonly id: string;
  readonly status: "queued" | "done" | "ended";
  /** The manager chain, from the user up: display names. */
  readonly chain?: readonly string[];
  /** Why the job ended without a report (an `ERR_OBO_*` code). */
  readonly reason?: string;
}

interface Job extends JobView {
  readonly owner: string;
  readonly session: string;
}

/**
 * Where jobs wait and their results stay. In production this is a durable queue and a table
 * (and the session key, a bearer secret, is stored encrypted); here one object stands for it,
 * shared by the instances.
 */
export class JobBoard {
  readonly #jobs = new Map<string, Job>();

  public add(job: Job): void {
    this.#jobs.set(job.id, job);
  }

  public update(job: Job): void {
    this.#jobs.set(job.id, job);
  }

  public queued(): Job[] {
    return [...this.#jobs.values()].filter((job) => job.status === "queued");
  }

  /** The job as its owner may see it; `undefined` for anyone else. */
  public view(id: string, owner: string): JobView | undefined {
    const job = this.#jobs.get(id);
    if (job?.owner !== owner) return undefined;
    const { session: _session, owner: _owner, ...view } = job;
    return view;
  }
}

function ownerOf(req: Request): string {
  const claims = req.auth;
  return `${String(claims?.tid)}/${String(claims?.oid)}`;
}

/**
 * The job routes, to mount under `/jobs` behind `requireAccessToken` (which puts the caller's
 * token in the request context that `startSession` reads).
 */
export function managerChainRoutes(
  provider: OnBehalfOfAuthenticationProvider,
  board: JobBoard,
): express.Router {
  const router = express.Router();
  router.post("/manager-chain", async (req: Request, res: Response, next: NextFunction) => {
    try {
      // Inside the request: the caller's token is exchanged once, and the session keeps Entra's
      // refresh token in the token cache (encrypted in Redis with a RedisTokenCache).
      const session = await provider.startSession({ scopes: START_SCOPES });
      const id = randomUUID();
      board.add({ id, status: "queued", owner: ownerOf(req), session });
      res.status(202).location(`/jobs/${id}`).json({ id, status: "queued" });
    } catch (error) {
      next(error);
    }
  });
  router.get("/:id", (req: Request, res: Response) => {
    const view = board.view(String(req.params.id), ownerOf(req));
    if (view === undefined) res.status(404).json({ error: "not_found" });
    else res.json(view);
  });
  return router;
}

/**
 * Runs queued jobs, with no incoming request: every Graph call gets the session's token
 * (`withTokenOptions({ session })`), refreshed from its refresh token as needed.
 */
export class ManagerChainWorker {
  readonly #provider: OnBehalfOfAuthenticationProvider;
  readonly #board: JobBoard;
  readonly #graph: ReturnType<typeof createGraphClient>;

  public constructor(
    provider: OnBehalfOfAuthenticationProvider,
    board: JobBoard,
    graphOptions: Omit<ClientOptions, "authProvider" | "middleware"> = {},
  ) {
    this.#provider = provider;
    this.#board = board;
    this.#graph = createGraphClient({ ...graphOptions, authProvider: provider });
  }

  /** Runs every queued job once; answers how many finished with a report. */
  public async runQueued(): Promise<number> {
    let done = 0;
    for (const job of this.#board.queued()) {
      try {
        const chain = await this.#managerChain(job.session);
        this.#board.update({ ...job, status: "done", chain });
        done++;
      } catch (error) {
        if (!isOnBehalfOfError(error)) throw error;
        // ERR_OBO_SESSION_REVOKED (the user's sessions were revoked, the password reset…) or
        // ERR_OBO_SESSION_NOT_FOUND (ended, expired): the job stops; nothing is retried.
        this.#board.update({ ...job, status: "ended", reason: error.code });
        continue;
      }
      await this.#provider.endSession(job.session); // the job is over: so is its session
    }
    return done;
  }

  async #managerChain(session: string): Promise<string[]> {
    const options = [withTokenOptions({ session, scopes: JOB_SCOPES })];
    const me = (await this.#graph.api("/me").middlewareOptions(options).get()) as {
      id: string;
      displayName: string;
    };
    const chain = [me.displayName];
    for (let id = me.id; chain.length < 20;) {
      try {
        const manager = (await this.#graph
          .api(`/users/${id}/manager`)
          .middlewareOptions(options)
          .get()) as { id: string; displayName: string };
        chain.push(manager.displayName);
        id = manager.id;
      } catch (error) {
        if (error instanceof GraphError && error.statusCode === 404) break; // the top
        throw error;
      }
    }
    return chain;
  }
}
