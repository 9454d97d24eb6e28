/**
 * Upload progress (`onUploadProgress`): 5 MiB of FormData to a server that reads slowly, its
 * progress as the platform takes the body, its `Content-Length` computed from the multipart
 * form; then a retry, whose count starts again from 0.
 */
import { createSession } from '../../src/index'
import { check, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Upload progress, every body kind, restarted on a retry'

export async function run({ server }: Context): Promise<void> {
  await using session = createSession({ baseURL: server.url, retry: { limit: 1, delay: 0 } })

  step('POST 5 MiB of FormData to /slow-upload (the server pauses 2 ms per chunk it reads)')
  const form = new FormData()
  form.append('video', new Blob([new Uint8Array(5 * 1024 * 1024)], { type: 'video/mp4' }), 'clip.mp4')
  form.append('title', 'holiday')
  let lastQuarter = -1
  let events = 0
  let last: { loaded: number, total: number | undefined, done: boolean } | undefined
  const answer = await session.post<{ received: number, contentLength: string | null }>('/slow-upload?pause=2', {
    body: form,
    onUploadProgress: (progress) => {
      events++
      last = progress
      const quarter = Math.floor((progress.ratio ?? 0) * 4)
      if (quarter > lastQuarter || progress.done) {
        lastQuarter = quarter
        console.log(`    ${progress.done ? 'done' : 'sent'} ${progress.loaded} / ${progress.total} bytes`)
      }
    },
  })
  show('events', events)
  show('Content-Length the server got', answer.contentLength)
  check(last?.done === true && last.loaded === answer.received, 'the last event is done, with what the server received')
  check(Number(answer.contentLength) === answer.received, 'the multipart body went with its Content-Length')

  step('PUT to /flaky (one 503, then 200): the retry sends the body again, its count from 0')
  const attempts: number[] = []
  await session.put(`/flaky/playground-upload-${Date.now()}?fail=1&status=503`, {
    body: new Uint8Array(256 * 1024),
    onUploadProgress: ({ loaded, attempt }) => {
      if (loaded === 0) attempts.push(attempt)
    },
  })
  show('sends that started at 0', attempts)
  check(attempts.join() === '1,2', 'two sends, each counted from 0')
}
