/**
 * The scenarios: what one "request" is, how many run, with how many in flight, and a check of
 * the result (run on every warm-up request, so a client that silently skips the work, e.g. drops
 * a cookie, is reported rather than timed).
 */

/** The first warm-up of a client, on its first scenario, in ms. */
export const FIRST_WARMUP_MS = 2500
/** The first warm-up of each next scenario of a client, in ms. */
export const WARMUP_MS = 700
/** A measurement: windows of WINDOW_MS, at least MIN_WINDOWS, until QUIET_WINDOWS were quiet, at most MAX_WINDOWS. */
export const WINDOW_MS = 200
export const MIN_WINDOWS = 4
export const QUIET_WINDOWS = 3
export const MAX_WINDOWS = 10

/** 10 sites × 5 cookies = a jar of 50 cookies. */
export const SITES = 10
export const COOKIES_PER_SITE = 5
/**
 * The host (index into the bases) of the scenarios that send no cookie: one on which no scenario
 * sets any, so that a client with a jar is measured with nothing to send there, whatever ran
 * before in its process (the cookie scenario fills the jar for the other 10).
 */
export const PLAIN = SITES
const MIB = 1024 * 1024

/**
 * @typedef {object} Scenario
 * @property {string} title
 * @property {number} requests    at most this many requests per phase (warm-up, measure)
 * @property {number} warmupMs    re-warm before each measurement
 * @property {number} concurrency requests in flight
 * @property {(client: any, bases: string[]) => Promise<void>} [setup]
 * @property {(client: any, bases: string[], index: number) => Promise<unknown>} run
 * @property {(result: any, client: any) => string | undefined} check  an error message, or undefined
 * @property {(entry: { jar: boolean }) => string | undefined} [note] why a client's result is not comparable
 * @property {boolean} [cached]  a cache scenario: only the clients with an HTTP cache (and the floor) run it, and they run nothing else
 * @property {(client: any, bases: string[]) => Promise<string | undefined>} [verify] after a warm-up and after a
 *           measurement: an error message, or undefined
 */

/** The scenarios where cookies matter: the clients with a jar of their own by hand (JAR_ONLY, clients.mjs) run only there. */
export const COOKIE_SCENARIOS = new Set(['cookies', 'redirect'])

/** Each client's own key in the cache-hit scenario (several clients share a process in bench/ab.mjs). */
let cacheKeys = 0

/** @type {Record<string, Scenario>} */
export const SCENARIOS = {
  'json': {
    title: 'small JSON, sequential',
    requests: 20000,
    warmupMs: 1200,
    concurrency: 1,
    run: (client, bases) => client.get(`${bases[PLAIN]}/json`),
    check: result => (result?.id === 1 ? undefined : `unexpected body ${JSON.stringify(result)}`),
  },
  'json-32': {
    title: 'small JSON, 32 in flight',
    requests: 40000,
    warmupMs: 1200,
    concurrency: 32,
    run: (client, bases) => client.get(`${bases[PLAIN]}/json`),
    check: result => (result?.id === 1 ? undefined : `unexpected body ${JSON.stringify(result)}`),
  },
  'cache-hit': {
    title: 'small JSON, cacheable (max-age=3600), sequential',
    requests: 20000,
    warmupMs: 1200,
    concurrency: 1,
    cached: true,
    async setup(client) {
      client.cacheKey = `${process.pid}-${++cacheKeys}`
    },
    run: (client, bases) => client.get(`${bases[PLAIN]}/cached?k=${client.cacheKey}`),
    check(result, client) {
      if (result?.id !== 1) return `unexpected body ${JSON.stringify(result)}`
      const { hit = 0, ...others } = client.statuses ?? {}
      const missed = Object.values(others).reduce((sum, count) => sum + count, 0)
      return missed > 1 ? `cacheStatus ${JSON.stringify(client.statuses)}: only the first request may miss` : undefined
    },
    // A client with a cache: the server saw its first request only, and it said `hit` (when it says anything).
    async verify(client, bases) {
      if (!client.cache) return undefined
      const { count } = await (await fetch(`${bases[PLAIN]}/cached-count?k=${client.cacheKey}`)).json()
      if (count !== 1) return `the server served ${count} requests, expected the first one only`
      if (client.statuses && !(client.statuses.hit > 0)) return `no cacheStatus 'hit': ${JSON.stringify(client.statuses)}`
      return undefined
    },
  },
  'cookies': {
    title: `cookie round trip (jar of ${SITES * COOKIES_PER_SITE} cookies, ${SITES} sites)`,
    requests: 20000,
    warmupMs: 1200,
    concurrency: 1,
    async setup(client, bases) {
      for (const base of bases.slice(0, SITES)) await client.get(`${base}/setup-cookies?n=${COOKIES_PER_SITE}`)
    },
    run: (client, bases, index) => client.get(`${bases[index % SITES]}/cookie?k=${Math.floor(index / SITES) % COOKIES_PER_SITE}`),
    check: (result, client) => (!client.jar || result?.cookies === COOKIES_PER_SITE ? undefined : `sent ${result?.cookies} cookies, expected ${COOKIES_PER_SITE}`),
    note: entry => (entry.jar ? undefined : 'no jar: cookies not kept'),
  },
  'redirect': {
    title: '3-hop redirect chain, a Set-Cookie per hop',
    requests: 5000,
    warmupMs: 1200,
    concurrency: 1,
    run: (client, bases) => client.follow(`${bases[0]}/redirect/3`),
    check: (result, client) => (result && (!(client.jar || client.hopCookies) || result.hops === 3) ? undefined : `the final request carried ${result?.hops} hop cookies, expected 3`),
    note: entry => (entry.jar ? undefined : entry.hopCookies ? 'no jar: the hops\' cookies kept within the call only' : 'cookies of the hops lost'),
  },
  'download': {
    title: '1 MiB download',
    requests: 1000,
    warmupMs: 1200,
    concurrency: 1,
    run: (client, bases) => client.bytes(`${bases[PLAIN]}/bytes`),
    check: result => (result === MIB ? undefined : `read ${result} bytes, expected ${MIB}`),
  },
  'regular': {
    title: 'small JSON, a new connection per request',
    requests: 5000,
    warmupMs: 1200,
    concurrency: 1,
    run: (client, bases) => client.get(`${bases[PLAIN]}/json-close`),
    check: result => (result?.id === 1 ? undefined : `unexpected body ${JSON.stringify(result)}`),
  },
}
