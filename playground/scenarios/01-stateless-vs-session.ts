/**
 * Article: "Basic Regular Request Example" and "Basic Session Example".
 *
 *   requests.get('/cookies/set/sessioncookie/123456789'); requests.get('/cookies')   # no cookie
 *   session.get('/cookies/set/sessioncookie/123456789');  session.get('/cookies')    # the cookie
 */
import { $fetch, createSession } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Stateless $fetch vs a session: cookies'

interface CookiesBody {
  cookies: Record<string, string>
}

export async function run({ server }: Context): Promise<void> {
  step('regular requests: $fetch keeps no state')
  const setStateless = await $fetch<CookiesBody>(`${server.url}/cookies/set/sessioncookie/123456789`)
  show('$fetch /cookies/set/... (302)', setStateless)
  const stateless = await $fetch<CookiesBody>(`${server.url}/cookies`)
  show('$fetch /cookies', stateless)
  check(!('sessioncookie' in stateless.cookies), 'no cookie on a stateless request')
  note('the Set-Cookie of the first response was dropped: no cookie was sent back')

  step('session: createSession() keeps a cookie jar')
  const session = createSession({ baseURL: server.url })
  try {
    const set = await session<CookiesBody>('/cookies/set/sessioncookie/123456789')
    show('session /cookies/set/... (302)', set)
    const kept = await session<CookiesBody>('/cookies')
    show('session /cookies', kept)
    check(kept.cookies.sessioncookie === '123456789', 'the session to send sessioncookie back')
    show('session.cookies (the jar)', await session.cookies!.getCookieString(server.url))
  }
  finally {
    await session.close()
  }
}
