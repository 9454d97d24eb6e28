/**
 * The core suites (test/core, written against the generic adapter and the platform's fetch), run
 * once more with `src/index` swapped for the Node adapter: every session and `$fetch` call then
 * goes through the dispatch transport and its lean Response, which must behave the same.
 */
import { describe, expect, it, vi } from 'vitest'
import * as lib from '../../src/index'

vi.mock('../../src/index', async () => await import('../../src/adapters/node'))

describe('the swap', () => {
  it('src/index is the Node adapter here (it takes pool options the generic adapter refuses)', async () => {
    const session = lib.createSession({ pool: { connections: 1 } })
    await session.close()
    expect(session.closed).toBe(true)
  })
})

await import('../core/cookies.test')
await import('../core/errors-hooks.test')
await import('../core/options.test')
await import('../core/redirect.test')
await import('../core/retry.test')
await import('../core/session.test')
await import('../core/timeout.test')
