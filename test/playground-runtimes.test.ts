/**
 * `npm run play:node|deno|bun|workerd|browser`: the shared example (playground/runtimes/example.ts)
 * runs in each runtime, offline against the local test server, and prints the same story. Each
 * script runs as a child process of its own (asynchronously, in parallel). A runtime whose binary
 * is missing is skipped locally; on CI that is a failure.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireDependency } from './helpers/dependencies'
import type { DependencyName } from './helpers/dependencies'
import { root } from './runtimes/common'

const run = promisify(execFile)

type Runtime = 'node' | 'deno' | 'bun' | 'workerd' | 'browser'

/** The dependency each runtime's launcher needs (Node runs these tests). */
const DEPENDENCY: Record<Exclude<Runtime, 'node'>, DependencyName> = { deno: 'deno', bun: 'bun', workerd: 'workerd', browser: 'chromium' }

/** The lines every runtime prints, in order; only the browser's cookies differ. */
function expectedLines(runtime: Runtime): Array<string | RegExp> {
  const browser = runtime === 'browser'
  return [
    `runtime: ${runtime}`,
    browser
      ? 'cookies: GET /cookies/set/sessioncookie/123456789 -> (a redirect the browser followed) -> 200 /cookies {"sessioncookie":"123456789"}'
      : 'cookies: GET /cookies/set/sessioncookie/123456789 -> 302 -> 200 /cookies {"sessioncookie":"123456789"}',
    'cookies: GET /cookies -> {"sessioncookie":"123456789"} (sent back on a new request)',
    browser
      ? 'cookies: session.cookies is undefined: the browser keeps them (credentials: \'include\'); document.cookie = sessioncookie=123456789'
      : 'cookies: session.cookies (tough-cookie jar) holds sessioncookie=123456789',
    'headers: X-Playground set once -> sent fetch-session and fetch-session on the next two requests',
    'headers: after session.headers.delete -> not sent',
    'login: POST /api/login -> token tok-…',
    'login: GET /protected (the login cookie) -> {"user":"user","secret":"the protected page"}',
    'login: GET /api/users/1 (the Bearer header) -> {"id":1,"name":"user 1"}',
    'retry: GET /flaky/<key>?fail=1&retry_after=0 -> attempt 2 after 0 ms (previous: 503, Retry-After: 0) -> ok true in 2 attempts',
    /^deadline: GET \/delay\/2000 with timeout 200 -> TimeoutError \(total, 200 ms\) after \d+ ms$/,
    'close: session.closed = true; a request after close() -> SessionClosedError',
  ]
}

beforeAll(async () => {
  // Built once here, so the five launchers running in parallel never build dist/ at the same time.
  if (!existsSync(join(root, 'dist/index.js'))) await run('npm', ['run', 'build'], { cwd: root, timeout: 60_000 })
}, 60_000)

describe.concurrent('playground: the example in every runtime', () => {
  for (const runtime of ['node', 'deno', 'bun', 'workerd', 'browser'] as const) {
    it(`npm run play:${runtime}`, async (context) => {
      if (runtime !== 'node') requireDependency(DEPENDENCY[runtime], context)
      const { stdout } = await run('npm', ['run', '-s', `play:${runtime}`], { cwd: root, encoding: 'utf8', timeout: 45_000 })
        .catch((error: Error & { stdout?: string, stderr?: string }) => {
          throw new Error(`play:${runtime} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
        })
      const [heading, how, ...rest] = stdout.trimEnd().split('\n')
      const footer = rest.pop()
      expect(heading).toBe(`=== fetch-session playground: ${runtime} ===`)
      expect(how).toContain(`fetch-session is dist/adapters/${runtime}.js (the "${runtime}" export condition)`)
      const lines = rest.map(line => line.replace(/^ {2}/, ''))
      expect(lines).toEqual(expectedLines(runtime).map(line => typeof line === 'string' ? line : expect.stringMatching(line)))
      // The deadline rejected the call long before the 2 s response.
      const elapsed = Number(/after (\d+) ms$/.exec(lines.find(line => line.startsWith('deadline:'))!)![1])
      expect(elapsed).toBeGreaterThanOrEqual(190)
      expect(elapsed).toBeLessThan(1500)
      expect(footer).toMatch(new RegExp(`^--- ${runtime}: ok, 12 lines in \\d+ ms$`))
    }, 50_000)
  }
})
