/**
 * The headers of a lean response: read-only, built once from undici's raw header pairs. It has
 * the whole reading API of `Headers` (`get`, `has`, `getSetCookie`, `forEach`, `entries`, `keys`,
 * `values`, iteration in sorted order with each `Set-Cookie` apart) and, like a response's
 * `Headers`, refuses changes with `TypeError: immutable`. Its prototype chain includes
 * `Headers.prototype`, so `instanceof Headers` holds; `new Headers(headers)` copies it.
 *
 * Why not a real `Headers`: building one costs about 5 µs per response on Node 20 (validation of
 * every name and value already validated by undici's parser), a fifth of a small request.
 */

/** A header name as `Headers` accepts it (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const inspect: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never

/** One raw header value from undici: a Buffer, a string, or several of either (HTTP/2). */
type RawValue = Uint8Array | string | ReadonlyArray<Uint8Array | string>

function latin1(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : (value as Buffer).toString('latin1')
}

/** The read-only headers of a lean response (not exported: `leanHeaders()` makes them). */
class LeanHeaders {
  /** Lower-case name → value, repeated headers joined with `, ` (fetch's "combined value"); no Set-Cookie. */
  readonly #map = new Map<string, string>()
  /** Each `Set-Cookie`, in order. */
  readonly #cookies: string[] = []
  #sorted: Array<[string, string]> | undefined

  /** From undici's raw pairs: `[name, value, name, value…]`. */
  constructor(raw: ReadonlyArray<RawValue> | null | undefined) {
    if (!raw) return
    for (let index = 0; index + 1 < raw.length; index += 2) {
      const name = latin1(raw[index] as Uint8Array | string).toLowerCase()
      const value = raw[index + 1]!
      if (Array.isArray(value) && !(value instanceof Uint8Array)) {
        for (const item of value) this.#add(name, latin1(item))
      }
      else {
        this.#add(name, latin1(value as Uint8Array | string))
      }
    }
  }

  #add(name: string, value: string): void {
    if (name === 'set-cookie') {
      this.#cookies.push(value)
      return
    }
    const existing = this.#map.get(name)
    this.#map.set(name, existing === undefined ? value : `${existing}, ${value}`)
  }

  /** The value of `name` (repeated headers joined with `, `), or `null`. */
  get(name: string): string | null {
    const key = typeof name === 'string' ? name : String(name)
    let value = this.#map.get(key)
    if (value !== undefined) return value
    const lower = key.toLowerCase()
    value = this.#map.get(lower)
    if (value !== undefined) return value
    if (lower === 'set-cookie' && this.#cookies.length > 0) return this.#cookies.join(', ')
    checkName(key, 'get')
    return null
  }

  /** Whether the response has a header `name`. */
  has(name: string): boolean {
    const lower = (typeof name === 'string' ? name : String(name)).toLowerCase()
    if (this.#map.has(lower)) return true
    if (lower === 'set-cookie') return this.#cookies.length > 0
    checkName(lower, 'has')
    return false
  }

  /** Every `Set-Cookie` value, apart (a copy). */
  getSetCookie(): string[] {
    return this.#cookies.slice()
  }

  /** Refused, as on every response's headers. */
  set(_name: string, _value: string): void {
    throw new TypeError('immutable')
  }

  /** Refused, as on every response's headers. */
  append(_name: string, _value: string): void {
    throw new TypeError('immutable')
  }

  /** Refused, as on every response's headers. */
  delete(_name: string): void {
    throw new TypeError('immutable')
  }

  /** Calls `callback(value, name, headers)` for each header, in sorted order. */
  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError('Headers.forEach: Argument 1 is not a function.')
    for (const [name, value] of this.#list()) callback.call(thisArg, value, name, this as unknown as Headers)
  }

  /** `[name, value]` pairs, sorted by name, each `Set-Cookie` apart (fetch's "sort and combine"). */
  entries(): HeadersIterator<[string, string]> {
    return this.#list()[Symbol.iterator]() as HeadersIterator<[string, string]>
  }

  /** The names, sorted. */
  keys(): HeadersIterator<string> {
    return this.#list().map(pair => pair[0])[Symbol.iterator]() as HeadersIterator<string>
  }

  /** The values, in the order of the sorted names. */
  values(): HeadersIterator<string> {
    return this.#list().map(pair => pair[1])[Symbol.iterator]() as HeadersIterator<string>
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries()
  }

  #list(): Array<[string, string]> {
    if (this.#sorted) return this.#sorted
    const names = [...this.#map.keys()]
    if (this.#cookies.length > 0) names.push('set-cookie')
    names.sort()
    const list: Array<[string, string]> = []
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const cookie of this.#cookies) list.push([name, cookie])
      }
      else {
        list.push([name, this.#map.get(name)!])
      }
    }
    this.#sorted = list
    return list
  }

  [inspect](): object {
    return Object.assign(Object.create({ [Symbol.toStringTag]: 'Headers' }), Object.fromEntries(this.#list().map(([name, value], index, list) =>
      name === 'set-cookie' ? [name, list.filter(pair => pair[0] === 'set-cookie').map(pair => pair[1])] : [name, value])))
  }
}

function checkName(name: string, method: string): void {
  if (!TOKEN.test(name)) throw new TypeError(`Headers.${method}: "${name}" is an invalid header name.`)
}

// `instanceof Headers` holds, and `Object.prototype.toString` says `[object Headers]`. Every
// member is our own, so none of Headers' brand-checked methods is ever called on this object.
if (typeof globalThis.Headers === 'function') Object.setPrototypeOf(LeanHeaders.prototype, globalThis.Headers.prototype)

/** The read-only `Headers` of a response, from undici's raw pairs `[name, value, name, value…]`. */
export function leanHeaders(raw: ReadonlyArray<RawValue> | null | undefined): Headers {
  return new LeanHeaders(raw) as unknown as Headers
}
