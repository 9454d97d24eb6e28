/**
 * The headers of a lean response: read-only, over the header object undici's controller API hands
 * the handler (or, from a dispatcher of the legacy API, its raw header pairs). It has
 * the whole reading API of `Headers` (`get`, `has`, `getSetCookie`, `forEach`, `entries`, `keys`,
 * `values`, iteration in sorted order with each `Set-Cookie` apart) and, like a response's
 * `Headers`, refuses changes with `TypeError: immutable`. Its prototype chain includes
 * `Headers.prototype`, so `instanceof Headers` holds; `new Headers(headers)` copies it.
 *
 * Why not a real `Headers`: building one costs about 5 µs per response on Node 20 (validation of
 * every name and value already validated by undici's parser), a fifth of a small request. Why
 * undici's object as it is, not a copy: a response's headers are often never all read, and
 * undici's parser already gave the names in lower case and each repeated header as an array.
 */

/** A header name as `Headers` accepts it (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const inspect: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never

const hasOwn = Object.hasOwn as (object: object, name: string) => boolean

/** One raw header value from undici's legacy API: a Buffer, a string, or several of either (HTTP/2). */
type RawValue = Uint8Array | string | ReadonlyArray<Uint8Array | string>

/**
 * A response's headers as undici's controller API gives them (`onResponseStart`): lower-case
 * names, a repeated header as an array of its values in order.
 */
export type HeaderFields = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** Lower-case name → the value, or the values of a repeated header (own properties only). */
type Fields = Record<string, string | ReadonlyArray<string>>

function latin1(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : (value as Buffer).toString('latin1')
}

function add(fields: Fields, name: string, value: string): void {
  const existing = hasOwn(fields, name) ? fields[name] : undefined
  if (existing === undefined) fields[name] = value
  else if (typeof existing === 'string') fields[name] = [existing, value]
  else (existing as string[]).push(value)
}

/** From undici's raw pairs `[name, value, name, value…]`. */
function fromRaw(raw: ReadonlyArray<RawValue>): Fields {
  const fields: Fields = Object.create(null)
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = latin1(raw[index] as Uint8Array | string).toLowerCase()
    const value = raw[index + 1]!
    if (Array.isArray(value) && !(value instanceof Uint8Array)) {
      for (const item of value) add(fields, name, latin1(item))
    }
    else {
      add(fields, name, latin1(value as Uint8Array | string))
    }
  }
  return fields
}

/**
 * The fields as given when they are already in the form `Fields` (what undici's parser makes),
 * else a normalised copy: lower-case names, repeated names merged, string values.
 */
function normalised(given: HeaderFields): Fields {
  const names = Object.keys(given)
  let clean = true
  for (let index = 0; index < names.length && clean; index++) {
    const name = names[index]!
    const value = given[name]
    if (typeof value === 'string') clean = name.toLowerCase() === name
    else clean = Array.isArray(value) && value.length > 0 && value.every(item => typeof item === 'string') && name.toLowerCase() === name
  }
  if (clean) return given as Fields
  const fields: Fields = Object.create(null)
  for (const name of names) {
    const value = given[name]
    if (value === undefined || value === null) continue
    const lower = name.toLowerCase()
    if (Array.isArray(value)) for (const item of value) add(fields, lower, String(item))
    else add(fields, lower, String(value))
  }
  return fields
}

/** The read-only headers of a lean response (not exported: `leanHeaders()` makes them). */
class LeanHeaders {
  /**
   * Lower-case name → value(s), read through own properties only (undici's object has
   * `Object.prototype`); `#ready` says whether it has been checked to be in that form.
   */
  #fields: Fields
  #ready: boolean
  #sorted: Array<[string, string]> | undefined

  constructor(fields: Fields | HeaderFields, ready: boolean) {
    this.#fields = fields as Fields
    this.#ready = ready
  }

  /**
   * undici's object is taken as it is and checked on first use, not when the response arrives:
   * its parser already made the names lower-case, which a foreign dispatcher may not have done.
   */
  #table(): Fields {
    if (this.#ready) return this.#fields
    this.#ready = true
    return (this.#fields = normalised(this.#fields))
  }

  /** The value of `name` (repeated headers joined with `, `), or `null`. */
  get(name: string): string | null {
    const fields = this.#table()
    const key = typeof name === 'string' ? name : String(name)
    let value = hasOwn(fields, key) ? fields[key] : undefined
    if (value === undefined) {
      const lower = key.toLowerCase()
      if (lower !== key && hasOwn(fields, lower)) value = fields[lower]
      if (value === undefined) {
        checkName(key, 'get')
        return null
      }
    }
    return typeof value === 'string' ? value : value.join(', ')
  }

  /** Whether the response has a header `name`. */
  has(name: string): boolean {
    const lower = (typeof name === 'string' ? name : String(name)).toLowerCase()
    if (hasOwn(this.#table(), lower)) return true
    checkName(lower, 'has')
    return false
  }

  /** Every `Set-Cookie` value, apart (a copy). */
  getSetCookie(): string[] {
    const fields = this.#table()
    const value = hasOwn(fields, 'set-cookie') ? fields['set-cookie'] : undefined
    return value === undefined ? [] : typeof value === 'string' ? [value] : value.slice()
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
    const fields = this.#table()
    const names = Object.keys(fields).sort()
    const list: Array<[string, string]> = []
    for (const name of names) {
      const value = fields[name]!
      if (typeof value === 'string') list.push([name, value])
      else if (name === 'set-cookie') for (const cookie of value) list.push([name, cookie])
      else list.push([name, value.join(', ')])
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

/**
 * The read-only `Headers` of a response: from the header object of undici's controller API
 * (`onResponseStart`), taken as it is, or from the raw pairs `[name, value, name, value…]` of its
 * legacy API (`onHeaders`).
 */
export function leanHeaders(headers: HeaderFields | ReadonlyArray<RawValue> | null | undefined): Headers {
  if (headers === null || headers === undefined) return new LeanHeaders(Object.create(null), true) as unknown as Headers
  if (Array.isArray(headers)) return new LeanHeaders(fromRaw(headers as ReadonlyArray<RawValue>), true) as unknown as Headers
  return new LeanHeaders(headers as HeaderFields, false) as unknown as Headers
}
