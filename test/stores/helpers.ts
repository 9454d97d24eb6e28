/**
 * Shared by the store tests: the worker process (fixtures/worker.ts, bundled once so that it
 * starts in milliseconds), and a real `redis-server` on a free port. Children are spawned
 * asynchronously: the test server runs in the test's process and must keep answering.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import { createStorage } from 'unstorage'
import type { Storage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll } from 'vitest'
import { requireDependency } from '../helpers/dependencies'
import type { WorkerPlan } from './fixtures/worker'

export const root = resolve(import.meta.dirname, '../..')

/** Bundles fixtures/worker.ts (the source of fetch-session included, packages external) under .tmp/stores. */
export async function bundleWorker(name: string): Promise<string> {
  const outdir = join(root, '.tmp', 'stores')
  mkdirSync(outdir, { recursive: true })
  const outfile = join(outdir, `worker-${name}-${process.pid}.mjs`)
  await build({
    entryPoints: [join(root, 'test/stores/fixtures/worker.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  })
  return outfile
}

/** A running worker: its JSON lines, its stdin, its end. */
export interface Worker {
  child: ChildProcess
  /** The next line that matches `predicate` (rejects when the worker exits first). */
  next: (predicate?: (line: Record<string, any>) => boolean) => Promise<Record<string, any>>
  /** Every line printed so far. */
  lines: Array<Record<string, any>>
  /** Writes a line to the worker's stdin (releases a `wait` step). */
  release: () => void
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }>
}

/** Starts the bundled worker with `plan`. */
export function startWorker(file: string, plan: WorkerPlan): Worker {
  const child = spawn(process.execPath, [file, JSON.stringify(plan)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  const lines: Array<Record<string, any>> = []
  const waiters: Array<{ predicate: (line: Record<string, any>) => boolean, resolve: (line: Record<string, any>) => void, reject: (error: Error) => void }> = []
  let stderr = ''
  let consumed = 0
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }>((done) => {
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`the worker exited (${signal ?? code}) before the expected line; stderr: ${stderr}`))
      done({ code, signal, stderr })
    })
  })
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, any>
    try {
      line = JSON.parse(text)
    }
    catch {
      line = { text }
    }
    lines.push(line)
    const waiter = waiters[0]
    if (waiter?.predicate(line)) {
      waiters.shift()
      consumed = lines.length
      waiter.resolve(line)
    }
  })
  // A worker killed while the parent writes to it must not fail the test.
  child.stdin!.on('error', () => {})
  return {
    child,
    lines,
    exited,
    release: () => {
      child.stdin!.write('go\n')
    },
    // Lines are consumed in order: a line that arrived before next() was called is not missed.
    next: (predicate = () => true) => new Promise((resolve, reject) => {
      for (let index = consumed; index < lines.length; index++) {
        if (predicate(lines[index]!)) {
          consumed = index + 1
          return resolve(lines[index]!)
        }
      }
      consumed = lines.length
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`the worker has exited; stderr: ${stderr}`))
      waiters.push({ predicate, resolve, reject })
    }),
  }
}

/** Runs a worker to its end and resolves to the lines of its steps; rejects with its stderr when it fails. */
export async function runWorker(file: string, plan: WorkerPlan): Promise<Array<Record<string, any>>> {
  const worker = startWorker(file, plan)
  const { code, stderr } = await worker.exited
  if (code !== 0) throw new Error(`the worker failed (exit ${code}): ${stderr}`)
  return worker.lines.filter(line => line.step !== undefined)
}

/** A free loopback port (there is a short race between closing the probe and using the port). */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>(done => probe.listen(0, '127.0.0.1', done))
  const { port } = probe.address() as { port: number }
  await new Promise(done => probe.close(done))
  return port
}

/** A redis-server this test started: its URL, and `stop()`. */
export interface RedisServer {
  url: string
  stop: () => Promise<void>
}

/**
 * Starts `redis-server --port N --save '' --appendonly no` on a free port (no persistence, in a
 * temporary folder) and resolves once it accepts connections.
 */
export async function startRedis(): Promise<RedisServer> {
  const redisServer = requireDependency('redis-server')
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'fetch-session-redis-'))
    const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const ready = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 10_000)
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          done(true)
        }
      })
      child.on('error', (error) => {
        output += String(error)
        clearTimeout(timer)
        done(false)
      })
      child.on('exit', () => {
        clearTimeout(timer)
        done(false)
      })
    })
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise(done => child.once('exit', done))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
    if (ready) return { url: `redis://127.0.0.1:${port}`, stop }
    await stop()
    if (attempt >= 3) throw new Error(`redis-server did not start: ${output}`)
  }
}

/** A test file's redis-server, and unstorage storages on it (see `useRedis`). */
export interface RedisForTests {
  /** The server's URL (once `beforeAll` has run). */
  readonly url: string
  /** An unstorage storage over its own connection to the server (what another process has), disposed after the file's tests. */
  storage: () => Storage
}

/**
 * Starts a redis-server before the file's tests and stops it after them, unless `skip` says why
 * it cannot run here (`dependencySkip`); the storages made meanwhile are disposed first.
 */
export function useRedis(skip: string | undefined): RedisForTests {
  let server: RedisServer | undefined
  const storages: Storage[] = []
  beforeAll(async () => {
    if (!skip) server = await startRedis()
  })
  afterAll(async () => {
    await Promise.all(storages.map(storage => storage.dispose()))
    await server?.stop()
  })
  return {
    get url() {
      if (!server) throw new Error('redis-server is not running')
      return server.url
    },
    storage() {
      const storage = createStorage({ driver: redisDriver({ url: this.url }) })
      storages.push(storage)
      return storage
    },
  }
}
