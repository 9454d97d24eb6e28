/**
 * MD5 (RFC 1321), for HTTP Digest authentication only: WebCrypto has no MD5, and Digest servers
 * still ask for it. Not for anything that needs a secure hash.
 */

const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const K = Array.from({ length: 64 }, (_, index) => Math.floor(Math.abs(Math.sin(index + 1)) * 2 ** 32) >>> 0)

/** The MD5 digest of the UTF-8 bytes of `text`, as lower-case hex. */
export function md5Hex(text: string): string {
  const input = new TextEncoder().encode(text)
  // Pad: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const length = ((input.length + 8) >>> 6) + 1 << 6
  const bytes = new Uint8Array(length)
  bytes.set(input)
  bytes[input.length] = 0x80
  const view = new DataView(bytes.buffer)
  const bits = input.length * 8
  view.setUint32(length - 8, bits >>> 0, true)
  view.setUint32(length - 4, Math.floor(bits / 2 ** 32), true)

  let a0 = 0x67452301
  let b0 = 0xEFCDAB89
  let c0 = 0x98BADCFE
  let d0 = 0x10325476
  const words = new Uint32Array(16)
  for (let offset = 0; offset < length; offset += 64) {
    for (let index = 0; index < 16; index++) words[index] = view.getUint32(offset + index * 4, true)
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let index = 0; index < 64; index++) {
      let f: number
      let g: number
      if (index < 16) {
        f = (b & c) | (~b & d)
        g = index
      }
      else if (index < 32) {
        f = (d & b) | (~d & c)
        g = (5 * index + 1) % 16
      }
      else if (index < 48) {
        f = b ^ c ^ d
        g = (3 * index + 5) % 16
      }
      else {
        f = c ^ (b | ~d)
        g = (7 * index) % 16
      }
      const shift = SHIFTS[(index >>> 4) * 4 + (index % 4)]!
      const sum = (a + f + K[index]! + words[g]!) >>> 0
      a = d
      d = c
      c = b
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) >>> 0
    }
    a0 = (a0 + a) >>> 0
    b0 = (b0 + b) >>> 0
    c0 = (c0 + c) >>> 0
    d0 = (d0 + d) >>> 0
  }
  let hex = ''
  for (const word of [a0, b0, c0, d0]) {
    for (let index = 0; index < 4; index++) hex += ((word >>> (index * 8)) & 0xFF).toString(16).padStart(2, '0')
  }
  return hex
}
