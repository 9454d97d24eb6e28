/**
 * A fleet across runtimes (issue 15 item 5): a Node, a Deno and a Bun process, each with the
 * package as built and ioredis, share one budget and one refresh on a real redis-server.
 * (Workers and browsers refuse `fleet`: test/fleet/options.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { removeBundles, startFleetServer, startRedisServer, startWorker, windows } from './helpers'
import type { FleetRuntime, FleetServer, Redis, Worker } from './helpers'

const noRedis = dependencySkip('redis-server', 'a fleet across Node, Deno and Bun', import.meta.filename)

let redis: Redis
let server: FleetServer
const workers: Worker[] = []

beforeAll(async () => {
  if (noRedis) return
  redis = await startRedisServer()
  server = await startFleetServer()
})
afterAll(async () => {
  await Promise.all(workers.map(worker => worker.exit()))
  await server?.close()
  await redis?.dispose()
  await removeBundles()
})

describe.skipIf(noRedis !== undefined)(`a fleet of Node, Deno and Bun${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('one budget (perHost 1, rps 40) and one refresh for a Node, a Deno and a Bun process', async (context) => {
    requireDependency('deno', context)
    requireDependency('bun', context)
    const runtimes: FleetRuntime[] = ['node', 'deno', 'bun']
    workers.push(...await Promise.all(runtimes.map(runtime => startWorker({ name: runtime, redis: redis.url, prefix: 'runtimes', baseURL: server.url, fleet: true, limit: { perHost: 1, rps: 40 }, auth: { bearer: 'at-0', refreshToken: 'rt-0' } }, runtime))))
    const results = await Promise.all(workers.map(worker => worker.send({ do: 'requests', path: '/work/runtimes?delay=5', count: 20 })))
    expect(results.map(result => [result.ok, result.failures])).toEqual(runtimes.map(() => [20, []]))
    const arrivals = server.arrivals.filter(arrival => arrival.path === '/work/runtimes')
    expect(new Set(arrivals.map(arrival => arrival.worker))).toEqual(new Set(runtimes))
    // 40 a second: 4 in any 100 ms window (jitter 15 ms, as in budgets.test.ts).
    const { tightest } = windows(arrivals.map(arrival => arrival.at), 100, 4)
    expect(tightest).toBeGreaterThanOrEqual(100 - 15)
    expect(server.maxInFlight.get('/work/runtimes')).toBe(1)

    server.oauth.expire()
    const refreshed = await Promise.all(workers.map(worker => worker.send({ do: 'requests', path: '/api', count: 5 })))
    expect(refreshed.map(result => [result.ok, result.failures])).toEqual(runtimes.map(() => [5, []]))
    expect(server.oauth.refreshes).toHaveLength(1)
    expect(server.oauth.invalidGrants).toBe(0)
  }, 40_000)
})
