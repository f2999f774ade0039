/** Counters of the agent identities' MSAL clients. */
export interface AgentClientStats {
  /** Clients held now. */
  readonly clients: number;
  /** The most clients held at once (`maxAgentClients`). */
  readonly maxClients: number;
  /** Clients created so far. */
  readonly created: number;
  /** Clients dropped because the bound was reached. */
  readonly evictions: number;
}

/**
 * A bounded, least-recently-used set of clients, one per agent identity and tenant. A client holds
 * no token (it never writes an answer into its MSAL store, and T1 lives in our own cache), so an
 * evicted client costs only its re-creation (microseconds), never a token request.
 *
 * @internal
 */
export class AgentClientPool<C> {
  readonly #clients = new Map<string, C>();
  readonly #max: number;
  readonly #create: (agentId: string, tenant: string) => C;
  #created = 0;
  #evictions = 0;

  /**
   * @param max - the most clients kept
   * @param create - builds the client of an agent identity in a tenant
   */
  public constructor(max: number, create: (agentId: string, tenant: string) => C) {
    this.#max = max;
    this.#create = create;
  }

  /** The client of `agentId` in `tenant`, created on first use; marks it most recently used. */
  public get(agentId: string, tenant: string): C {
    const key = `${agentId}|${tenant}`;
    const found = this.#clients.get(key);
    if (found !== undefined) {
      this.#clients.delete(key);
      this.#clients.set(key, found);
      return found;
    }
    const client = this.#create(agentId, tenant);
    this.#created++;
    this.#clients.set(key, client);
    for (const oldest of this.#clients.keys()) {
      if (this.#clients.size <= this.#max) break;
      this.#clients.delete(oldest);
      this.#evictions++;
    }
    return client;
  }

  /** The pool's counters. */
  public stats(): AgentClientStats {
    return {
      clients: this.#clients.size,
      maxClients: this.#max,
      created: this.#created,
      evictions: this.#evictions,
    };
  }
}
