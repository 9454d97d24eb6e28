/**
 * The generic adapter: the platform's own `fetch` and its shared connection pool. Used by the
 * default export condition and as the base of the runtime adapters.
 */
import { UnsupportedOptionError } from '../errors'
import type { Adapter, Transport } from '../adapter'
import type { Fetch, TransportOptions } from '../types'
import { timedFetch } from '../timings'

export { UnsupportedOptionError }

/**
 * A transport over a fetch function; closing it releases nothing (the pool is the platform's).
 * Over the platform's fetch (no `fetch` given), a request's `dispatcher` is refused (see
 * `refusingDispatcher`); a custom `fetch` gets it as it is, to use or ignore. Its responses get
 * `timings` (src/timings.ts `timedFetch`: start and headers, and with `resourceTiming` (browsers)
 * what the request's Resource Timing entry tells).
 */
export function fetchTransport(fetch: Fetch | undefined, label: string = 'this runtime', resourceTiming: boolean = false): Transport {
  // A caller's fetch gets exactly (input, init): never the transport hints the session passes on.
  const send: Fetch = timedFetch(fetch ? (input, init) => fetch(input, init) : refusingDispatcher((input, init) => globalThis.fetch(input, init), label), resourceTiming)
  return { fetch: send, close: async () => {} }
}

/**
 * `send`, refusing a request's `dispatcher` with a `TypeError` (reported as `InvalidRequestError`):
 * it is an undici option that only the Node adapter sends through, and this runtime's fetch would
 * silently ignore it. `label` names the runtime in the message.
 */
export function refusingDispatcher(send: Fetch, label: string): Fetch {
  return (input, init) => {
    if ((init as { dispatcher?: unknown } | undefined)?.dispatcher === undefined) return send(input, init)
    return Promise.reject(new TypeError(`fetch-session: a request's \`dispatcher\` is an undici (Node) option, which ${label} cannot honour: its fetch would ignore it`))
  }
}

/** Why a runtime without undici refuses a session's `dispatcher`. */
export const NO_DISPATCHER_HINT = 'a `dispatcher` is an undici object, and only the Node adapter sends through one; this runtime sends with its own fetch'

/** Refuses every transport option, naming the runtime (`label` is how the message says it). */
export function refuseTransportOptions(options: TransportOptions, runtime: string, hint: string, label: string = runtime): void {
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key]
    // `false` asks for nothing (no proxy, no HTTP/2): every runtime honours that.
    if (value !== undefined && value !== false) throw new UnsupportedOptionError(key, runtime, key === 'dispatcher' ? NO_DISPATCHER_HINT : hint, label)
  }
}

/** The generic adapter. */
export const fetchAdapter: Adapter = {
  name: 'fetch',
  createTransport(options, fetch) {
    refuseTransportOptions(options, 'fetch', 'import fetch-session under a runtime condition (node, deno, bun) or from its subpath, e.g. \'fetch-session/node\'', 'the generic fetch adapter')
    return fetchTransport(fetch, 'the generic fetch adapter')
  },
  sharedTransport: fetch => fetchTransport(fetch, 'the generic fetch adapter'),
}
