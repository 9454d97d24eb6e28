/**
 * `response.timings` (issue 16 item 3): the phases of a request as `performance.now()` marks,
 * turned into a `Timings` only when read. Runtime-agnostic: the Node transport marks what undici's
 * sockets tell (src/transports/socket-timings.ts); over a platform's `fetch` (Deno, Bun, workerd,
 * browsers, a caller's `fetch`) `timedFetch()` marks the start and the response headers, and in
 * browsers completes them from the request's Resource Timing entry. (Node's fetch records entries
 * too, but later, and with every connection mark equal to `fetchStart`: not used.)
 *
 * @module
 */
import type { Timings } from './fetch-error'
import type { Fetch } from './types'
import { inputURL } from './http'

/** How the connection of a request came about, as `performance.now()` marks (0: not known, or did not happen). */
export interface ConnectionMarks {
  /** The connection was asked for. */
  begin: number
  lookup: number
  connect: number
  secureConnect: number
}

/** Something that knows a request's timings (a lean response asks its transport's request). */
export interface TimingSource {
  timings: () => Timings | undefined
}

const since = (mark: number, start: number): number | undefined => (mark > 0 ? mark - start : undefined)

/**
 * The `Timings` of marks (all `performance.now()` values; 0 for a mark that is absent): `start`
 * stays absolute, the other points become milliseconds since it. `connection` is given only for
 * a request that opened its connection.
 */
export function toTimings(start: number, connection: ConnectionMarks | undefined, response: number, end: number, reused: boolean | undefined): Timings {
  const timings: Timings = { start, phases: {}, reused }
  const phases = timings.phases
  let ready = start
  if (connection !== undefined) {
    const { begin, lookup, connect, secureConnect } = connection
    if (lookup > 0) {
      timings.lookup = lookup - start
      if (begin > 0) phases.dns = lookup - begin
    }
    if (connect > 0) {
      timings.connect = connect - start
      const from = lookup > 0 ? lookup : begin
      if (from > 0) phases.tcp = connect - from
      ready = connect
    }
    if (secureConnect > 0) {
      timings.secureConnect = secureConnect - start
      if (connect > 0) phases.tls = secureConnect - connect
      ready = secureConnect
    }
  }
  if (response > 0) {
    timings.response = response - start
    // From the connection being ready (or the start, on a connection already open) to the first byte.
    phases.request = response - ready
  }
  if (end > 0) {
    timings.end = end - start
    phases.total = end - start
    if (response > 0) phases.download = end - response
  }
  return timings
}

/** The part of a `PerformanceResourceTiming` read here (all on the `performance.now()` clock; 0 where hidden). */
interface ResourceEntry {
  startTime: number
  domainLookupStart: number
  domainLookupEnd: number
  connectStart: number
  connectEnd: number
  secureConnectionStart: number
  requestStart: number
  responseStart: number
  responseEnd: number
  transferSize?: number
}

type EntriesByName = (name: string, type: string) => ResourceEntry[]

/** The runtime's `performance.getEntriesByName`, where it has one. */
function entriesByName(): EntriesByName | undefined {
  const performance = (globalThis as unknown as { performance?: { getEntriesByName?: EntriesByName } }).performance
  return typeof performance?.getEntriesByName === 'function' ? performance.getEntriesByName.bind(performance) : undefined
}

/** The Resource Timing entry of a request to `url` started at `start`, once its response has ended. */
function resourceEntry(url: string, start: number): ResourceEntry | undefined {
  const lookup = entriesByName()
  if (lookup === undefined) return undefined
  let entries: ResourceEntry[]
  try {
    entries = lookup(url, 'resource')
  }
  catch {
    return undefined
  }
  // The latest entry that began with this request (its fetchStart is a little after our start).
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index]!
    if (entry.startTime >= start - 1 && entry.responseEnd > 0) return entry
  }
  return undefined
}

/**
 * The `Timings` of a Resource Timing entry. Without `Timing-Allow-Origin` a cross-origin entry
 * hides the connection and `responseStart` (zeros): those stay absent. Resource Timing's
 * `connectEnd` includes TLS, whose start is `secureConnectionStart`.
 */
function fromEntry(entry: ResourceEntry, start: number, headersAt: number): Timings {
  const detailed = entry.requestStart > 0
  const opened = detailed && entry.connectEnd > entry.connectStart
  const tls = opened && entry.secureConnectionStart > 0
  const connection: ConnectionMarks | undefined = opened
    ? {
        begin: entry.domainLookupStart,
        lookup: entry.domainLookupEnd > entry.domainLookupStart ? entry.domainLookupEnd : 0,
        connect: tls ? entry.secureConnectionStart : entry.connectEnd,
        secureConnect: tls ? entry.connectEnd : 0,
      }
    : undefined
  // A response from the browser's own cache (transferSize 0) went on no connection at all.
  const reused = detailed && entry.transferSize !== 0 ? !opened : undefined
  return toTimings(start, connection, entry.responseStart > 0 ? entry.responseStart : headersAt, entry.responseEnd, reused)
}

/**
 * Gives `response` its `timings` (a getter, computed when read): `start` and `response` (the
 * headers arrived), completed from the request's Resource Timing entry with `resourceTiming`
 * (browsers). A response that has `timings` already (a transport of its own made it), or cannot
 * take a property, is left as it is.
 */
export function attachTimings(response: Response, url: string, start: number, headersAt: number, resourceTiming: boolean): Response {
  if ('timings' in response || !Object.isExtensible(response)) return response
  let done: Timings | undefined
  Object.defineProperty(response, 'timings', {
    configurable: true,
    enumerable: false,
    get(): Timings {
      if (done) return done
      const entry = resourceTiming ? resourceEntry(url, start) : undefined
      if (entry) return done = fromEntry(entry, start, headersAt)
      return toTimings(start, undefined, headersAt, 0, undefined)
    },
  })
  return response
}

/** `send`, with `timings` on each of its responses (see `attachTimings`; `resourceTiming` in browsers). */
export function timedFetch(send: Fetch, resourceTiming: boolean = false): Fetch {
  return (input, init) => {
    const start = performance.now()
    return send(input, init).then(response => attachTimings(response, inputURL(input), start, performance.now(), resourceTiming))
  }
}
