/**
 * Optional methods a transport's responses may have, which the core calls when present (the Node
 * transport's lean responses have both). Symbols in the global registry, so that a response from
 * another copy of the package is understood too.
 *
 * @module
 */

/**
 * `response[DISCARD]()`: drops a body nobody will read, like `response.body.cancel()` but without
 * building the stream first (~20 µs on Node 20). The redirect layer and the retry loop use it for
 * the bodies they drop.
 */
export const DISCARD: unique symbol = Symbol.for('fetch-session.discard') as never

/**
 * `response[PROBE]()`: the next read of `body` only asks whether there is one. ofetch reads
 * `response.body` once, for its truth, before it calls `text()` or `json()`; answering that
 * without building the stream saves one `ReadableStream` per call (~20 µs on Node 20). The
 * session arms it right before handing the response to ofetch; every later read (ofetch's own for
 * `responseType: 'stream'`, a hook's, the caller's) gets the stream.
 */
export const PROBE: unique symbol = Symbol.for('fetch-session.probe') as never

/**
 * Cancels a response body we will not read, without waiting and without an unhandled rejection
 * (the transport's `DISCARD` when it has one). Here, beside `DISCARD`, so that every layer and the
 * retry loop can use it without importing another layer.
 */
export function discard(response: Response): void {
  const fast = (response as unknown as Record<symbol, unknown>)[DISCARD]
  if (typeof fast === 'function') {
    fast.call(response)
    return
  }
  if (response.body && !response.bodyUsed) {
    response.body.cancel().catch(() => {})
  }
}
