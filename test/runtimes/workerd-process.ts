/**
 * Running a worker in workerd (the npm `workerd` package), shared by the conformance runner
 * (test/runtimes/workerd.test.ts) and the playground (playground/runtimes/play.ts): the binary, a
 * config whose outbound network may reach loopback, starting `workerd serve` and stopping it.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * The platform binary, as the npm package resolves it (`require('workerd').default`), so the
 * process we start and stop is workerd itself, never a launcher script.
 */
export function workerdBinary(): string | undefined {
  try {
    const path = (createRequire(import.meta.url)('workerd') as { default: string }).default
    return existsSync(path) ? path : undefined
  }
  catch {
    return undefined
  }
}

/** A compatibility date this workerd supports (it refuses dates after its own release). */
const COMPATIBILITY_DATE = '2025-09-01'

/**
 * The config of one ES module worker (`module`: its file, relative to the config file, as `embed`
 * wants it) on a socket named `http` at an ephemeral loopback port, with an "internet" outbound
 * that may reach loopback.
 */
export function workerdConfig(module: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "${module}")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  globalOutbound = "internet",
);
`
}

/** A running `workerd serve`. */
export interface WorkerdProcess {
  child: ChildProcess
  /** The port of its `http` socket. */
  port: number
  /** What it printed so far (stdout and stderr). */
  logs: () => string
}

/** Starts `workerd serve` (async: the test server lives in this process) and waits for its port. */
export async function startWorkerd(bin: string, configFile: string, cwd: string): Promise<WorkerdProcess> {
  // fd 3 is workerd's control channel: it reports the port of each socket once it listens.
  const child = spawn(bin, ['serve', configFile, '--control-fd=3'], { cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
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
    await stopChild(child)
    throw error
  }
}

/** Ends a child we started: SIGTERM, then SIGKILL after 3 s. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}
