/**
 * Bytes helpers shared by the layers that keep bodies (the HTTP cache, the HAR recorder).
 *
 * @module
 */

/** `chunks` as one array of `size` bytes (the chunk itself when there is one). */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
