/**
 * Article: "2. Connection Pooling" (10 x /delay/1, regular vs session) and
 * "Performance Comparison" (20 x /get with a `timer()` context manager).
 *
 * requests.get() opens a new connection per call; a Session reuses pooled ones. The regular side
 * is reproduced with `$fetch` and `connection: close` (the server closes the socket after each
 * answer), the session side with one session. /delay and /get report the server's id of the
 * socket each request arrived on.
 */
import { $fetch, createSession } from '../../src/index'
import type { Session } from '../../src/index'
import { check, ms, note, show, step, timer } from '../util'
import type { Context } from '../util'

export const title = 'Connection pooling and the performance comparison'

interface WithConnection {
  connection: number
}

/**
 * One "regular" request: a new connection each time, like `requests.get()`. Node's fetch accepts
 * `connection: close`; should a runtime refuse that header, fall back to a throwaway session.
 */
async function regularGet(url: string): Promise<WithConnection> {
  try {
    return await $fetch<WithConnection>(url, { headers: { connection: 'close' } })
  }
  catch (error) {
    if (!String((error as Error).message).toLowerCase().includes('connection')) throw error
    const throwaway = createSession()
    try {
      return await throwaway<WithConnection>(url)
    }
    finally {
      await throwaway.close()
    }
  }
}

async function runTimes(count: number, get: () => Promise<WithConnection>): Promise<{ elapsed: number, connections: number }> {
  const ids = new Set<number>()
  const start = performance.now()
  for (let i = 0; i < count; i++) ids.add((await get()).connection)
  return { elapsed: performance.now() - start, connections: ids.size }
}

export async function run({ server }: Context): Promise<void> {
  const session: Session = createSession({ baseURL: server.url })
  try {
    step('10 x /delay/100: regular requests vs one session')
    const regular = await runTimes(10, () => regularGet(`${server.url}/delay/100`))
    show('Regular requests', `${ms(regular.elapsed)}, ${regular.connections} distinct connections`)
    const pooled = await runTimes(10, () => session<WithConnection>('/delay/100'))
    show('Session requests', `${ms(pooled.elapsed)}, ${pooled.connections} distinct connections`)
    check(regular.connections === 10, '10 connections for 10 regular requests')
    check(pooled.connections < 10, 'the session to reuse connections')
    note('each request waits 100 ms on the server, so the saving is the TCP handshakes, not the delay')

    step('Performance comparison: 20 x /get')
    const urls = Array.from({ length: 20 }, () => `${server.url}/get`)
    const a = await timer('Regular requests', async () => {
      const ids = new Set<number>()
      for (const url of urls) ids.add((await regularGet(url)).connection)
      return ids.size
    })
    show('  distinct connections', a.result)
    const b = await timer('Session requests', async () => {
      const ids = new Set<number>()
      for (const url of urls) ids.add((await session<WithConnection>(url)).connection)
      return ids.size
    })
    show('  distinct connections', b.result)
    show('Session / regular', `${(b.elapsed / a.elapsed * 100).toFixed(0)}% of the time`)
    note('on loopback a handshake costs little; over the Internet (TLS) the gap is far wider')

    step('and a plain $fetch, without connection: close?')
    const shared = await runTimes(10, () => $fetch<WithConnection>(`${server.url}/get`))
    show('10 x $fetch /get', `${ms(shared.elapsed)}, ${shared.connections} distinct connections`)
    note('unlike requests.get(), a plain $fetch already reuses the platform\'s shared pool (undici on Node);')
    note('what a session adds is state (cookies, headers, options) and, with a runtime adapter, its own pool')
  }
  finally {
    await session.close() // Clean up
  }
}
