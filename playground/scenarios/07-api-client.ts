/**
 * Article: "Authentication with Sessions" (the APIClient class).
 *
 *   client = APIClient('https://api.example.com')
 *   client.login('username', 'password')     # POST /auth/login, then Authorization: Bearer <token>
 *   user_data = client.get_user_data(123)
 *   client.close()
 *
 * Here: POST /api/login (JSON) → { token }; GET /api/users/:id needs the bearer token.
 */
import { createSession, HTTPError } from '../../src/index'
import type { Session } from '../../src/index'
import { check, expectError, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Authentication: an APIClient with a bearer token'

interface User {
  id: number
  name: string
}

class APIClient {
  readonly session: Session

  constructor(readonly baseURL: string) {
    this.session = createSession({ baseURL })
  }

  async login(username: string, password: string): Promise<void> {
    // A failed login rejects with HTTPError (requests needs the `status_code == 200` check).
    const { token } = await this.session.post<{ token: string }>('/api/login', { body: { username, password } })
    this.session.headers.set('Authorization', `Bearer ${token}`)
  }

  getUserData(userId: number): Promise<User> {
    return this.session.get<User>(`/api/users/${userId}`)
  }

  close(): Promise<void> {
    return this.session.close()
  }
}

export async function run({ server }: Context): Promise<void> {
  const client = new APIClient(server.url)
  try {
    step('before login')
    const before = await expectError(() => client.getUserData(123), 'a 401 before login')
    check(before instanceof HTTPError && before.status === 401, 'HTTPError 401')
    show('getUserData(123)', `${before.name} ${before.status} ${JSON.stringify(before.data)}`)

    step('a wrong password')
    const wrong = await expectError(() => client.login('alice', 'nope'), 'a failed login')
    check(wrong instanceof HTTPError, 'an HTTPError')
    show('login(\'alice\', \'nope\')', `${wrong.name} ${wrong.status} ${JSON.stringify(wrong.data)}`)

    step('login, then the token is on every request')
    await client.login('alice', 'wonderland')
    show('Authorization', `${client.session.headers.get('authorization')?.slice(0, 18)}…`)
    const userData = await client.getUserData(123)
    show('getUserData(123)', userData)
    check(userData.id === 123, 'user 123')
  }
  finally {
    await client.close()
  }
  show('client.session.closed', client.session.closed)
}
