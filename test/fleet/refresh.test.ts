/**
 * Shared refresh (issue 15 item 3), with real processes on a real redis-server, against a token
 * endpoint that rotates the refresh token and revokes the whole family when one is used twice
 * (RFC 9700 §4.14.2): one `refresh()` for the fleet, whose token (and refresh token) the others
 * read from the fleet's record; a holder killed mid-refresh is replaced after the lock's lease.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dependencySkip } from '../helpers/dependencies'
import type { WorkerConfig } from '../fixtures/fleet/worker'
import { removeBundles, startFleetServer, startRedisServer, startWorker } from './helpers'
import type { FleetServer, Redis, Worker } from './helpers'

const noRedis = dependencySkip('redis-server', 'the fleet\'s shared refresh on Redis', import.meta.filename)

let redis: Redis
let server: FleetServer
const workers: Worker[] = []

beforeAll(async () => {
  if (!noRedis) redis = await startRedisServer()
})
afterEach(async () => {
  await Promise.all(workers.splice(0).map(worker => worker.exit()))
  await server?.close()
})
afterAll(async () => {
  await redis?.dispose()
  await removeBundles()
})

async function start(name: string, prefix: string, extra: Partial<WorkerConfig> = {}): Promise<Worker> {
  const worker = await startWorker({ name, redis: redis.url, prefix, baseURL: server.url, fleet: true, auth: { bearer: 'at-0', refreshToken: 'rt-0' }, ...extra })
  workers.push(worker)
  return worker
}

const unauthorized = (worker: string): number => server.arrivals.filter(arrival => arrival.path === '/api' && arrival.worker === worker && arrival.status === 401).length

describe.skipIf(noRedis !== undefined)(`a fleet's refresh${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('3 processes x 20 requests after the token expired: exactly one refresh, no invalid_grant, all 60 succeed; a process that starts later uses the fleet\'s token; the next refresh, by another process, uses the rotated refresh token', async () => {
    server = await startFleetServer()
    const fleet = await Promise.all(['r1', 'r2', 'r3'].map(name => start(name, 'refresh')))
    for (const worker of fleet) expect((await worker.send({ do: 'requests', path: '/api', count: 1 })).ok).toBe(1)
    server.oauth.expire()
    const round = await Promise.all(fleet.map(worker => worker.send({ do: 'requests', path: '/api', count: 20 })))
    expect(round.map(result => [result.ok, result.failures])).toEqual([[20, []], [20, []], [20, []]])
    expect(server.oauth.refreshes.map(refresh => refresh.with)).toEqual(['rt-0'])
    expect(server.oauth.invalidGrants).toBe(0)
    console.log(`refresh: one refresh (by ${server.oauth.refreshes[0]!.worker}) for ${fleet.map(worker => `${unauthorized(worker.name)} 401s in ${worker.name}`).join(', ')}`)

    // Arrives later, configured with the old token: reads the fleet's, and gets no 401.
    const late = await start('r4', 'refresh')
    expect((await late.send({ do: 'requests', path: '/api', count: 5 })).ok).toBe(5)
    expect(unauthorized('r4')).toBe(0)

    // The token expires again; the processes that did not refresh the first time refresh now, with the refresh token the first refresh got (rt-1), not their own rt-0, which the server would take for a reuse.
    const refresher = server.oauth.refreshes[0]!.worker
    server.oauth.expire()
    const others = [...fleet, late].filter(worker => worker.name !== refresher)
    const second = await Promise.all(others.map(worker => worker.send({ do: 'requests', path: '/api', count: 20 })))
    expect(second.map(result => [result.ok, result.failures])).toEqual(others.map(() => [20, []]))
    expect(server.oauth.refreshes.map(refresh => refresh.with)).toEqual(['rt-0', 'rt-1'])
    expect(server.oauth.refreshes[1]!.worker).not.toBe(refresher)
    expect(server.oauth.invalidGrants).toBe(0)
  }, 30_000)

  it('kill -9 of the process that holds the refresh lock mid-refresh: another one completes the refresh after the lock\'s lease (1 s here)', async () => {
    server = await startFleetServer()
    const options = { fleetOptions: { refreshLease: 1000 } }
    const holder = await start('holder', 'refresh-kill', { ...options, auth: { bearer: 'at-0', refreshToken: 'rt-0', hang: true } })
    const other = await start('other', 'refresh-kill', options)
    server.oauth.expire()
    void holder.send({ do: 'requests', path: '/api', count: 1 }).catch(() => {})
    await holder.next(line => line.refreshing === true)
    const waiting = other.send({ do: 'requests', path: '/api', count: 3 })
    // The other process got its 401s and waits for the lock.
    while (unauthorized('other') < 3) await new Promise(resolve => setTimeout(resolve, 20))
    await new Promise(resolve => setTimeout(resolve, 300))
    const killed = performance.now()
    holder.child.kill('SIGKILL')
    const result = await waiting
    expect([result.ok, result.failures]).toEqual([3, []])
    expect(server.oauth.refreshes.map(refresh => [refresh.worker, refresh.with])).toEqual([['other', 'rt-0']])
    expect(server.oauth.invalidGrants).toBe(0)
    const after = server.oauth.refreshes[0]!.at - killed
    console.log(`refresh: the holder killed; the other process refreshed ${after.toFixed(0)} ms later (lease 1000 ms, renewed every 333 ms)`)
    expect(after).toBeGreaterThan(0)
    expect(after).toBeLessThan(1000 + 500)
    expect((await holder.exited).signal).toBe('SIGKILL')
  }, 30_000)
})
