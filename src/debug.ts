/**
 * The debug log (issue 16 item 4): `createSession({ debug: true })` (lines to `console.error`),
 * `debug: line => …` (your logger), or `DEBUG=fetch-session` in the environment (as the `debug`
 * package reads it: comma- or space-separated names, `*` wildcards, `-name` to leave one out).
 * One line per request and redirect hop (with the cache's decision and the time it took), per
 * retry and per token refresh; URLs and error messages redacted, headers never printed.
 *
 *   fetch-session GET http://127.0.0.1:8080/redirect/1 → 302 (4 ms)
 *   fetch-session GET http://127.0.0.1:8080/get (hop 1) → 200 (2 ms)
 *   fetch-session GET http://127.0.0.1:8080/cache/a → 200 cache hit (0 ms)
 *   fetch-session retry 1 of 2: GET http://127.0.0.1:8080/status/503 in 300 ms (HTTPError 503)
 *   fetch-session refresh: GET http://127.0.0.1:8080/api/users/1 got 401, refreshing the token
 *
 * @module
 */
import { invalidOption } from './errors'
import { inputURL } from './http'
import type { LayerSpec, Middleware, ReadContext } from './layer'
import { callStateOf, layerStateOf } from './layer'
import { own } from './own'
import { redactText, redactURL } from './secrets'
import type { DebugOption } from './types'

/** A debug logger: given each line. */
export type DebugLog = (line: string) => void

const PREFIX = 'fetch-session'

/** True when `DEBUG` names fetch-session (`fetch-session`, `fetch-session*`, `*`, not `-fetch-session`). */
export function debugFromEnvironment(value: string | undefined): boolean {
  if (!value) return false
  let on = false
  for (const name of value.split(/[\s,]+/)) {
    if (!name) continue
    const excluded = name.startsWith('-')
    const pattern = new RegExp(`^${(excluded ? name.slice(1) : name).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    if (pattern.test(PREFIX)) on = !excluded
  }
  return on
}

/** `DEBUG` of the environment, where the runtime lets it be read (Deno without --allow-env does not). */
function environmentDebug(): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DEBUG
  }
  catch {
    return undefined
  }
}

function readDebug(source: object, context: ReadContext): DebugLog | undefined {
  const option = own<DebugOption>(source, 'debug')
  if (option !== undefined && context.level !== 'session') throw invalidOption('debug', '`debug` is a session option (createSession({ debug }))')
  if (option === false) return undefined
  if (option === undefined) return context.level === 'session' && debugFromEnvironment(environmentDebug()) ? consoleLog : undefined
  if (option === true) return consoleLog
  if (typeof option !== 'function') throw invalidOption('debug', '`debug` must be true, false or a function given each line')
  return line => option(line)
}

function consoleLog(line: string): void {
  console.error(line)
}

/** The debug layer's spec: under the redirects, a line per hop; its call state is the logger (for retries and refreshes). */
export const debugLayer: LayerSpec<DebugLog, DebugLog> = {
  name: 'debug',
  keys: ['debug'],
  read: readDebug,
  prepare: log => log,
  create: ({ options }) => (options.debug ? withDebug(options.debug as DebugLog) : undefined),
}

/** The logger of the call of `init`, if the session logs. */
export function debugLogOf(init: RequestInit | undefined): DebugLog | undefined {
  return layerStateOf<DebugLog>(init, 'debug')
}

/** A line per request (and hop): method, URL, the answer or the error, the cache's decision, the time. */
export function withDebug(log: DebugLog): Middleware {
  return next => async (input, init) => {
    const started = performance.now()
    const hop = callStateOf(init)?.history.length ?? 0
    const what = `${PREFIX} ${(init?.method ?? 'GET').toUpperCase()} ${redactURL(inputURL(input))}${hop > 0 ? ` (hop ${hop})` : ''}`
    const took = (): string => `(${Math.round(performance.now() - started)} ms)`
    let response: Response
    try {
      response = await next(input, init)
    }
    catch (error) {
      log(`${what} failed: ${describe(error)} ${took()}`)
      throw error
    }
    const cache = (response as { cacheStatus?: string }).cacheStatus
    log(`${what} → ${response.status}${cache ? ` cache ${cache}` : ''} ${took()}`)
    return response
  }
}

/** An error in a line: its name, code or status, and its message, redacted. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return redactText(String(error))
  const { code, status } = error as { code?: unknown, status?: unknown }
  const detail = typeof status === 'number' ? ` ${status}` : typeof code === 'string' ? ` ${code}` : ''
  return `${error.name}${detail}: ${redactText(error.message)}`
}

/** The line of a retry. */
export function logRetry(log: DebugLog, retry: number, limit: number, method: string, url: string, delay: number, error: unknown): void {
  log(`${PREFIX} retry ${retry} of ${limit}: ${method} ${redactURL(url)} in ${Math.round(delay)} ms (${describe(error).split(':')[0]})`)
}

/** The line of a token refresh. */
export function logRefresh(log: DebugLog, method: string, url: string, status: number): void {
  log(`${PREFIX} refresh: ${method} ${redactURL(url)} got ${status}, refreshing the token`)
}
