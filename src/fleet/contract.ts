/**
 * The contract between a session and a fleet's store (issue 15): what `createRedisFleet()` returns
 * and a session's `fleet` option takes. It imports nothing, so the fleet's subpath and the main
 * entry share its declarations.
 *
 * @module
 */

/** The limits of a session that a fleet enforces for all its processes (a session's `limit`, read). */
export interface FleetLimits {
  /** Most requests in flight at once, fleet-wide (`Infinity`: no limit). */
  concurrency: number
  /** Most requests in flight to one host, fleet-wide. */
  perHost: number
  /** Most requests started per second, fleet-wide. */
  rps: number
}

/** The token record a fleet keeps: the last refresh's result, and how many refreshes made it. */
export interface FleetToken {
  /** The bearer token. */
  token: string
  /** The refresh token the refresh returned, if any. */
  refreshToken?: string
  /** Counts the fleet's refreshes: 1 after the first. */
  generation: number
}

/**
 * State shared by the processes of a fleet: what `createRedisFleet()` returns, and what a session's
 * `fleet` option takes. The methods are the contract between the session and the fleet's store;
 * a session calls them, you only pass the fleet.
 */
export interface Fleet {
  /** The prefix of every key the fleet uses: processes with the same prefix share their budgets, pauses and token. */
  readonly prefix: string
  /**
   * Waits for the shared budgets to let one request to `host` start (the host's pause, then a slot
   * per host, a slot of the whole fleet, a start of the per-second budget), in order within this
   * process; resolves to the function that gives the slots back. Rejects with the signal's reason
   * when it aborts, and with `FleetError` when the store fails.
   */
  acquire: (host: string, limits: FleetLimits, signal: AbortSignal) => Promise<() => void>
  /** Pauses `host` for the whole fleet for `ms` (a later end wins over an earlier one). */
  pause: (host: string, ms: number) => Promise<void>
  /** The fleet's token record, if a refresh made one. */
  token: () => Promise<FleetToken | undefined>
  /**
   * Runs `refresh` in one process of the fleet at a time: when the record's token is no longer
   * `used` (another process refreshed), resolves to the record without running it.
   */
  refresh: (used: string, refresh: (record: FleetToken | undefined) => Promise<{ token: string, refreshToken?: string }>) => Promise<FleetToken>
}
