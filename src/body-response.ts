/**
 * A response whose body is another stream (watched, decoded, or holding a limiter's slot), with
 * everything else the original's: status, statusText, headers, url, redirected, type.
 *
 * `new Response(body, { status })` cannot stand in for it: it refuses a status outside 200–599
 * (a server may send 600 or 999, RFC 9110 §15 allows any three digits) and it loses `url` and
 * `redirected` (issue 12 item 14). So it is a `Response` subclass: `instanceof Response` holds,
 * `text()`, `json()`, `arrayBuffer()`, `blob()`, `formData()`, `bytes()` and `body` are the
 * platform's, over the new stream (the platform's own `Content-Type` is the original's, for
 * `blob()` and `formData()`), and the rest reads from the original (`timings` too, which the
 * transport's response may compute when read).
 */
import type { Timings } from './fetch-error'

let BodyResponse: (new (body: ReadableStream<Uint8Array>, original: Response) => Response) | undefined

function createClass(): new (body: ReadableStream<Uint8Array>, original: Response) => Response {
  return class BodyResponse extends Response {
    readonly #original: Response

    constructor(body: ReadableStream<Uint8Array>, original: Response) {
      const type = original.headers.get('content-type')
      super(body, type === null ? undefined : { headers: { 'content-type': type } })
      this.#original = original
    }

    /** The original, once set: undici's `Response` constructor reads `status` before it is. */
    static #of(response: BodyResponse): Response | undefined {
      return #original in response ? response.#original : undefined
    }

    override get status(): number {
      return BodyResponse.#of(this)?.status ?? super.status
    }

    override get statusText(): string {
      return BodyResponse.#of(this)?.statusText ?? super.statusText
    }

    override get ok(): boolean {
      const status = this.status
      return status >= 200 && status <= 299
    }

    override get headers(): Headers {
      return BodyResponse.#of(this)?.headers ?? super.headers
    }

    override get url(): string {
      return BodyResponse.#of(this)?.url ?? super.url
    }

    override get redirected(): boolean {
      return BodyResponse.#of(this)?.redirected ?? super.redirected
    }

    override get type(): ResponseType {
      return BodyResponse.#of(this)?.type ?? super.type
    }

    /** The original's (see `Timings`): a getter of the transport's response, or its own property. */
    get timings(): Timings | undefined {
      return (BodyResponse.#of(this) as { timings?: Timings } | undefined)?.timings
    }

    /** A copy over the other branch of the body (`ReadableStream.tee()`), with the same status and headers. */
    override clone(): Response {
      const copy = super.clone()
      const clone = new BodyResponse(copy.body!, this.#original)
      for (const key of ['url', 'redirected'] as const) {
        const own = Object.getOwnPropertyDescriptor(this, key)
        if (own) Object.defineProperty(clone, key, own)
      }
      return clone
    }
  }
}

/** `response` with `body` as its body (see the module's comment); `response`'s own body is left to the caller. */
export function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  BodyResponse ??= createClass()
  const wrapped = new BodyResponse(body, response)
  // What a layer put on the response itself (the redirect layer's `redirected`, a fragment on `url`).
  for (const key of ['url', 'redirected', 'history', 'cacheStatus'] as const) {
    const own = Object.getOwnPropertyDescriptor(response, key)
    if (own) Object.defineProperty(wrapped, key, own)
  }
  return wrapped
}
