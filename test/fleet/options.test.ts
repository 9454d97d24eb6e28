/**
 * The `fleet` option's rules and seams (issue 15), in one process with a fleet of the test's own
 * that records what the session asks of it: where the option is taken and refused, that the
 * limiter and the auth layer go through it (an `extend()` child too), the runtimes that refuse
 * it, `createRedisFleet()`'s checks, and `FleetError`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $fetch, createSession, FleetError, InvalidRequestError, UnsupportedOptionError } from '../../src/index'
import { createSession as createWorkerdSession } from '../../src/adapters/workerd'
import { createSession as createBrowserSession } from '../../src/adapters/browser'
import { createRedisFleet } from '../../src/fleet/redis'
import { createRedisFleet as createUnsupportedFleet } from '../../src/fleet/redis-unsupported'
import { fleetFailure } from '../../src/fleet/redis-client'
import type { Fleet, FleetLimits, FleetToken } from '../../src/types'
import { startFleetServer } from './helpers'
import type { FleetServer } from './helpers'

let server: FleetServer
beforeAll(async () => {
  server = await startFleetServer()
})
afterAll(async () => {
  await server.close()
})

/** A fleet in memory that records the session's calls. */
function recordingFleet(): Fleet & { calls: Array<[string, ...unknown[]]>, record: FleetToken | undefined } {
  const fleet = {
    prefix: 'test',
    calls: [] as Array<[string, ...unknown[]]>,
    record: undefined as FleetToken | undefined,
    async acquire(host: string, limits: FleetLimits) {
      fleet.calls.push(['acquire', host, limits])
      return () => void fleet.calls.push(['release', host])
    },
    async pause(host: string, ms: number) {
      fleet.calls.push(['pause', host, ms])
    },
    async token() {
      fleet.calls.push(['token'])
      return fleet.record
    },
    async refresh(used: string, refresh: (record: FleetToken | undefined) => Promise<{ token: string, refreshToken?: string }>) {
      fleet.calls.push(['refresh', used])
      const result = await refresh(fleet.record)
      fleet.record = { ...result, generation: (fleet.record?.generation ?? 0) + 1 }
      return fleet.record
    },
  }
  return fleet
}

describe('the fleet option', () => {
  it('is a session\'s: refused by a request, a mount and $fetch.create(); a value that is not a fleet is refused', async () => {
    const fleet = recordingFleet()
    await expect(createSession()(`${server.url}/work/x`, { fleet } as never)).rejects.toMatchObject({ name: 'InvalidRequestError', option: 'fleet' })
    expect(() => createSession().mount(server.url, { fleet } as never)).toThrow(InvalidRequestError)
    expect(() => $fetch.create({ fleet } as never)).toThrow(/`fleet` is a session's/)
    expect(() => createSession({ fleet: {} as never })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'fleet' }))
  })

  it('every request on the wire takes the fleet\'s slots (with the session\'s limits), an extend() child\'s too; extend() refuses another fleet', async () => {
    const fleet = recordingFleet()
    await using session = createSession({ baseURL: server.url, fleet, limit: { perHost: 2, rps: 10 } })
    await session('/work/a')
    await session.extend({ headers: { 'x-child': '1' } })('/work/b')
    const host = new URL(server.url).host
    const limits = { concurrency: Number.POSITIVE_INFINITY, perHost: 2, rps: 10 }
    expect(fleet.calls).toEqual([['acquire', host, limits], ['release', host], ['acquire', host, limits], ['release', host]])
    expect(() => session.extend({ fleet: recordingFleet() } as never)).toThrow(/extend\(\) shares the parent's fleet/)
  })

  it('without `limit`, a session still waits for the host\'s pause and shares a 429\'s Retry-After (or RateLimit-Reset)', async () => {
    const fleet = recordingFleet()
    await using session = createSession({ baseURL: server.url, fleet, retry: false })
    server.answer('/work/429', 1, 429, { 'retry-after': '3' })
    server.answer('/work/503', 1, 503, { 'ratelimit-reset': '7' })
    server.answer('/work/500', 1, 500, { 'retry-after': '9' })
    for (const path of ['/work/429', '/work/503', '/work/500']) await expect(session(path)).rejects.toMatchObject({ name: 'HTTPError' })
    const host = new URL(server.url).host
    expect(fleet.calls.filter(call => call[0] === 'pause')).toEqual([['pause', host, 3000], ['pause', host, 7000]])
    expect(fleet.calls.filter(call => call[0] === 'acquire')[0]).toEqual(['acquire', host, { concurrency: Number.POSITIVE_INFINITY, perHost: Number.POSITIVE_INFINITY, rps: Number.POSITIVE_INFINITY }])
  })

  it('a 401 refreshes through the fleet, which hands the refresh the record\'s refresh token; a process starts with the record\'s token', async () => {
    const fleet = recordingFleet()
    server.oauth.valid = new Set(['fleet-token'])
    fleet.record = { token: 'old', refreshToken: 'rt-from-record', generation: 4 }
    const seen: Array<string | undefined> = []
    await using session = createSession({ baseURL: server.url, fleet, auth: { bearer: 'configured', refresh: async ({ refreshToken }) => {
      seen.push(refreshToken)
      return { token: 'fleet-token', refreshToken: 'rt-next' }
    } } })
    expect(await session('/api', { responseType: 'text' })).toBe('ok')
    expect(seen).toEqual(['rt-from-record'])
    expect(fleet.calls.filter(call => call[0] !== 'acquire' && call[0] !== 'release')).toEqual([['token'], ['refresh', 'old']])
    expect(fleet.record).toEqual({ token: 'fleet-token', refreshToken: 'rt-next', generation: 5 })
    const tried = server.arrivals.filter(arrival => arrival.path === '/api').slice(-2).map(arrival => arrival.status)
    expect(tried).toEqual([401, 200])
  })

  it('a store that fails is a FleetError on the call, naming the request, never a silent fall back', async () => {
    const fleet = recordingFleet()
    fleet.acquire = async () => {
      throw new FleetError('ERR_FLEET_UNAVAILABLE', 'test', 'taking a slot: Redis failed (connect ECONNREFUSED)')
    }
    await using session = createSession({ baseURL: server.url, fleet, limit: { rps: 5 } })
    const before = server.arrivals.length
    const error = await session('/work/refused').catch((caught: unknown) => caught) as FleetError
    expect(error).toBeInstanceOf(FleetError)
    expect([error.name, error.code, error.prefix]).toEqual(['FleetError', 'ERR_FLEET_UNAVAILABLE', 'test'])
    expect(error.message).toBe(`[GET] "${server.url}/work/refused": fleet "test": taking a slot: Redis failed (connect ECONNREFUSED)`)
    expect(server.arrivals.length).toBe(before)
  })

  it('the workerd and browser entries refuse it (UnsupportedOptionError), and so does fetch-session/fleet/redis under their conditions', () => {
    const fleet = recordingFleet()
    expect(() => createWorkerdSession({ fleet })).toThrow(expect.objectContaining({ name: 'UnsupportedOptionError', option: 'fleet', runtime: 'workerd' }))
    expect(() => createBrowserSession({ fleet })).toThrow(expect.objectContaining({ name: 'UnsupportedOptionError', option: 'fleet', runtime: 'browser' }))
    expect(() => createUnsupportedFleet({} as never, { prefix: 'x' })).toThrow(UnsupportedOptionError)
  })
})

describe('createRedisFleet()', () => {
  const redis = { eval: async () => 1, evalsha: async () => 1, get: async () => null, set: async () => 'OK', zrem: async () => 0, pttl: async () => -2 }

  it('checks its client and options', () => {
    expect(() => createRedisFleet({} as never, { prefix: 'x' })).toThrow(expect.objectContaining({ option: 'redis' }))
    expect(() => createRedisFleet(redis, { prefix: '' })).toThrow(expect.objectContaining({ option: 'prefix' }))
    expect(() => createRedisFleet(redis, { prefix: 'x', lease: -1 })).toThrow(expect.objectContaining({ option: 'lease' }))
    expect(createRedisFleet(redis, { prefix: 'x' }).prefix).toBe('x')
  })

  it('a Redis error becomes a FleetError whose cause has the message only (an ioredis ReplyError carries the command\'s arguments)', () => {
    const reply = Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError', command: { name: 'set', args: ['p:token', '{"token":"secret-token"}'] } })
    const error = fleetFailure(reply, 'p', 'writing the token record')
    expect([error.code, error.message]).toEqual(['ERR_FLEET_UNAVAILABLE', 'fetch-session: fleet "p": writing the token record: Redis failed (OOM command not allowed)'])
    expect((error.cause as Error).name).toBe('ReplyError')
    expect(JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause))).not.toContain('secret-token')
  })
})
