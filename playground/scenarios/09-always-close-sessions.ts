/**
 * Article: "Best Practices 1. Always Close Sessions".
 *
 *   session = requests.Session()
 *   try: session.get(...) finally: session.close()          # Method 1: explicit closing
 *   with requests.Session() as session: session.get(...)     # Method 2: context manager
 *
 * `await using` (TypeScript 5.2+, explicit resource management) is the `with` counterpart.
 */
import { createSession, SessionClosedError } from '../../src/index'
import type { Session } from '../../src/index'
import { check, expectError, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Always close sessions: try/finally and await using'

export async function run({ server }: Context): Promise<void> {
  step('Method 1: explicit closing in try/finally')
  const session = createSession({ baseURL: server.url })
  try {
    const response = await session.raw('/get')
    show('GET /get', response.status)
  }
  finally {
    await session.close()
  }
  show('session.closed', session.closed)
  const error = await expectError(() => session('/get'), 'a request after close() to reject')
  check(error instanceof SessionClosedError, 'SessionClosedError')
  show('request after close()', error.name)
  show('  message', error.message)

  step('Method 2: await using (like `with requests.Session() as session`)')
  let escaped: Session | undefined
  {
    await using scoped = createSession({ baseURL: server.url })
    escaped = scoped
    const response = await scoped.raw('/get')
    show('GET /get inside the block', response.status)
    show('closed inside the block', scoped.closed)
  }
  show('closed after the block', escaped.closed)
  check(escaped.closed, 'the session to be closed when the block exits')
  note('close() flushes a persistent cookie store and releases the session\'s pooled connections')
}
