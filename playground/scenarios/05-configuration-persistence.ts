/**
 * Article: "4. Configuration Persistence".
 *
 *   session.timeout = 30
 *   session.proxies = {'http': 'http://proxy.example.com:8080'}
 *   session.verify = False
 *
 * Timeouts are session options here (`createSession({ timeout })`) and persist across requests.
 * `proxy` and `tls` are transport options: the runtime adapters map them (Node: undici), and the
 * generic adapter behind `src/index.ts` refuses them at createSession() with a clear error.
 */
import { createSession, TimeoutError, UnsupportedOptionError } from '../../src/index'
import { check, describeError, expectError, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Configuration persistence: timeout, proxy, TLS verification'

export async function run({ server }: Context): Promise<void> {
  step('createSession({ timeout: 200 }): every request inherits the deadline')
  const session = createSession({ baseURL: server.url, timeout: 200 })
  try {
    const quick = await session<{ delayed: number }>('/delay/10')
    show('GET /delay/10', quick)
    const error = await expectError(() => session('/delay/1000'), '/delay/1000 to time out')
    check(error instanceof TimeoutError, 'a TimeoutError')
    show('GET /delay/1000', `${error.name} (phase ${error.phase}, ${error.timeout} ms)`)
    const longer = await session<{ delayed: number }>('/delay/400', { timeout: 1000 })
    show('GET /delay/400 { timeout: 1000 }', longer)
    note('a request may override the session default (like requests\' per-call timeout=)')
  }
  finally {
    await session.close()
  }

  step('proxies and verify=False: transport options')
  note('session.proxies -> createSession({ proxy: \'http://proxy:8080\' })')
  note('session.verify = False -> createSession({ tls: { rejectUnauthorized: false } })')
  note('runtime adapters (Node: undici, Deno, Bun) map them; the generic adapter refuses them:')
  for (const [label, options] of [
    ['createSession({ proxy })', { proxy: 'http://127.0.0.1:9' }],
    ['createSession({ tls })', { tls: { rejectUnauthorized: false } }],
  ] as const) {
    let refused: unknown
    try {
      const unexpected = createSession(options)
      await unexpected.close()
    }
    catch (error) {
      refused = error
    }
    check(refused instanceof UnsupportedOptionError, `${label} to throw UnsupportedOptionError`)
    show(label, `${refused.name} (option: ${refused.option})`)
    if (label.includes('proxy')) show('  message', describeError(refused).replace(/^UnsupportedOptionError: /, ''))
  }
}
