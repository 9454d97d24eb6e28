/**
 * Article: "Best Practices 2. Set Appropriate Timeouts".
 *
 *   session.timeout = (3.05, 27)   # (connect timeout, read timeout)
 *
 * fetch has no separate connect timeout; the counterparts are a deadline per attempt (retried
 * when it passes) and a deadline for the whole call (retries, redirects and body read included).
 */
import { createSession, TimeoutError } from '../../src/index'
import { check, expectError, ms, note, show, step, uniqueKey } from '../util'
import type { Context } from '../util'

export const title = 'Timeouts: per attempt and for the whole call'

export async function run({ server }: Context): Promise<void> {
  const session = createSession({
    baseURL: server.url,
    timeout: { attempt: 300, total: 2000 },
    onRetry: context => show(`  onRetry -> attempt ${context.attempt}`, `after ${context.delay.toFixed(0)} ms (previous: ${context.error.name})`),
  })
  try {
    step('timeout: { attempt: 300, total: 2000 }; the first attempt hangs')
    const key = uniqueKey('hang')
    const start = performance.now()
    const data = await session<{ ok: boolean, attempts: number }>(`/flaky/${key}?fail=1&mode=hang`)
    show('GET /flaky/<key>?fail=1&mode=hang', `${JSON.stringify({ ok: data.ok, attempts: data.attempts })} in ${ms(performance.now() - start)}`)
    check(data.attempts === 2, 'the second attempt to succeed')

    step('a total deadline: GET /delay/5000 with { timeout: 200 }')
    const begin = performance.now()
    const error = await expectError(() => session('/delay/5000', { timeout: 200 }), 'a TimeoutError')
    check(error instanceof TimeoutError, 'a TimeoutError')
    show('error.name', error.name)
    show('error.phase', error.phase)
    show('error.message', error.message)
    show('rejected after', ms(performance.now() - begin))
    check(error.phase === 'total', 'the total deadline')
    note('a number is the deadline of the whole call; { attempt, total } sets both')
  }
  finally {
    await session.close()
  }
}
