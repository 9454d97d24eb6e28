/**
 * Beyond the article: two processes, one budget. Each process of a crawler has its own session;
 * with the same `fleet` (on Redis) their `limit` holds for both together: 10 requests a second
 * between them, not 10 each.
 *
 *   process 1: createSession({ fleet, limit: { rps: 10 } }) → 10 requests at once
 *   process 2: the same, at the same time → the server sees 10 a second in all
 *
 * The two are real child processes: this file, run directly. It needs a redis-server (started here
 * on a free port, with nothing saved); without one it says so in one line and does nothing.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { findDependency, missingMessage } from '../../test/helpers/dependencies'
import { check, note, show, step } from '../util'

export const title = 'A fleet: two processes share one budget on Redis (limit: { perHost: 1, rps: 10 })'

const self = fileURLToPath(import.meta.url)

/** One process of the fleet: 10 requests at once, through a session whose limits are the fleet's. */
async function worker(redisURL: string, baseURL: string, name: string): Promise<void> {
  const { default: Redis } = await import('ioredis')
  const { createSession } = await import('../../src/index')
  const { createRedisFleet } = await import('../../src/fleet/redis')
  const redis = new Redis(redisURL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true })
  await redis.connect()
  const fleet = createRedisFleet(redis, { prefix: 'playground' })
  await using session = createSession({ baseURL, fleet, limit: { perHost: 1, rps: 10 }, headers: { 'x-worker': name } })
  const started = Date.now()
  await Promise.all(Array.from({ length: 10 }, (_, index) => session(`/page/${index}`, { responseType: 'text' })))
  show(`[${name}, pid ${process.pid}]`, `10 requests in ${Date.now() - started} ms`)
  redis.disconnect()
}

async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>(done => probe.listen(0, '127.0.0.1', done))
  const { port } = probe.address() as AddressInfo
  await new Promise(done => probe.close(done))
  return port
}

/** redis-server on a free port, nothing saved; resolves once it accepts connections. */
async function startRedis(binary: string, dir: string): Promise<{ url: string, child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] })
  let output = ''
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 10_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        done()
      }
    })
  })
  return { url: `redis://127.0.0.1:${port}`, child }
}

export async function run(): Promise<void> {
  const binary = findDependency('redis-server')
  if (!binary) return note(`skipped: this scenario needs redis-server (${missingMessage('redis-server')})`)
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-playground-redis-'))
  const arrivals: number[] = []
  // A server of its own, which notes when each request arrives.
  const server = createServer((_request, response) => {
    arrivals.push(Date.now())
    response.end('ok')
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const redis = await startRedis(binary, dir)
  try {
    step('two child processes, one fleet (prefix "playground"), 10 requests each at once')
    const started = Date.now()
    // Asynchronous: the server answers from this process.
    const outputs = await Promise.all(['worker 1', 'worker 2'].map(name => promisify(execFile)(process.execPath, ['--import', 'tsx', self, redis.url, baseURL, name], { encoding: 'utf8', timeout: 15_000 })))
    for (const { stdout } of outputs) process.stdout.write(stdout)
    const took = Date.now() - started
    const perSecond = new Map<number, number>()
    const first = Math.min(...arrivals)
    for (const at of arrivals) perSecond.set(Math.floor((at - first) / 1000), (perSecond.get(Math.floor((at - first) / 1000)) ?? 0) + 1)
    show('requests the server saw', arrivals.length)
    show('by second (from the first)', [...perSecond.values()])
    const span = Math.max(...arrivals) - first
    show('first to last', `${span} ms (20 starts, 100 ms apart: at least 1900 ms)`)
    check(arrivals.length === 20 && span >= 1800, 'the two processes shared 10 a second (each alone would have taken 900 ms)')
    note(`both processes took ${took} ms in all, process start included; without the fleet, each would send its 10 in 0.9 s, 20 a second in all`)
  }
  finally {
    redis.child.kill('SIGTERM')
    await new Promise<void>(done => server.close(() => done()))
    rmSync(dir, { recursive: true, force: true })
  }
}

// Run directly: one process of the fleet.
if (process.argv[1] && resolve(process.argv[1]) === self) {
  await worker(process.argv[2]!, process.argv[3]!, process.argv[4]!)
}
