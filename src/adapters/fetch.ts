/**
 * The generic adapter: the platform's own `fetch` and its shared connection pool. Used by the
 * default export condition and as the base of the runtime adapters.
 */
import type { Adapter, Transport } from '../session'
import type { Fetch, TransportOptions } from '../types'

/** Thrown by `createSession()` for an option this runtime cannot honour. */
export class UnsupportedOptionError extends TypeError {
  /** The option that cannot be honoured (`proxy`, `tls`, `pool`, `http2`). */
  readonly option: string
  /** The runtime adapter that refused it. */
  readonly runtime: string

  constructor(option: string, runtime: string, hint: string, label: string = runtime) {
    super(`fetch-session: the \`${option}\` option is not supported on ${label}: ${hint}`)
    this.name = 'UnsupportedOptionError'
    this.option = option
    this.runtime = runtime
  }
}

/** A transport over a fetch function; closing it releases nothing (the pool is the platform's). */
export function fetchTransport(fetch: Fetch | undefined): Transport {
  const send: Fetch = fetch ?? ((input, init) => globalThis.fetch(input, init))
  return { fetch: send, close: async () => {} }
}

/** Refuses every transport option, naming the runtime (`label` is how the message says it). */
export function refuseTransportOptions(options: TransportOptions, runtime: string, hint: string, label: string = runtime): void {
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key]
    // `false` asks for nothing (no proxy, no HTTP/2): every runtime honours that.
    if (value !== undefined && value !== false) throw new UnsupportedOptionError(key, runtime, hint, label)
  }
}

/** The generic adapter. */
export const fetchAdapter: Adapter = {
  name: 'fetch',
  createTransport(options, fetch) {
    refuseTransportOptions(options, 'fetch', 'import fetch-session under a runtime condition (node, deno, bun) or from its subpath, e.g. \'fetch-session/node\'', 'the generic fetch adapter')
    return fetchTransport(fetch)
  },
  sharedTransport: fetchTransport,
}
