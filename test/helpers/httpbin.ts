/**
 * The real httpbin (Debian's python3-httpbin) under Debian's gunicorn, on a loopback TCP port.
 *
 * gunicorn cannot bind port 0 and report the port, and probing a free port then binding it races
 * with the rest of the machine; so a few lines of Python bind `127.0.0.1:0` themselves, print the
 * port, and hand the listening socket to gunicorn (`--bind fd://N`, which gunicorn supports since
 * 20.0). The socket listens before gunicorn's worker is up: connections wait in its backlog, so
 * the first answer tells that httpbin is ready.
 *
 * Stopping: gunicorn reads its stdin in a thread; when stdin closes (`close()`, or this process
 * dying for any reason) it sends itself SIGINT, gunicorn's quick shutdown, which also stops its
 * worker. `close()` then waits for the exit, and kills the process group after 5 s.
 * gunicorn's own log goes to a buffer (`logs()`), quoted in the errors of this module.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { requireDependency } from './dependencies'

/** A running httpbin. */
export interface Httpbin {
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  /** What gunicorn printed (its error log, errors only, and Flask's tracebacks). */
  logs: () => string
  /**
   * One line per error in `logs()`: its first line without the timestamp, and for a traceback
   * its last line (`ERROR in app: Exception on /path [GET] — TypeError: …`). Empty in a clean run.
   */
  errors: () => string[]
  /** Stops gunicorn and its worker; resolves once the process has exited. */
  close: () => Promise<void>
}

/** Options of `startHttpbin()`. */
export interface HttpbinOptions {
  /**
   * Threads of the one gthread worker: how many requests httpbin answers at once (a `/delay` or
   * `/drip` holds one for its whole duration).
   * @default 16
   */
  threads?: number
}

/** Binds the socket, prints its port, watches stdin, then runs gunicorn in this process. */
const LAUNCHER = `
import os, signal, socket, sys, threading
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', 0))
listener.listen(128)
os.set_inheritable(listener.fileno(), True)
print(listener.getsockname()[1], flush=True)
def watch_stdin():
    sys.stdin.read()
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=watch_stdin, daemon=True).start()
sys.argv = ['gunicorn', '--bind', 'fd://%d' % listener.fileno()] + sys.argv[1:]
from gunicorn.app.wsgiapp import run
run()
`

/** Starts httpbin and resolves once it answers. */
export async function startHttpbin(options: HttpbinOptions = {}): Promise<Httpbin> {
  const python = requireDependency('httpbin')
  const args = [
    '--worker-class', 'gthread', '--workers', '1', '--threads', String(options.threads ?? 16),
    // Quiet: no access log, errors only; a slow /drip or /delay must not be killed as a stuck worker.
    '--log-level', 'error', '--error-logfile', '-', '--timeout', '120', '--graceful-timeout', '1',
    '--keep-alive', '5',
    'httpbin:app',
  ]
  const child = spawn(python, ['-c', LAUNCHER, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } })
  let output = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const killOnExit = (): void => {
    killGroup(child, 'SIGKILL')
  }
  process.once('exit', killOnExit)
  const close = async (): Promise<void> => {
    process.removeListener('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end()
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
  }
  // A write to a gunicorn that is gone must not fail the test.
  child.stdin!.on('error', () => {})

  try {
    const port = await firstLine(child, () => output)
    const url = `http://127.0.0.1:${port}`
    await waitUntilAnswering(url, child, () => output)
    return { url, port, logs: () => output, errors: () => summarizeLog(output), close }
  }
  catch (error) {
    await close()
    throw error
  }
}

/** Blocks of the log (each starts with a `[timestamp]` line) as one line each. */
function summarizeLog(log: string): string[] {
  const blocks: string[][] = []
  for (const line of log.split('\n')) {
    if (/^\[\d{4}-/.test(line) || blocks.length === 0) blocks.push([])
    if (line.trim()) blocks.at(-1)!.push(line)
  }
  return blocks.filter(block => block.length > 0).map((block) => {
    const first = block[0]!.replace(/^\[[^\]]*\]\s*(?:\[\d+\]\s*)?/, '')
    return block.length > 1 ? `${first} — ${block.at(-1)!.trim()}` : first
  })
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    // detached: gunicorn leads its own process group, its worker included.
    process.kill(-child.pid, signal)
  }
  catch {}
}

/** The port the launcher printed, or a rejection with gunicorn's output when it exits first. */
function firstLine(child: ChildProcess, logs: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => fail(new Error(`httpbin did not start within 15 s:\n${logs()}`)), 15_000)
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`httpbin exited (${signal ?? code}) before it listened:\n${logs()}`))
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.removeListener('exit', onExit)
      lines.close()
      reject(error)
    }
    child.once('exit', onExit)
    child.once('error', fail)
    lines.once('line', (line) => {
      clearTimeout(timer)
      child.removeListener('exit', onExit)
      lines.close()
      const port = Number(line.trim())
      if (Number.isInteger(port) && port > 0) resolve(port)
      else reject(new Error(`httpbin's launcher printed ${JSON.stringify(line)} instead of a port:\n${logs()}`))
    })
  })
}

/** Resolves once `GET /get` answers with httpbin's JSON (the request waits in the backlog until the worker is up). */
async function waitUntilAnswering(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`httpbin exited (${signal ?? code}) while starting:\n${logs()}`)))
  })
  exited.catch(() => {})
  const response = await Promise.race([fetch(`${url}/get`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(20_000) }), exited])
  const body = await response.json() as { url?: string }
  if (response.status !== 200 || body.url !== `${url}/get`) throw new Error(`httpbin answered ${response.status} ${JSON.stringify(body)}:\n${logs()}`)
}
