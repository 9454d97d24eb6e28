/**
 * Entry for the Deno and Bun runners' own tests (what a suite run inside one process cannot
 * show): `<runtime> probe.mjs '<plan json>'` creates the plan's sessions, sends their requests,
 * closes them, and prints one line of JSON. It never calls exit: the runner times how long the
 * process takes to end by itself once its sessions are closed.
 */
import { createSession } from 'fetch-session'
import type { MountOptions, Session, SessionOptions } from 'fetch-session'

/** What to do. */
export interface ProbePlan {
  sessions: Array<{
    label: string
    options: SessionOptions
    /** A `mount()` of the session, with its own transport options. */
    mount?: { prefix: string, options: SessionOptions }
    /** URLs requested in parallel. */
    requests: string[]
  }>
  /** Answers with the test server's open sockets: read before the sessions close, then until it is 0. */
  sockets?: string
  /** Ms to wait after the requests, before the sockets are counted and the sessions closed. */
  idle?: number
}

/** What happened. */
export interface ProbeResult {
  sessions: Record<string, {
    /** `createSession()` threw. */
    refused?: { name: string, option?: string, runtime?: string, message: string }
    /** The parsed bodies, in the order of `requests`. */
    data?: unknown[]
    /** A request failed. */
    error?: { name: string, message: string }
  }>
  /** Open sockets of the test server just before `close()`. */
  socketsBeforeClose?: number
  /** Open sockets of the test server after `close()`, every 50 ms until 0 (at most 2 s). */
  socketsAfterClose?: number[]
  /** `Date.now()` when the script ends. */
  endedAt: number
}

const runtime = globalThis as { Deno?: { args: string[] }, process?: { argv: string[] } }
const args = runtime.Deno ? runtime.Deno.args : runtime.process!.argv.slice(2)
const plan = JSON.parse(args[0]!) as ProbePlan
const result: ProbeResult = { sessions: {}, endedAt: 0 }
const open: Session[] = []

const sockets = async (): Promise<number> => Number(await (await fetch(plan.sockets!)).text())

await Promise.all(plan.sessions.map(async (spec) => {
  const entry: ProbeResult['sessions'][string] = {}
  result.sessions[spec.label] = entry
  let session: Session
  try {
    session = createSession(spec.options)
    if (spec.mount) session.mount(spec.mount.prefix, spec.mount.options as MountOptions)
  }
  catch (error) {
    const { name, option, runtime, message } = error as Error & { option?: string, runtime?: string }
    entry.refused = { name, option, runtime, message }
    return
  }
  open.push(session)
  try {
    entry.data = await Promise.all(spec.requests.map(url => session(url)))
  }
  catch (error) {
    entry.error = { name: (error as Error).name, message: (error as Error).message }
  }
}))

if (plan.idle) await new Promise(resolve => setTimeout(resolve, plan.idle))
if (plan.sockets) result.socketsBeforeClose = await sockets()
await Promise.all(open.map(session => session.close()))
if (plan.sockets) {
  result.socketsAfterClose = []
  const until = Date.now() + 2000
  do {
    await new Promise(resolve => setTimeout(resolve, 50))
    result.socketsAfterClose.push(await sockets())
  } while (result.socketsAfterClose.at(-1) !== 0 && Date.now() < until)
}
result.endedAt = Date.now()
console.log(JSON.stringify(result))
