/**
 * Reading what the caller gave: own properties only, never one inherited from a polluted
 * `Object.prototype` (SECURITY.md). Imports nothing, so every module (the stores too) can use it.
 *
 * @module
 */

/** Reads an own property only (never one inherited from a polluted prototype). */
export function own<T>(object: object | undefined, key: string): T | undefined {
  if (!object || !Object.prototype.hasOwnProperty.call(object, key)) return undefined
  return (object as Record<string, T>)[key]
}

/**
 * `members` on an object without a prototype: for dictionaries handed to the platform
 * (`new ReadableStream(source)`, which also reads `type` and `autoAllocateChunkSize`), so a
 * polluted `Object.prototype` cannot add members the code never wrote.
 */
export function bare<T extends object>(members: T): T {
  return Object.assign(Object.create(null) as T, members)
}

/** Keys that must never be copied from caller objects. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * An option object as the session reads it: a plain object (or one without a prototype) becomes
 * a copy with its own keys only and no prototype, so that a polluted `Object.prototype` is read
 * neither by the session nor by the runtime it is handed to; anything else (a string, a URL, an
 * array, a class instance such as a `Dispatcher` or a cookie jar) is returned as it is.
 */
export function ownRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  return copyRecord(value as Record<string, unknown>) as T
}

/** A copy with own keys only, prototype-pollution keys dropped, and no prototype to read through. */
export function copyRecord(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(record)) {
    if (!FORBIDDEN_KEYS.has(key)) copy[key] = record[key]
  }
  return copy
}
