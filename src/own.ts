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
