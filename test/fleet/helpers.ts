/**
 * Shared by the fleet tests (issue 15): the worker processes (test/fixtures/fleet/worker.ts,
 * bundled once per runtime with the package as built, dist/), a redis-server that can be stopped
 * and started again on its port, and the local server whose log is the proof: when each request
 * arrived (one clock, this process's), how many were in flight, and an OAuth token endpoint that
 * rotates refresh tokens and revokes the family on reuse.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import { requireDependency } from '../helpers/dependencies'
import { childEnv } from '../runtimes/deno-and-bun'
import { resolvePackage } from '../runtimes/common'
import { freePort, root } from '../stores/helpers'
import type { WorkerCommand, WorkerConfig } from '../fixtures/fleet/worker'

export { root }

/** A runtime the worker runs in. */
export type FleetRuntime = 'node' | 'deno' | 'bun'

const bundles: Partial<Record<FleetRuntime, Promise<string>>> = {}

/** The worker bundled for `runtime`: `src/index` and `src/fleet/redis` are dist/'s, through the package's export conditions. */
export function workerFile(runtime: FleetRuntime): Promise<string> {
  return bundles[runtime] ??= (async () => {
    if (!existsSync(join(root, 'dist/fleet/redis.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    // Inside the project, so that the packages left out of the bundle (ioredis, ofetch…) resolve from its node_modules.
    const outdir = join(root, '.tmp', 'fleet')
    mkdirSync(outdir, { recursive: true })
    const outfile = join(outdir, `worker-${runtime}-${process.pid}.mjs`)
    await build({
      entryPoints: [join(root, 'test/fixtures/fleet/worker.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      packages: 'external',
      logLevel: 'error',
      plugins: [{
        name: 'built-package',
        setup(build) {
          build.onResolve({ filter: /\/src\/index$/ }, () => ({ path: resolvePackage([runtime]) }))
          build.onResolve({ filter: /\/src\/fleet\/redis$/ }, () => ({ path: join(root, 'dist/fleet/redis.js') }))
        },
      }],
    })
    return outfile
  })()
}

/** Removes the bundles (after the file's tests). */
export async function removeBundles(): Promise<void> {
  for (const result of await Promise.allSettled(Object.values(bundles))) {
    if (result.status === 'fulfilled') rmSync(result.value, { force: true })
  }
}

/** A running worker. */
export interface Worker {
  name: string
  child: ChildProcess
  /** Every line it printed. */
  lines: Array<Record<string, any>>
  /** The next line (from the ones not seen yet) that matches. */
  next: (predicate: (line: Record<string, any>) => boolean, timeout?: number) => Promise<Record<string, any>>
  /** Sends a command and resolves to its result line. */
  send: (command: Omit<Extract<WorkerCommand, { do: 'requests' }>, 'id'>, timeout?: number) => Promise<{ ok: number, failures: Array<Record<string, any>>, ms: number }>
  /** Ends it (its session closed) and resolves once it has exited. */
  exit: () => Promise<void>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  stderr: () => string
}

let commands = 0

/** Starts a worker in `runtime` and resolves once its session is ready. */
export async function startWorker(config: WorkerConfig, runtime: FleetRuntime = 'node'): Promise<Worker> {
  const file = await workerFile(runtime)
  const command = runtime === 'node'
    ? [process.execPath, file]
    : runtime === 'deno'
      ? [requireDependency('deno'), 'run', '--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--allow-sys', file]
      : [requireDependency('bun'), file]
  const child = spawn(command[0]!, [...command.slice(1), JSON.stringify(config)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() })
  const lines: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stdin!.on('error', () => {})
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => {
      done({ code, signal })
      for (const waiter of waiters.splice(0)) waiter()
    })
  })
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text))
    }
    catch {
      lines.push({ text })
    }
    for (const waiter of waiters.splice(0)) waiter()
  })
  const seen = new Set<Record<string, any>>()
  const next: Worker['next'] = (predicate, timeout = 30_000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${config.name}: no matching line within ${timeout} ms; lines: ${JSON.stringify(lines)}; stderr: ${stderr}`)), timeout)
    const look = (): void => {
      const line = lines.find(item => !seen.has(item) && predicate(item))
      if (line) {
        seen.add(line)
        clearTimeout(timer)
        return resolve(line)
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        clearTimeout(timer)
        return reject(new Error(`${config.name} exited (${child.signalCode ?? child.exitCode}); stderr: ${stderr}`))
      }
      waiters.push(look)
    }
    look()
  })
  const worker: Worker = {
    name: config.name,
    child,
    lines,
    next,
    exited,
    stderr: () => stderr,
    send: async (request, timeout) => {
      const id = ++commands
      child.stdin!.write(`${JSON.stringify({ ...request, id })}\n`)
      return await next(line => line.id === id, timeout) as Awaited<ReturnType<Worker['send']>>
    },
    exit: async () => {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.write(`${JSON.stringify({ id: 0, do: 'exit' })}\n`)
      await exited
    },
  }
  await next(line => line.ready === true, 60_000)
  return worker
}

/** A redis-server on a port of its own, which can be stopped and started again there. */
export interface Redis {
  url: string
  port: number
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Stops it and removes its folder. */
  dispose: () => Promise<void>
}

/** A redis-server (`--save '' --appendonly no`: nothing survives a restart) on a free port, started. */
export async function startRedisServer(): Promise<Redis> {
  const binary = requireDependency('redis-server')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-fleet-redis-'))
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const started = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    let output = ''
    const ready = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 10_000)
      started.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          done(true)
        }
      })
      started.on('exit', () => {
        clearTimeout(timer)
        done(false)
      })
    })
    if (!ready) throw new Error(`redis-server did not start on ${port}: ${output}`)
  }
  const stop = async (): Promise<void> => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise(done => running.once('exit', done))
    running.kill('SIGTERM')
    await exited
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** One request the server received. */
export interface Arrival {
  /** The path without the query. */
  path: string
  /** `performance.now()` of this process when the request arrived. */
  at: number
  worker: string
  status: number
}

/** The server of the fleet tests, and what it saw. */
export interface FleetServer {
  url: string
  arrivals: Arrival[]
  /** The most requests in flight at once, by path. */
  maxInFlight: Map<string, number>
  /** Answers the `nth` request (from 1) to `path` with `status` and these headers. */
  answer: (path: string, nth: number, status: number, headers: Record<string, string>) => void
  oauth: OAuthServer
  close: () => Promise<void>
}

/** The token endpoint's state: what it issued, what it refused. */
export interface OAuthServer {
  /** Access tokens the API accepts. */
  valid: Set<string>
  /** The refresh token that may be used now (others were rotated away or revoked). */
  current: string
  /** Refresh tokens already used: using one again revokes the family. */
  used: Set<string>
  refreshes: Array<{ at: number, worker: string, with: string }>
  invalidGrants: number
  /** The access tokens expire (the refresh token still works). */
  expire: () => void
}

function oauthServer(): OAuthServer {
  const state: OAuthServer = {
    valid: new Set(['at-0']),
    current: 'rt-0',
    used: new Set(),
    refreshes: [],
    invalidGrants: 0,
    expire: () => state.valid.clear(),
  }
  return state
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    request.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
    }).on('end', () => resolve(text))
  })
}

/** `POST /oauth/token`: rotates the refresh token; a reused one revokes the whole family (RFC 9700 §4.14.2). */
async function token(state: OAuthServer, request: IncomingMessage, response: ServerResponse, worker: string): Promise<void> {
  const refresh = new URLSearchParams(await readBody(request)).get('refresh_token') ?? ''
  state.refreshes.push({ at: performance.now(), worker, with: refresh })
  if (refresh !== state.current) {
    if (state.used.has(refresh)) {
      state.valid.clear()
      state.current = 'revoked'
    }
    state.invalidGrants++
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }))
    return
  }
  const generation = state.refreshes.length
  state.used.add(refresh)
  state.current = `rt-${generation}`
  state.valid = new Set([`at-${generation}`])
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `at-${generation}`, refresh_token: state.current, token_type: 'Bearer' }))
}

/**
 * The server: `/work/*` answers `ok` after `?delay=` ms (default 5); `/api` needs a valid bearer
 * token (else 401); `/oauth/token` is the token endpoint; `answer()` scripts a status.
 */
export async function startFleetServer(): Promise<FleetServer> {
  const arrivals: Arrival[] = []
  const inFlight = new Map<string, number>()
  const maxInFlight = new Map<string, number>()
  const scripted = new Map<string, { nth: number, status: number, headers: Record<string, string> }>()
  const counts = new Map<string, number>()
  const oauth = oauthServer()
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const worker = String(request.headers['x-worker'] ?? '')
    const at = performance.now()
    if (url.pathname === '/oauth/token') return void token(oauth, request, response, worker)
    const count = (counts.get(url.pathname) ?? 0) + 1
    counts.set(url.pathname, count)
    let status = 200
    let headers: Record<string, string> = {}
    const script = scripted.get(url.pathname)
    if (script && script.nth === count) ({ status, headers } = script)
    if (url.pathname === '/api' && !oauth.valid.has(String(request.headers.authorization ?? '').replace(/^Bearer /, ''))) status = 401
    arrivals.push({ path: url.pathname, at, worker, status })
    const now = (inFlight.get(url.pathname) ?? 0) + 1
    inFlight.set(url.pathname, now)
    maxInFlight.set(url.pathname, Math.max(now, maxInFlight.get(url.pathname) ?? 0))
    setTimeout(() => {
      inFlight.set(url.pathname, inFlight.get(url.pathname)! - 1)
      response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status === 200 ? 'ok' : `status ${status}`)
    }, Number(url.searchParams.get('delay') ?? 5))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    maxInFlight,
    oauth,
    answer: (path, nth, status, headers) => void scripted.set(path, { nth, status, headers }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/**
 * The most arrivals within any window of `window` ms (sliding: each arrival starts one), and the
 * shortest time the `limit + 1` arrivals following one another took (at least `window` when the
 * limit held exactly).
 */
export function windows(times: readonly number[], window: number, limit: number): { most: number, tightest: number } {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let tightest = Number.POSITIVE_INFINITY
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + window) end++
    most = Math.max(most, end - start)
    if (start + limit < sorted.length) tightest = Math.min(tightest, sorted[start + limit]! - sorted[start]!)
  }
  return { most, tightest }
}
