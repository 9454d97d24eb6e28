/**
 * Article: "Custom Adapters".
 *
 *   retry_strategy = Retry(total=3, status_forcelist=[429, 500, 502, 503, 504],
 *                          method_whitelist=["HEAD", "GET", "OPTIONS"])
 *   adapter = HTTPAdapter(max_retries=retry_strategy)
 *   session.mount("http://", adapter); session.mount("https://", adapter)
 *   session.get('https://unreliable-api.example.com/data')
 *
 * The unreliable API is /flaky/:key?fail=n: it answers 503 n times per key, then 200 { attempts }.
 */
import { createSession, HTTPError } from '../../src/index'
import type { RetryContext, RetryOptions, Session } from '../../src/index'
import { check, expectError, note, show, step, uniqueKey } from '../util'
import type { Context } from '../util'

export const title = 'Custom adapters: retries with session.mount()'

const retryStrategy: RetryOptions = {
  limit: 3,
  statusCodes: [429, 500, 502, 503, 504],
  methods: ['HEAD', 'GET', 'OPTIONS'],
}

function logRetry(context: RetryContext): void {
  const status = context.response ? ` ${context.response.status}` : ''
  show(`  onRetry -> attempt ${context.attempt}`, `after ${context.delay} ms (previous: ${context.error.name}${status})`)
}

function createSessionWithRetries(baseURL: string): Session {
  const session = createSession({ baseURL, retry: retryStrategy, onRetry: logRetry })
  session.mount('http://', { retry: retryStrategy })
  session.mount('https://', { retry: retryStrategy })
  return session
}

export async function run({ server }: Context): Promise<void> {
  const session = createSessionWithRetries(server.url)
  try {
    step('GET /flaky/<key>?fail=2: two 503s, then 200')
    const key = uniqueKey('adapter')
    const data = await session<{ ok: boolean, attempts: number }>(`/flaky/${key}?fail=2&retry_after=0`)
    show('response', { ok: data.ok, attempts: data.attempts })
    show('server hits for the key', server.hits(key))
    check(data.attempts === 3, '3 attempts (2 retries)')

    step('the longest mount prefix wins: a stricter policy for /flaky/')
    session.mount(`${server.url}/flaky/`, { retry: { limit: 1 } })
    const strictKey = uniqueKey('strict')
    const error = await expectError(() => session(`/flaky/${strictKey}?fail=2&retry_after=0`), 'the strict mount to give up')
    check(error instanceof HTTPError, 'an HTTPError')
    show('response', `${error.name} ${error.status} after ${server.hits(strictKey)} attempts`)

    step('POST is not in methods, so it is not retried')
    const postKey = uniqueKey('post')
    const postError = await expectError(() => session.post(`/flaky/${postKey}?fail=1&retry_after=0`), 'POST to fail')
    show('POST /flaky/<key>?fail=1', `${postError instanceof HTTPError ? postError.status : String(postError)} after ${server.hits(postKey)} attempt(s)`)
    note('Retry-After: 0 from the server sets each delay; without it, exponential backoff with jitter')
  }
  finally {
    await session.close()
  }
}
