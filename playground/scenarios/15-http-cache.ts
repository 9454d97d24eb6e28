/**
 * The HTTP cache (`cache: true`): what requests-cache gives a Python session, on every runtime.
 * A fresh hit sends nothing; a stale response with an ETag is revalidated (a 304, and the caller
 * gets the stored body as a 200); `cache: 'only-if-cached'` is the offline mode.
 */
import { createSession, HTTPError } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'An HTTP cache: fresh hits, 304 revalidation, offline mode'

export async function run({ server }: Context): Promise<void> {
  await using session = createSession({ baseURL: server.url, cache: true })
  const stats = async (name: string): Promise<{ requests: number, served: number, notModified: number }> => session(`/cache/${name}/stats`, { cache: 'no-store' })

  step('GET /cache/catalog twice (Cache-Control: max-age=60)')
  const first = await session.raw('/cache/catalog?cc=max-age=60')
  const second = await session.raw('/cache/catalog?cc=max-age=60')
  show('cacheStatus', `${first.cacheStatus}, then ${second.cacheStatus} (Age: ${second.headers.get('age')})`)
  show('requests the server saw', (await stats('catalog')).requests)
  check(second.cacheStatus === 'hit' && (await stats('catalog')).requests === 1, 'the second answer came from the cache')

  step('GET /cache/profile twice (Cache-Control: no-cache, an ETag): revalidated with If-None-Match')
  await session('/cache/profile?cc=no-cache&etag=1')
  const revalidated = await session.raw('/cache/profile?cc=no-cache&etag=1')
  const profile = await stats('profile')
  show('cacheStatus', `${revalidated.cacheStatus}, status ${revalidated.status}`)
  show('server', `${profile.served} body sent, ${profile.notModified} 304`)
  check(revalidated.cacheStatus === 'revalidated' && revalidated.status === 200 && profile.notModified === 1, 'a 304 on the wire, a 200 with the stored body for the caller')

  step('offline: cache: \'only-if-cached\'')
  const offline = await session.raw('/cache/catalog?cc=max-age=60', { cache: 'only-if-cached' })
  show('stored URL', `${offline.status} (${offline.cacheStatus})`)
  try {
    await session('/cache/never-fetched', { cache: 'only-if-cached' })
    check(false, 'a URL not in the cache rejects')
  }
  catch (error) {
    check(error instanceof HTTPError && error.status === 504, 'a URL not in the cache is a 504, and nothing is sent')
    show('error', (error as Error).message)
  }
  check((await stats('never-fetched')).requests === 0, 'the server never saw /cache/never-fetched')
  note('Share it across a fleet: cache: { store: createUnstorageCacheStore(redisStorage), shared: true }.')
}
