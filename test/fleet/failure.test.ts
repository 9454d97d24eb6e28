/**
 * A fleet whose Redis goes away (issue 15 item 4), with a real process and a real redis-server
 * stopped mid-run: the calls fail with `FleetError` (never a hang, never a silent fall back to the
 * process's own limits), and succeed again once redis-server is back on its port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dependencySkip } from '../helpers/dependencies'
import { removeBundles, startFleetServer, startRedisServer, startWorker } from './helpers'
import type { FleetServer, Redis, Worker } from './helpers'

const noRedis = dependencySkip('redis-server', 'a fleet whose Redis fails', import.meta.filename)

let redis: Redis
let server: FleetServer
let worker: Worker | undefined

beforeAll(async () => {
  if (noRedis) return
  redis = await startRedisServer()
  server = await startFleetServer()
})
afterAll(async () => {
  await worker?.exit()
  await server?.close()
  await redis?.dispose()
  await removeBundles()
})

describe.skipIf(noRedis !== undefined)(`a fleet without its Redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('redis-server stopped mid-run: the calls fail with FleetError, within the command timeout; started again: the calls succeed', async () => {
    worker = await startWorker({ name: 'f1', redis: redis.url, prefix: 'failure', baseURL: server.url, fleet: true, limit: { perHost: 2, rps: 50 }, fleetOptions: { commandTimeout: 500 } })
    expect((await worker.send({ do: 'requests', path: '/work/before', count: 10 })).ok).toBe(10)

    // 100 requests at 50 a second: redis-server stops after about 300 ms, under way.
    const running = worker.send({ do: 'requests', path: '/work/during?delay=20', count: 100 })
    await new Promise(resolve => setTimeout(resolve, 300))
    const stopped = performance.now()
    await redis.stop()
    const during = await running
    const ended = performance.now() - stopped
    console.log(`failure: ${during.ok} of 100 done before redis-server stopped; ${during.failures.length} failed, ${[...new Set(during.failures.map(failure => failure.code))].join(', ')}, all within ${ended.toFixed(0)} ms of the stop`)
    expect(during.ok).toBeGreaterThan(0)
    expect(during.ok).toBeLessThan(100)
    expect(new Set(during.failures.map(failure => failure.name))).toEqual(new Set(['FleetError']))
    expect(ended).toBeLessThan(3000)
    // Nothing went out without the fleet's say: no request after the ones that had their slots.
    expect(server.arrivals.filter(arrival => arrival.path === '/work/during')).toHaveLength(during.ok)

    const down = await worker.send({ do: 'requests', path: '/work/down', count: 5 })
    expect(down.ok).toBe(0)
    expect(down.ms).toBeLessThan(500 + 500)
    const failure = down.failures[0]!
    expect(failure).toMatchObject({ name: 'FleetError' })
    expect(['ERR_FLEET_UNAVAILABLE', 'ERR_FLEET_TIMEOUT']).toContain(failure.code)
    expect(failure.message).toMatch(/^\[GET\] "http:\/\/127\.0\.0\.1:\d+\/work\/down": fleet "failure": /)
    expect(server.arrivals.filter(arrival => arrival.path === '/work/down')).toHaveLength(0)

    await redis.start()
    const restarted = performance.now()
    let back: Awaited<ReturnType<Worker['send']>> | undefined
    while (performance.now() - restarted < 10_000) {
      back = await worker.send({ do: 'requests', path: '/work/back', count: 1 })
      if (back.ok === 1) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    console.log(`failure: redis-server started again; a call succeeded ${(performance.now() - restarted).toFixed(0)} ms later`)
    expect(back?.ok).toBe(1)
    expect((await worker.send({ do: 'requests', path: '/work/after', count: 20 })).ok).toBe(20)
    // The slot leases' renewals that failed meanwhile did not crash the process.
    expect(worker.child.exitCode).toBeNull()
  }, 30_000)
})

