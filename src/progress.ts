import { withBody } from './body-response'
import type { LayerSpec, Middleware } from './layer'
import { callStateOf } from './layer'
import { BodyTooLargeError, invalidOption } from './errors'
import { discard } from './response-hooks'
import type { DownloadProgress, RequestOptions } from './types'
import { bare, own } from './own'
import { NULL_BODY_STATUSES } from './http'

/** Statuses a `Response` cannot be built with a body for. */

/** The body watch's options: also its call state, and the transport's hints (`maxBodySize`). */
export interface BodyWatchOptions {
  onDownloadProgress: RequestOptions['onDownloadProgress']
  maxBodySize: number | undefined
}

function readBodyWatch(source: object): BodyWatchOptions | undefined {
  const onDownloadProgress = own<BodyWatchOptions['onDownloadProgress']>(source, 'onDownloadProgress')
  if (onDownloadProgress !== undefined && typeof onDownloadProgress !== 'function') throw invalidOption('onDownloadProgress', '`onDownloadProgress` must be a function')
  const maxBodySize = checkSize(own(source, 'maxBodySize'))
  if (onDownloadProgress === undefined && maxBodySize === undefined) return undefined
  return { onDownloadProgress, maxBodySize }
}

function checkSize(value: unknown): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidOption('maxBodySize', `\`maxBodySize\` must be a whole number of bytes >= 0, got ${String(value)}`)
  return value
}

/** The body watch's spec: each key, the later level wins; the call state is the merged options themselves. */
export const bodyWatchLayer: LayerSpec<BodyWatchOptions, BodyWatchOptions> = {
  name: 'bodyWatch',
  keys: ['onDownloadProgress', 'maxBodySize'],
  read: readBodyWatch,
  merge: (base, over) => base
    ? { onDownloadProgress: over.onDownloadProgress ?? base.onDownloadProgress, maxBodySize: over.maxBodySize ?? base.maxBodySize }
    : over,
  prepare: options => options,
  create: () => withBodyWatch(),
}

/**
 * Watches the final response's body (after every redirect) as the caller's reader pulls it:
 * `onDownloadProgress` hears of each chunk and of the end; `maxBodySize` errors the body with
 * `BodyTooLargeError` as soon as the decoded bytes pass the limit (so a decompression bomb stops
 * there), or before reading when an unencoded `Content-Length` already says too much. Only calls
 * that ask for either pay for the extra stream.
 */
export function withBodyWatch(): Middleware {
  // Not async: one promise per request where nothing is watched.
  return next => (input, init) => next(input, init).then(response => watched(response, init))
}

/** The response of one attempt, its body counted and bounded when the call asks. */
function watched(response: Response, init: RequestInit | undefined): Response {
  const state = callStateOf(init)
  // The attempt has its answer: a connection that breaks from now on was not a stale one.
  if (state) state.responded = true
  const options = state?.layers.bodyWatch as BodyWatchOptions | undefined
  const listener = options?.onDownloadProgress
  const limit = options?.maxBodySize
  if ((!listener && limit === undefined) || !response.body || NULL_BODY_STATUSES.has(response.status)) return response
  // Content-Length counts encoded bytes; the body is read decoded, so only an unencoded length is a total.
  const length = response.headers.get('content-encoding') ? null : response.headers.get('content-length')
  const total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined
  const tooLarge = (): BodyTooLargeError => new BodyTooLargeError(limit!, { request: response.url, method: state?.method })
  if (limit !== undefined && total !== undefined && total > limit) {
    discard(response)
    throw tooLarge()
  }
  const report = (loaded: number, done: boolean): void => {
    if (!listener) return
    const progress: DownloadProgress = { loaded, total, ratio: total ? Math.min(1, loaded / total) : total === 0 ? 1 : undefined, done }
    listener(progress)
  }
  const reader = response.body.getReader()
  let loaded = 0
  const body = new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      const chunk = await reader.read()
      if (chunk.done) {
        report(loaded, true)
        controller.close()
        return
      }
      loaded += chunk.value.byteLength
      if (limit !== undefined && loaded > limit) {
        reader.cancel().catch(() => {})
        const error = tooLarge()
        if (state) state.bodyError = error
        controller.error(error)
        return
      }
      report(loaded, false)
      controller.enqueue(chunk.value)
    },
    cancel: reason => reader.cancel(reason),
  }))
  // Not `new Response(body, { status })`: it refuses statuses outside 200–599 (issue 12 item 14).
  return withBody(response, body)
}
