/**
 * `response.timings` (issue 16 item 3) on each runtime, as the README's "Timings" table says:
 * every runtime gives `start` and `response` (the headers arrived); Node gives the connection's
 * phases, `end` and `reused` from its own sockets; a browser completes them from the request's
 * Resource Timing entry (the connection only for the same origin, or with Timing-Allow-Origin);
 * Deno, Bun and workerd give no `end` and cannot tell whether the connection was reused. A cache
 * hit has none.
 */
import type { SuiteArea } from '../suite'

/** Runtimes that know when the body ended. */
const KNOWS_END: ReadonlySet<string> = new Set(['node', 'browser'])

export const timings: SuiteArea = ({ describe, it, expect }, env, { serverOnly }) => {
  const { lib, base, runtime } = env
  const { createSession } = lib

  describe('timings', () => {
    it('response.timings: start and the response headers everywhere; end and reuse where the runtime exposes them', [], async () => {
      const session = createSession({ baseURL: base, pool: runtime === 'node' ? { connections: 1 } : undefined })
      const before = performance.now()
      const first = await session.raw('/get')
      const timings = first.timings!
      expect(timings).toBeDefined()
      expect(timings.start).toBeGreaterThanOrEqual(before)
      expect(timings.response).toBeGreaterThanOrEqual(0)
      expect(typeof timings.phases).toBe('object')
      if (KNOWS_END.has(runtime)) {
        expect(timings.end).toBeGreaterThanOrEqual(timings.response!)
        expect(timings.phases.total).toBe(timings.end)
      }
      else {
        expect(timings.end).toBeUndefined()
        expect(timings.reused).toBeUndefined()
      }
      if (runtime === 'browser') {
        // Same origin: the Resource Timing entry shows the connection (opened or reused).
        expect(typeof timings.reused).toBe('boolean')
        expect(timings.phases.request).toBeGreaterThanOrEqual(0)
        // Cross origin without Timing-Allow-Origin: the entry hides the connection, not the end.
        const other = (await session.raw(`${env.alt}/get`)).timings!
        expect(other.end).toBeGreaterThanOrEqual(0)
        expect(other.reused).toBeUndefined()
        expect(other.connect).toBeUndefined()
      }
      if (runtime === 'node') {
        // 127.0.0.1 is an IP address (no lookup) over plain http (no TLS).
        expect(timings.reused).toBe(false)
        expect(timings.connect).toBeGreaterThanOrEqual(0)
        expect(timings.lookup).toBeUndefined()
        expect(timings.secureConnect).toBeUndefined()
        const second = (await session.raw('/get')).timings!
        expect(second.reused).toBe(true)
        expect(second.connect).toBeUndefined()
      }
      await session.close()
    })

    serverOnly('a cache hit has no timings (it went on no connection)', [], async () => {
      const session = createSession({ baseURL: base, cache: true })
      const path = `/cache/timings-${runtime}?cc=max-age=60`
      expect((await session.raw(path)).timings).toBeDefined()
      const hit = await session.raw(path)
      expect(hit.cacheStatus).toBe('hit')
      expect(hit.timings).toBeUndefined()
      await session.close()
    }, 'the browser\'s HTTP cache serves')
  })
}
