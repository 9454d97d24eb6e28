/**
 * Article: "3. Header Persistence".
 *
 *   session.headers.update({'User-Agent': ..., 'Accept': ..., 'Authorization': ...})
 *   session.get('/users'); session.get('/posts')   # both carry the headers
 */
import { createSession } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Header persistence: session.headers'

interface HeadersBody {
  headers: Record<string, string>
}

function pick(body: HeadersBody): Record<string, string | undefined> {
  return {
    'user-agent': body.headers['user-agent'],
    'accept': body.headers.accept,
    'authorization': body.headers.authorization,
  }
}

export async function run({ server }: Context): Promise<void> {
  const session = createSession({ baseURL: server.url })
  try {
    session.headers.set('User-Agent', 'My Web Scraper 1.0')
    session.headers.set('Accept', 'application/json')
    session.headers.set('Authorization', 'Bearer your-token-here')

    step('all requests include these headers')
    const first = await session<HeadersBody>('/headers', { query: { resource: 'users' } })
    show('request 1 /headers', pick(first))
    const second = await session<HeadersBody>('/headers', { query: { resource: 'posts' } })
    show('request 2 /headers', pick(second))
    check(second.headers['user-agent'] === 'My Web Scraper 1.0', 'the session User-Agent on every request')
    check(second.headers.authorization === 'Bearer your-token-here', 'the session Authorization on every request')

    step('session.headers is live; per-request headers override it')
    session.headers.delete('Authorization')
    const third = await session<HeadersBody>('/headers', { headers: { Accept: 'text/plain' } })
    show('request 3 /headers', pick(third))
    check(third.headers.authorization === undefined, 'no Authorization after delete')
    note('deleting from session.headers affects later requests; a request\'s own headers win for that request')
  }
  finally {
    await session.close()
  }
}
