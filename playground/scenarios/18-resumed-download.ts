/**
 * Download resume: a 20 MiB file whose connection breaks at 60% goes on from there with `Range`
 * + `If-Range` (the server sees it), its SHA-256 whole; then a file that changed in between,
 * which is fetched again from zero, never spliced.
 */
import { createHash } from 'node:crypto'
import { createSession } from '../../src/index'
import { check, show, step } from '../util'
import type { Context } from '../util'

export const title = 'A broken download resumed with Range, never spliced'

const SIZE = 20 * 1024 * 1024

async function requests(server: Context['server'], name: string): Promise<string[]> {
  const response = await fetch(`${server.url}/resumable/${name}/stats`)
  const { requests: seen } = await response.json() as { requests: Array<{ range: string | null, status: number }> }
  return seen.map(request => `${request.status}${request.range ? ` for ${request.range}` : ''}`)
}

export async function run({ server }: Context): Promise<void> {
  await using session = createSession({ baseURL: server.url, retry: { limit: 2, delay: 0 } })

  step('GET 20 MiB from /resumable (strong ETag, Accept-Ranges: bytes); the connection breaks at 60%')
  const name = `playground-iso-${Date.now()}`
  let loaded = 0
  const body = await session<ArrayBuffer>(`/resumable/${name}?size=${SIZE}&etag=1`, {
    responseType: 'arrayBuffer',
    onDownloadProgress: (progress) => {
      loaded = progress.loaded
    },
  })
  show('what the server answered', await requests(server, name))
  show('bytes', body.byteLength)
  show('progress counted', loaded)
  const digest = createHash('sha256').update(new Uint8Array(body)).digest('hex')
  show('SHA-256', digest)
  check(body.byteLength === SIZE && loaded === SIZE, 'the whole file, counted once')
  check((await requests(server, name))[1] === `206 for bytes=${0.6 * SIZE}-`, 'resumed where it broke')

  step('the same, but the file changes while the connection is down (a new ETag)')
  const changed = `playground-changed-${Date.now()}`
  const fresh = await session<ArrayBuffer>(`/resumable/${changed}?size=${SIZE}&etag=1&change=1`, { responseType: 'arrayBuffer' })
  show('what the server answered', await requests(server, changed))
  check(fresh.byteLength === SIZE, 'the whole new file')
  check((await requests(server, changed)).join() === `200,200 for bytes=${0.6 * SIZE}-,200`, 'If-Range did not match: fetched again from zero, nothing spliced')
}
