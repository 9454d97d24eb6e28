/**
 * Article: "When to Use Each Approach". No requests: a printed summary.
 */
import { note, step } from '../util'
import type { Context } from '../util'

export const title = 'When to use each approach'

export async function run(_context: Context): Promise<void> {
  step('$fetch (stateless) when:')
  note('making a single, one-off request')
  note('requests are completely independent; no state between them')
  note('simple API calls or file downloads')
  step('createSession() when:')
  note('making multiple requests to the same host (pooled connections)')
  note('cookies or authentication must be kept (login, CSRF, bearer tokens)')
  note('headers, timeouts, retries or hooks should persist (session options, session.headers, mount())')
  note('building multi-step scraping workflows; close it with close() or `await using`')
}
