/**
 * Resources and lifecycle (issue 12 items 10–15), the same on every runtime: `close()` settles at
 * once and aborts what is in flight (a hanging call, a body being read, a call in a retry backoff
 * or in the limiter's queue: all reject with `SessionClosedError`, and nothing is sent again);
 * every `close()` is one promise; a child's `close()` is the child's; a status outside 200–599
 * survives `maxBodySize` and `onDownloadProgress`; the limiter holds a slot until the body is done
 * and counts every request sent against its own host; bodies of every coding decode byte-exact,
 * and `maxBodySize` stops bombs. How much memory a bomb costs is measured in a Bun process of its
 * own (test/runtimes/bun.test.ts) and on Node (test/faults/lifecycle.test.ts).
 */
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

/** The body of the server's `/encoded/…` (test/helpers/server.ts `encodedText`). */
function encodedText(lines: number): string {
  let text = ''
  for (let index = 0; index < lines; index++) text += `line ${index}\n`
  return text
}

const MiB = 1024 * 1024

export const lifecycle: SuiteArea = ({ describe, it, skip, expect }, env, { key, serverOnly, caught, sleep }) => {
  const { lib, base, alt, runtime } = env
  const { createSession, $fetch } = lib

  /** The value `promise` settles with (a rejection's reason too), or `'pending'` after `ms`. */
  const within = async (promise: Promise<unknown>, ms: number): Promise<unknown> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve('pending'), ms)
    })
    try {
      return await Promise.race([promise.then(value => value, (error: unknown) => error), late])
    }
    finally {
      clearTimeout(timer)
    }
  }
  /**
   * What a reader's reads end with within `ms`: the error they fail with (chunks that arrived
   * before the failure are read first: a runtime may hand out what it had queued, Deno did), `'done'`
   * or `'pending'`.
   */
  const failure = async (reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<unknown> => {
    const end = Date.now() + ms
    for (;;) {
      const result = await within(reader.read(), Math.max(0, end - Date.now()))
      if (result === 'pending' || result instanceof Error || typeof result !== 'object' || result === null || !('done' in result)) return result
      if ((result as ReadableStreamReadResult<Uint8Array>).done) return 'done'
    }
  }
  const hits = async (name: string): Promise<number> => ((await $fetch(`${base}/__hits/${name}`)) as { hits: number }).hits
  const until = async (check: () => Promise<boolean>, ms = 3000): Promise<void> => {
    const end = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out waiting for the server to see the request')
      await sleep(10)
    }
  }
  const closedName = (error: unknown): string => (error as Error | undefined)?.name ?? String(error)

  describe('lifecycle', () => {
    it('close() settles at once while a call hangs and bodies are unread; they reject with SessionClosedError, and the call is not sent again', [FEATURES.close, FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      const hung = key('hang')
      const hang = session(`/hang?key=${hung}`).catch((error: unknown) => error)
      const stream = await session<ReadableStream<Uint8Array>>('/trickle?chunks=1000&interval=20', { responseType: 'stream' })
      const reader = stream.getReader()
      await reader.read()
      const native = await session.native(`${base}/trickle?chunks=1000&interval=20`)
      const nativeReader = native.body!.getReader()
      await nativeReader.read()
      await until(async () => (await hits(hung)) === 1)

      const started = Date.now()
      expect(await within(session.close(), 2000)).toBeUndefined()
      expect(Date.now() - started).toBeLessThan(1000)
      const error = await within(hang, 1000) as Error
      expect(closedName(error)).toBe('SessionClosedError')
      expect(error).toBeInstanceOf(lib.SessionClosedError)
      expect(error.message).toBe(`[GET] "${base}/hang?key=REDACTED": the session was closed during the call`)
      const read = await failure(reader, 1000) as Error
      expect(closedName(read)).toBe('SessionClosedError')
      expect(read.message).toMatch(`[GET] "${base}/trickle?chunks=1000&interval=20": the session was closed during the call`)
      // workerd hands an abort's reason to a body it streams as a plain Error that names it.
      const nativeRead = await failure(nativeReader, 1000) as Error
      expect(runtime === 'workerd' ? nativeRead.message : closedName(nativeRead)).toMatch('SessionClosedError')
      await sleep(50)
      expect(await hits(hung)).toBe(1)
    })

    serverOnly('every close() returns the one promise, settled once the cookie store is flushed', [FEATURES.close], async () => {
      let flushed = 0
      const none = async (): Promise<undefined> => undefined
      const store = {
        synchronous: false,
        findCookie: none,
        findCookies: async () => [],
        putCookie: none,
        updateCookie: none,
        removeCookie: none,
        removeCookies: none,
        removeAllCookies: none,
        getAllCookies: async () => [],
        flush: async (): Promise<void> => {
          await sleep(100)
          flushed++
        },
      }
      const session = createSession({ cookies: store as never })
      const first = session.close()
      const second = session.close()
      expect(second).toBe(first)
      await second
      expect(flushed).toBe(1)
    })

    it('a child\'s close() aborts the child\'s calls only: the root\'s go on; the root\'s close() aborts the children\'s too', [FEATURES.close], async () => {
      const root = createSession({ baseURL: base })
      const child = root.extend({ headers: { 'x-child': '1' } })
      const other = root.extend({ headers: { 'x-other': '1' } })
      const hung = key('child')
      const rootCall = root('/delay/300')
      const childCall = child(`/hang?key=${hung}`).catch((error: unknown) => error)
      await until(async () => (await hits(hung)) === 1)
      await child.close()
      expect(closedName(await within(childCall, 1000))).toBe('SessionClosedError')
      expect((await within(rootCall, 2000) as { delayed: number }).delayed).toBe(300)
      expect((await root('/get') as { path: string }).path).toBe('/get')
      const late = other('/hang').catch((error: unknown) => error)
      await sleep(50)
      await root.close()
      expect(closedName(await within(late, 1000))).toBe('SessionClosedError')
      expect(other.closed).toBe(true)
    })

    it('a call in a retry backoff rejects with SessionClosedError at once, with no further attempt', [FEATURES.close, FEATURES.retry], async () => {
      const session = createSession({ baseURL: base, retry: { limit: 3, delay: 500, jitter: false } })
      const flaky = key('backoff')
      const call = session(`/flaky/${flaky}?fail=10`).catch((error: unknown) => error)
      await until(async () => (await hits(flaky)) === 1)
      await sleep(30)
      const started = Date.now()
      await session.close()
      expect(closedName(await within(call, 1000))).toBe('SessionClosedError')
      expect(Date.now() - started).toBeLessThan(300)
      await sleep(600)
      expect(await hits(flaky)).toBe(1)
    })

    it('a call waiting in the limiter\'s queue rejects with SessionClosedError at once, and is never sent', [FEATURES.close], async () => {
      const session = createSession({ baseURL: base, limit: { concurrency: 1 } })
      const first = key('queue-first')
      const second = key('queue-second')
      const calls = [session(`/hang?key=${first}`), session(`/get?key=${second}`)].map(call => call.catch((error: unknown) => error))
      await until(async () => (await hits(first)) === 1)
      await session.close()
      for (const call of calls) expect(closedName(await within(call, 1000))).toBe('SessionClosedError')
      await sleep(50)
      expect(await hits(second)).toBe(0)
    })

    it('a status outside 200–599 is kept with maxBodySize and onDownloadProgress', [], async () => {
      const session = createSession({ baseURL: base })
      const progress: boolean[] = []
      for (const options of [{}, { maxBodySize: 1000 }, { onDownloadProgress: ({ done }: { done: boolean }) => void progress.push(done) }]) {
        const response = await session.raw('/status/600', options)
        expect([response.status, response.ok, response instanceof Response]).toEqual([600, false, true])
        expect(response._data).toEqual({ status: 600 })
        expect(response.headers.get('content-type')).toBe('application/json')
      }
      expect(progress.at(-1)).toBe(true)
      await session.close()
    })

    it('limit: a stream response holds its slot until its body is read to the end or cancelled', [], async () => {
      const session = createSession({ baseURL: base, limit: { concurrency: 1 } })
      const stream = await session<ReadableStream<Uint8Array>>('/trickle?chunks=5&interval=10', { responseType: 'stream' })
      const next = key('after-read')
      const waiting = session(`/get?key=${next}`)
      await sleep(200)
      expect(await hits(next)).toBe(0)
      const reader = stream.getReader()
      while (!(await reader.read()).done);
      await waiting
      expect(await hits(next)).toBe(1)
      const dropped = await session<ReadableStream<Uint8Array>>('/bytes/10', { responseType: 'stream' })
      const after = key('after-cancel')
      const third = session(`/get?key=${after}`)
      await sleep(100)
      expect(await hits(after)).toBe(0)
      await dropped.cancel()
      await third
      expect(await hits(after)).toBe(1)
      await session.close()
    })

    serverOnly('limit: each redirect hop counts against its own host (perHost), and each request sent against rps', [], async () => {
      const session = createSession({ limit: { perHost: 1 } })
      const hop = key('hop')
      const target = `${alt}/delay/200?key=${hop}`
      await Promise.all([session(`${base}/redirect-to?url=${encodeURIComponent(target)}`), session(target)])
      const stats = await $fetch(`${base}/__key-stats/${hop}`) as { max: number, hits: number }
      expect(stats).toEqual({ inFlight: 0, max: 1, hits: 2 })
      await session.close()
      const paced = createSession({ baseURL: base, limit: { rps: 10 } })
      const started = Date.now()
      expect((await paced.raw('/redirect/3')).history!.length).toBe(3)
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      await paced.close()
    }, 'in browsers the browser follows redirects itself: only the first hop passes through the limiter')

    it('gzip, deflate (zlib and raw) and br decode byte-exact, with and without maxBodySize (and two codings stacked, on Node)', [], async () => {
      const session = createSession({ baseURL: base })
      const text = encodedText(5000)
      // What each runtime asks for (Accept-Encoding) is what it decodes: Deno and workerd ask for
      // gzip and br only, and give a deflate body as it came; Chromium asks for br over https only.
      // Two codings stacked are decoded by Node (as the fetch spec says), not by Deno's and Bun's fetch.
      const codings = env.browser ? ['gzip', 'deflate', 'deflate-raw'] : runtime === 'deno' || runtime === 'workerd' ? ['gzip', 'br'] : ['gzip', 'deflate', 'deflate-raw', 'br']
      if (runtime === 'node') codings.push('gzip,br', 'deflate,gzip')
      for (const coding of codings) {
        for (const options of [{}, { maxBodySize: 10 * MiB }]) {
          const body = await session(`/encoded/${coding}?lines=5000`, { responseType: 'text', ...options })
          expect([coding, body.length, body === text]).toEqual([coding, text.length, true])
        }
      }
      await session.close()
    })

    it('maxBodySize stops a gzip and a br bomb with BodyTooLargeError', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base, maxBodySize: MiB })
      for (const coding of env.browser ? ['gzip'] : ['gzip', 'br']) {
        const error = await caught(session(`/bomb/${coding}?size=${64 * MiB}`, { responseType: 'arrayBuffer' }))
        expect([coding, error.name, error.limit]).toEqual([coding, 'BodyTooLargeError', MiB])
      }
      await session.close()
    })

    if (runtime === 'bun') {
      it('bun: a call with maxBodySize keeps Bun\'s status, headers and url', [], async () => {
        const session = createSession({ baseURL: base, maxBodySize: MiB })
        const response = await session.raw(`/redirect-to?url=${encodeURIComponent('/encoded/gzip?lines=10')}`, { responseType: 'text' })
        expect([response.status, response.url, response.redirected, response.headers.get('content-encoding')]).toEqual([200, `${base}/encoded/gzip?lines=10`, true, 'gzip'])
        expect(response._data).toBe(encodedText(10))
        await session.close()
      })
    }
  })
}
