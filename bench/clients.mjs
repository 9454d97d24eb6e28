/**
 * The clients under test. Each factory returns the same small interface, so every scenario is
 * written once:
 *   get(url)     GET, parse the JSON body, return it
 *   follow(url)  GET following redirects (3xx), return the final JSON
 *   bytes(url)   GET, read the whole body as bytes, return its length
 *   close()      release the connection pool
 *   jar          true when the client keeps cookies (across redirect hops too)
 *   cache        true when the client keeps an HTTP cache (it runs only in the cache scenarios)
 *   statuses     counts of `response.cacheStatus` (`{ hit: n, miss: m }`), for a client that reports it
 *   note         what the client does differently in some scenario, for the results table
 *
 * Each client runs with its defaults, keep-alive on (Node 20's global agent keeps alive, so got
 * and axios do too). The fetch-session clients are imported from the built package
 * (dist/adapters/node.js), as a user would get them.
 */

/** @typedef {{ get: (url: string) => Promise<any>, follow: (url: string) => Promise<any>, bytes: (url: string) => Promise<number>, close: () => Promise<void>, jar: boolean, cache?: boolean, statuses?: Record<string, number> }} Client */

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** The clients that are a plain client with a cookie jar added by hand: they run only where cookies matter (COOKIE_SCENARIOS). */
export const JAR_ONLY = new Set(['undici.request+tough', 'got+jar', 'fetch-cookie'])

/**
 * undici.request with a keep-alive Agent: the floor (no WHATWG layer, no cookies, redirects by hand).
 * `cache`: the Agent composed with undici's own `interceptors.cache()` (its in-memory store, a shared cache).
 */
async function undiciRequest({ cookies = false, cache = false } = {}) {
  const { Agent, interceptors, request } = await import('undici')
  const pool = new Agent({ keepAliveTimeout: 60_000 })
  const agent = cache ? pool.compose(interceptors.cache()) : pool
  let jar
  if (cookies) {
    const { CookieJar } = await import('tough-cookie')
    jar = new CookieJar()
  }
  const send = async (url) => {
    const headers = {}
    if (jar) {
      const cookie = await jar.getCookieString(url)
      if (cookie) headers.cookie = cookie
    }
    const response = await request(url, { dispatcher: agent, headers })
    if (jar) {
      let setCookie = response.headers['set-cookie']
      if (setCookie !== undefined) {
        if (!Array.isArray(setCookie)) setCookie = [setCookie]
        for (const value of setCookie) await jar.setCookie(value, url, { ignoreError: true })
      }
    }
    return response
  }
  return {
    jar: Boolean(jar),
    cache,
    async get(url) {
      const { body } = await send(url)
      return body.json()
    },
    async follow(url) {
      for (;;) {
        const response = await send(url)
        if (REDIRECTS.has(response.statusCode) && response.headers.location) {
          await response.body.dump()
          url = new URL(response.headers.location, url).href
          continue
        }
        return response.body.json()
      }
    },
    async bytes(url) {
      const { body } = await send(url)
      return (await body.arrayBuffer()).byteLength
    },
    close: () => pool.close(),
  }
}

/** A fetch function (global fetch, fetch-cookie…) used as a user would. */
function fetchClient(fetch, jar, close = async () => {}) {
  return {
    jar,
    get: async url => (await fetch(url)).json(),
    follow: async url => (await fetch(url)).json(),
    bytes: async url => (await (await fetch(url)).arrayBuffer()).byteLength,
    close,
  }
}

/** @type {Record<string, { label: string, create: () => Promise<Client>, jar: boolean, cache?: boolean, floor?: boolean }>} */
export const CLIENTS = {
  'undici.request': { label: 'undici.request', jar: false, floor: true, create: () => undiciRequest() },
  'undici.request+tough': { label: 'undici.request + tough-cookie (by hand)', jar: true, create: () => undiciRequest({ cookies: true }) },
  'undici.request+cache': { label: 'undici.request + interceptors.cache()', jar: false, cache: true, create: () => undiciRequest({ cache: true }) },
  'fetch': { label: 'global fetch', jar: false, create: async () => fetchClient(globalThis.fetch, false) },
  'ofetch': {
    label: 'ofetch',
    jar: false,
    async create() {
      const { ofetch } = await import('ofetch')
      return {
        jar: false,
        get: url => ofetch(url),
        follow: url => ofetch(url),
        bytes: async url => (await ofetch(url, { responseType: 'arrayBuffer' })).byteLength,
        close: async () => {},
      }
    },
  },
  'ky': {
    label: 'ky',
    jar: false,
    async create() {
      const { default: ky } = await import('ky')
      return {
        jar: false,
        get: url => ky(url).json(),
        follow: url => ky(url).json(),
        bytes: async url => (await ky(url).arrayBuffer()).byteLength,
        close: async () => {},
      }
    },
  },
  'got': {
    label: 'got',
    jar: false,
    async create() {
      const { default: got } = await import('got')
      return {
        jar: false,
        get: url => got(url).json(),
        follow: url => got(url).json(),
        bytes: async url => (await got(url).buffer()).byteLength,
        close: async () => {},
      }
    },
  },
  'got+jar': {
    label: 'got + tough-cookie jar',
    jar: true,
    async create() {
      const { default: got } = await import('got')
      const { CookieJar } = await import('tough-cookie')
      const client = got.extend({ cookieJar: new CookieJar() })
      return {
        jar: true,
        get: url => client(url).json(),
        follow: url => client(url).json(),
        bytes: async url => (await client(url).buffer()).byteLength,
        close: async () => {},
      }
    },
  },
  'axios': {
    label: 'axios',
    jar: false,
    async create() {
      const { default: axios } = await import('axios')
      return {
        jar: false,
        get: async url => (await axios.get(url)).data,
        follow: async url => (await axios.get(url)).data,
        bytes: async url => (await axios.get(url, { responseType: 'arraybuffer' })).data.byteLength,
        close: async () => {},
      }
    },
  },
  'fetch-cookie': {
    label: 'fetch-cookie + tough-cookie',
    jar: true,
    async create() {
      const { default: makeFetchCookie } = await import('fetch-cookie')
      const { CookieJar } = await import('tough-cookie')
      return fetchClient(makeFetchCookie(globalThis.fetch, new CookieJar()), true)
    },
  },
  ...fetchSessionClients('', new URL('../dist/adapters/node.js', import.meta.url).href, true),
  // An A/B run against another build (the commit before a change): FETCH_SESSION_BASELINE names
  // its dist/ folder, and `$fetch@base` / `session@base` run beside today's in the same run.
  ...(process.env.FETCH_SESSION_BASELINE
    ? fetchSessionClients('@base', new URL(`file://${process.env.FETCH_SESSION_BASELINE.replace(/\/$/, '')}/adapters/node.js`).href, process.env.FETCH_SESSION_BASELINE_HOP_COOKIES !== '0')
    : {}),
}

/**
 * fetch-session's two clients, `$fetch` and a session, imported from the build at `entry`.
 * `hopCookies`: the build's `$fetch` keeps the cookies a redirect hop sets for the rest of the call
 * (since issue 11; FETCH_SESSION_BASELINE_HOP_COOKIES=0 for an older baseline).
 */
function fetchSessionClients(suffix, entry, hopCookies) {
  return {
    [`$fetch${suffix}`]: {
      label: `fetch-session $fetch${suffix}`,
      jar: false,
      hopCookies,
      async create() {
        const { $fetch } = await import(entry)
        return {
          jar: false,
          hopCookies,
          get: url => $fetch(url),
          follow: url => $fetch(url),
          bytes: async url => (await $fetch(url, { responseType: 'arrayBuffer' })).byteLength,
          close: async () => {},
        }
      },
    },
    [`session${suffix}`]: {
      label: `fetch-session session${suffix}`,
      jar: true,
      async create() {
        const { createSession } = await import(entry)
        const session = createSession()
        return {
          jar: true,
          get: url => session(url),
          follow: url => session(url),
          bytes: async url => (await session(url, { responseType: 'arrayBuffer' })).byteLength,
          close: () => session.close(),
        }
      },
    },
    // The HTTP cache (issue 14): `cache: true` (in memory, private); it counts each response's cacheStatus.
    [`session+cache${suffix}`]: {
      label: `fetch-session session${suffix} (cache: true)`,
      jar: true,
      cache: true,
      async create() {
        const { createSession } = await import(entry)
        const session = createSession({ cache: true })
        const statuses = {}
        return {
          jar: true,
          cache: true,
          statuses,
          async get(url) {
            const response = await session.raw(url)
            statuses[response.cacheStatus] = (statuses[response.cacheStatus] ?? 0) + 1
            return response._data
          },
          follow: url => session(url),
          bytes: async url => (await session(url, { responseType: 'arrayBuffer' })).byteLength,
          close: () => session.close(),
        }
      },
    },
  }
}
