/**
 * Article: "1. Cookie Persistence".
 *
 *   requests.post('/login', data=...); requests.get('/protected')   # may fail: no auth cookie
 *   session.post('/login', data=...);  session.get('/protected')    # succeeds
 *
 * The local server's POST /api/login takes JSON and sets a `sid` cookie; /protected needs it.
 */
import { $fetch, createSession, HTTPError } from '../../src/index'
import { check, expectError, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Login, then a protected page (cookie persistence)'

const credentials = { username: 'user', password: 'pass' }

export async function run({ server }: Context): Promise<void> {
  step('regular requests: the login cookie is lost')
  const login = await $fetch.raw(`${server.url}/api/login`, { method: 'POST', body: credentials })
  show('$fetch POST /api/login', `${login.status}, set-cookie: ${login.headers.get('set-cookie')?.split(';')[0].replace(/=.*/, '=…')}`)
  const error = await expectError(() => $fetch(`${server.url}/protected`), 'GET /protected to fail without the cookie')
  check(error instanceof HTTPError, 'an HTTPError')
  show('$fetch GET /protected', `${error.name} ${error.status} ${JSON.stringify(error.data)}`)

  step('session: the login cookie is kept')
  const session = createSession({ baseURL: server.url })
  try {
    await session.post('/api/login', { body: credentials })
    const page = await session.get<{ user: string, secret: string }>('/protected')
    show('session GET /protected', page)
    check(page.user === 'user', 'the protected page for "user"')
  }
  finally {
    await session.close()
  }
}
