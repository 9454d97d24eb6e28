/**
 * The conformance suite in workerd (the npm `workerd` package: the Cloudflare Workers runtime),
 * against the built package resolved through the `workerd` export condition. The suite runs inside
 * one request to an ES module worker (test/conformance/entries/worker.ts); the worker's outbound
 * network allows loopback so its fetch reaches the local test server.
 *
 * Skipped locally when the binary is missing (the npm package or its platform package); on CI that
 * is a failure.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { announce, bundle, closedPort, isCI, readmeMismatches, root } from './common'

/**
 * The platform binary, as the npm package resolves it (`require('workerd').default`), so the
 * process we start and stop is workerd itself, never a launcher script.
 */
function workerdBinary(): string | undefined {
  try {
    const path = (createRequire(import.meta.url)('workerd') as { default: string }).default
    return existsSync(path) ? path : undefined
  }
  catch {
    return undefined
  }
}

const workerd = workerdBinary()

/** A compatibility date this workerd supports (it refuses dates after its own release). */
const COMPATIBILITY_DATE = '2025-09-01'

/** The config: the suite's worker, and an "internet" outbound that may reach loopback. */
function config(module: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .suite),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const suite :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "${module}")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  globalOutbound = "internet",
);
`
}

/** Starts `workerd serve` (async: the test server lives in this process) and waits for its port. */
async function startWorkerd(configFile: string): Promise<{ child: ChildProcess, port: number, logs: () => string }> {
  // fd 3 is workerd's control channel: it reports the port of each socket once it listens.
  const child = spawn(workerd!, ['serve', configFile, '--control-fd=3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => { output += chunk })
  child.stderr!.on('data', (chunk) => { output += chunk })
  const listening = new Promise<number>((resolve, reject) => {
    let control = ''
    const timer = setTimeout(() => reject(new Error(`workerd did not start within 20 s:\n${output}`)), 20_000)
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => {
      control += chunk
      for (const line of control.split('\n')) {
        try {
          const message = JSON.parse(line) as { event?: string, socket?: string, port?: number }
          if (message.event === 'listen' && message.socket === 'http' && message.port) {
            clearTimeout(timer)
            resolve(message.port)
          }
        }
        catch {}
      }
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`workerd exited (${code ?? signal}) before listening:\n${output}`))
    })
  })
  try {
    return { child, port: await listening, logs: () => output }
  }
  catch (error) {
    await stop(child)
    throw error
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

describe.skipIf(!workerd && !isCI)('conformance: workerd', () => {
  let server: TestServer
  let worker: { child: ChildProcess, port: number, logs: () => string } | undefined
  let report: Report

  beforeAll(async () => {
    if (!workerd) throw new Error('the workerd binary is missing: `npm install` installs the workerd devDependency and its platform package')
    server = await startServer()
    const file = await bundle('workerd', 'worker', { platform: 'neutral', conditions: ['workerd', 'worker'] })
    // The config sits next to the bundle: `embed` paths are relative to the config file.
    const configFile = join(dirname(file), 'workerd-config.capnp')
    writeFileSync(configFile, config(basename(file)))
    worker = await startWorkerd(configFile)
  })
  afterAll(async () => {
    await stop(worker?.child)
    await server?.close()
  })

  it('passes the whole suite', async () => {
    const env = { runtime: 'workerd', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false }
    const response = await fetch(`http://127.0.0.1:${worker!.port}/`, { method: 'POST', body: JSON.stringify(env), signal: AbortSignal.timeout(50_000) })
    const text = await response.text()
    if (!response.ok) throw new Error(`the worker answered ${response.status}: ${text}\n${worker!.logs()}`)
    report = JSON.parse(text) as Report
    announce(report)
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(19)
  }, 55_000)

  it('matches the README\'s runtime table', () => {
    expect(report, 'the suite did not run').toBeDefined()
    expect(readmeMismatches(report)).toEqual([])
  })
})
