/**
 * Shared budgets and shared back-off (issue 15 items 1 and 2), with real processes on a real
 * redis-server: four workers share `limit: { perHost: 2, rps }` through one fleet, and what the
 * local server saw is the proof. Time is compressed ten times: `rps: 100` stands for 10 a
 * second, and a window of 100 ms for a second, so two minutes' worth of requests (1200) take
 * about 12 s.
 *
 * Jitter allowed: the fleet spaces the starts by 10 ms (in Redis's time); what the server sees is
 * that plus each request's own way there (a process's event loop, the socket), so the 11 arrivals
 * that follow one another must span at least 100 ms minus `JITTER`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dependencySkip } from '../helpers/dependencies'
import { removeBundles, startFleetServer, startRedisServer, startWorker, windows } from './helpers'
import type { FleetServer, Redis, Worker } from './helpers'

const noRedis = dependencySkip('redis-server', 'fleet budgets on Redis', import.meta.filename)

/** 10 a second, ten times faster. */
const RPS = 100
/** The compressed second. */
const SECOND = 100
/** The limit per compressed second. */
const LIMIT = (RPS * SECOND) / 1000
/** How much earlier than a window's end its (LIMIT + 1)th arrival may come (see above), in ms. */
const JITTER = 15

let redis: Redis
let server: FleetServer
let fleet: Worker[] = []

beforeAll(async () => {
  if (noRedis) return
  redis = await startRedisServer()
  server = await startFleetServer()
  fleet = await Promise.all([1, 2, 3, 4].map(index => startWorker({ name: `w${index}`, redis: redis.url, prefix: 'budgets', baseURL: server.url, fleet: true, limit: { perHost: 2, rps: RPS } })))
})
afterAll(async () => {
  await Promise.all(fleet.map(worker => worker.exit()))
  await server?.close()
  await redis?.dispose()
  await removeBundles()
})

function arrivalsOf(path: string): number[] {
  return server.arrivals.filter(arrival => arrival.path === path).map(arrival => arrival.at)
}

describe.skipIf(noRedis !== undefined)(`a fleet's budgets${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it(`4 processes share perHost 2 and rps ${RPS}: 1200 requests, never more than ${LIMIT} in any ${SECOND} ms window (jitter ${JITTER} ms), never more than 2 in flight`, async () => {
    const started = performance.now()
    const results = await Promise.all(fleet.map(worker => worker.send({ do: 'requests', path: '/work/shared?delay=8', count: 300 }, 40_000)))
    const took = performance.now() - started
    expect(results.map(result => [result.ok, result.failures])).toEqual(fleet.map(() => [300, []]))
    const times = arrivalsOf('/work/shared')
    expect(times).toHaveLength(1200)
    const { most, tightest } = windows(times, SECOND, LIMIT)
    console.log(`fleet: 1200 requests in ${Math.round(took)} ms; most in a ${SECOND} ms window ${most}; ${LIMIT + 1} arrivals in a row took at least ${tightest.toFixed(1)} ms; most in flight ${server.maxInFlight.get('/work/shared')}`)
    expect(tightest).toBeGreaterThanOrEqual(SECOND - JITTER)
    expect(most).toBeLessThanOrEqual(LIMIT + 1)
    expect(server.maxInFlight.get('/work/shared')).toBeLessThanOrEqual(2)
    // 1199 spacings of 10 ms at least, and not much more: the fleet keeps up with its budget.
    expect(took).toBeGreaterThan(1199 * (1000 / RPS) - 100)
    expect(took).toBeLessThan(1200 * (1000 / RPS) * 1.5)
    // Every process had its share from the start (none waited for the others to finish).
    const first = server.arrivals.filter(arrival => arrival.path === '/work/shared').slice(0, 100)
    expect(new Set(first.map(arrival => arrival.worker))).toEqual(new Set(fleet.map(worker => worker.name)))
  }, 45_000)

  it(`without the fleet, 4 processes with a per-process limiter of ${RPS} a second let about 4 times the limit through`, async () => {
    const naive = await Promise.all([1, 2, 3, 4].map(index => startWorker({ name: `naive${index}`, redis: redis.url, prefix: 'naive', baseURL: server.url, fleet: false, limit: { perHost: 2, rps: RPS } })))
    try {
      const results = await Promise.all(naive.map(worker => worker.send({ do: 'requests', path: '/work/naive?delay=1', count: 40 })))
      expect(results.map(result => result.ok)).toEqual([40, 40, 40, 40])
    }
    finally {
      await Promise.all(naive.map(worker => worker.exit()))
    }
    const { most } = windows(arrivalsOf('/work/naive'), SECOND, LIMIT)
    console.log(`naive: most in a ${SECOND} ms window ${most} (limit ${LIMIT}); most in flight ${server.maxInFlight.get('/work/naive')}`)
    expect(most).toBeGreaterThanOrEqual(3 * LIMIT)
  })

  it('a 429 with Retry-After: 2 to one worker pauses that host for the whole fleet for 2 s; another host goes on', async () => {
    server.answer('/work/paused', 10, 429, { 'retry-after': '2' })
    const results = await Promise.all(fleet.map(worker => Promise.all([
      worker.send({ do: 'requests', path: '/work/paused?delay=2', count: 40 }),
      // Another host (the same server by another name): not paused.
      worker.send({ do: 'requests', path: `${server.url.replace('127.0.0.1', 'localhost')}/work/other?delay=2`, count: 40 }),
    ])))
    expect(results.flat().map(result => [result.ok, result.failures])).toEqual(results.flat().map(() => [40, []]))
    const paused = server.arrivals.filter(arrival => arrival.path === '/work/paused')
    const refused = paused.find(arrival => arrival.status === 429)!
    expect(refused).toBeDefined()
    const during = paused.filter(arrival => arrival.at > refused.at && arrival.at < refused.at + 2000)
    const after = paused.filter(arrival => arrival.at >= refused.at + 2000)
    const other = arrivalsOf('/work/other').filter(at => at > refused.at && at < refused.at + 2000)
    console.log(`pause: ${during.length} request(s) to the paused host in the 2 s after the 429 (${during.map(arrival => `+${(arrival.at - refused.at).toFixed(1)} ms`).join(', ') || 'none'}); the first after it at +${(after[0]!.at - refused.at).toFixed(0)} ms; ${other.length} to the other host meanwhile`)
    // At most perHost - 1 requests were past their last look at the pause when the 429 came back (the 429's own request holds the other slot until the pause is set).
    expect(during.length).toBeLessThanOrEqual(1)
    for (const arrival of during) expect(arrival.at - refused.at).toBeLessThan(50)
    expect(after.length).toBeGreaterThan(100)
    expect(after[0]!.at - refused.at).toBeLessThan(2500)
    expect(other.length).toBeGreaterThan(20)
  }, 30_000)
})
