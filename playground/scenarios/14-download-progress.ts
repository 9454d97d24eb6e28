/**
 * Downloading a large body with a progress bar (`onDownloadProgress`), politely (`limit`), with
 * token refresh on 401 (`auth.refresh`): the workflows the seed's scrapers and API clients write
 * by hand, done by the session.
 */
import { createSession } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Downloads with progress, polite limits, tokens that expire'

function bar(ratio: number): string {
  const width = 30
  const filled = Math.round(ratio * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`
}

export async function run({ server }: Context): Promise<void> {
  await using session = createSession({ baseURL: server.url })

  step('GET /download (4 MiB in 64 KiB chunks) with onDownloadProgress')
  const interactive = Boolean(process.stdout.isTTY)
  let lastQuarter = -1
  let events = 0
  const bytes = await session('/download?size=4194304&chunk=65536&interval=5', {
    responseType: 'arrayBuffer',
    onDownloadProgress: ({ loaded, total, ratio, done }) => {
      events++
      const value = ratio ?? 0
      if (interactive) {
        process.stdout.write(`\r    ${bar(value)} ${loaded} / ${total} bytes${done ? '\n' : ''}`)
        return
      }
      // Not a terminal (a log, a test): one line per quarter instead of redrawing the bar.
      const quarter = Math.floor(value * 4)
      if (quarter > lastQuarter) {
        lastQuarter = quarter
        console.log(`    ${bar(value)} ${loaded} / ${total} bytes`)
      }
    },
  })
  check(bytes.byteLength === 4194304, 'all 4 MiB')
  show('progress events', events)

  step('limit: { concurrency: 3, rps: 20 } over 12 calls')
  const limited = createSession({ baseURL: server.url, limit: { concurrency: 3, rps: 20 } })
  const started = performance.now()
  await Promise.all(Array.from({ length: 12 }, (_, index) => limited(`/delay/20?key=playground-polite&i=${index}`)))
  const stats = server.keyStats('playground-polite')
  show('most in flight at once (server)', stats.max)
  show('elapsed', `${Math.round(performance.now() - started)} ms (12 starts at most 20 per second)`)
  check(stats.max <= 3, 'at most 3 in flight')
  await limited.close()

  step('auth: { bearer, refresh }: the token expires, one refresh serves 5 concurrent 401s')
  let refreshes = 0
  const api = createSession({
    baseURL: `${server.url}/api`,
    auth: {
      bearer: 'expired-token',
      refresh: async () => {
        refreshes++
        const { token } = await session<{ token: string }>('/api/login', { method: 'POST', body: { username: 'alice', password: 'wonderland' } })
        return token
      },
    },
  })
  const users = await Promise.all([1, 2, 3, 4, 5].map(id => api<{ name: string }>(`/users/${id}`)))
  show('users', users.map(user => user.name))
  show('refreshes', refreshes)
  check(refreshes === 1, 'exactly one refresh')
  await api.close()
  note('concurrent 401s wait for one refresh; each request is sent again once with the new token')
}
