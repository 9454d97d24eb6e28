/**
 * The `tls` option, checked once for every runtime that takes it (Node, Deno, Bun) before any
 * adapter maps it: a certificate the runtime would skip without a word (Node ignores a `ca` it
 * cannot parse, and sends no client certificate for a `cert` without its `key`) or reject with
 * an unrelated error at the first request is a `TypeError` at `createSession()` / `mount()`
 * instead. Runtime-neutral: PEM (RFC 7468) and the outer DER SEQUENCE are read by hand, with
 * `atob`. Messages name the option (`tls.ca`, `tls.cert`, `tls.key`) and never quote its text.
 */
import type { TlsOptions } from './types'
import { invalidOption } from './errors'

/** The members of `tls`, as a message lists them. */
const TLS_KEYS: readonly string[] = ['rejectUnauthorized', 'ca', 'cert', 'key']

/**
 * Private-key labels every TLS stack here reads: PKCS #8, PKCS #1 (RSA) and SEC 1 (EC). `EC
 * PARAMETERS` may precede an `EC PRIVATE KEY` (`openssl ecparam -genkey` writes both).
 */
const KEY_LABELS: ReadonlySet<string> = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'])

/** One PEM block: its label, its base64 text, and whether it carries RFC 1421 headers. */
interface PemBlock {
  label: string
  base64: string
  headers: string[]
}

const BEGIN = /-----BEGIN ([^-\r\n]*)-----/g

/** The PEM blocks of `text`, or a description of what is wrong (never quoting the text). */
function readPem(text: string): PemBlock[] | string {
  const blocks: PemBlock[] = []
  BEGIN.lastIndex = 0
  for (let match = BEGIN.exec(text); match !== null; match = BEGIN.exec(text)) {
    const label = match[1]!
    const end = `-----END ${label}-----`
    const start = match.index + match[0].length
    const stop = text.indexOf(end, start)
    const nextBegin = text.indexOf('-----BEGIN ', start)
    if (stop === -1 || (nextBegin !== -1 && nextBegin < stop)) return `block ${blocks.length + 1} (${label}) has no "-----END ${label}-----" line`
    const lines = text.slice(start, stop).split(/\r?\n/).map(line => line.trim()).filter(line => line !== '')
    const headers = lines.filter(line => line.includes(':'))
    blocks.push({ label, base64: lines.filter(line => !line.includes(':')).join(''), headers })
    BEGIN.lastIndex = stop + end.length
  }
  if (blocks.length === 0) return 'no PEM block ("-----BEGIN …-----") found'
  return blocks
}

/** The DER bytes of a block, or a description of what is wrong. */
function decodeBlock(block: PemBlock, index: number): Uint8Array | string {
  const where = `block ${index + 1} (${block.label})`
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(block.base64)) return `${where} is not valid base64`
  let binary: string
  try {
    binary = atob(block.base64)
  }
  catch {
    return `${where} is not valid base64`
  }
  const bytes = new Uint8Array(binary.length)
  for (let offset = 0; offset < binary.length; offset++) bytes[offset] = binary.charCodeAt(offset)
  // Certificates and keys are a SEQUENCE; EC PARAMETERS name a curve (an OBJECT IDENTIFIER) or spell it out (a SEQUENCE).
  const tags = block.label === 'EC PARAMETERS' ? [0x30, 0x06] : [0x30]
  return isDerValue(bytes, tags) ? bytes : `${where} does not hold DER (an ASN.1 ${tags.length > 1 ? 'value' : 'SEQUENCE'} spanning the whole block)`
}

/** True when `bytes` is one DER value with one of `tags` whose length is exactly the rest of the bytes. */
function isDerValue(bytes: Uint8Array, tags: readonly number[]): boolean {
  if (bytes.length < 2 || !tags.includes(bytes[0]!)) return false
  const first = bytes[1]!
  if (first < 0x80) return 2 + first === bytes.length
  const octets = first & 0x7F
  // 0x80 is BER's indefinite length (not DER); more than four length octets is not a key or a certificate.
  if (octets === 0 || octets > 4 || bytes.length < 2 + octets) return false
  let length = 0
  for (let offset = 0; offset < octets; offset++) length = length * 256 + bytes[2 + offset]!
  return 2 + octets + length === bytes.length
}

/** The blocks of a PEM string, each well formed, or the problem (never quoting the text). */
function wellFormedBlocks(text: string): PemBlock[] | string {
  const blocks = readPem(text)
  if (typeof blocks === 'string') return blocks
  for (const [index, block] of blocks.entries()) {
    const der = decodeBlock(block, index)
    if (typeof der === 'string') return der
  }
  return blocks
}

function isEncryptedKey(block: PemBlock): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || block.headers.some(line => /^Proc-Type:.*ENCRYPTED/i.test(line))
}

const ENCRYPTED = 'the private key is encrypted, and fetch-session takes no passphrase; decrypt it first (`openssl pkey -in key.pem -out plain.pem`)'

/** Checks CA certificates (`tls.ca`): CERTIFICATE blocks only. Returns the problem or `undefined`. */
function caProblem(text: string): string | undefined {
  const blocks = wellFormedBlocks(text)
  if (typeof blocks === 'string') return blocks
  const other = blocks.findIndex(block => block.label !== 'CERTIFICATE')
  return other === -1 ? undefined : `block ${other + 1} is a ${blocks[other]!.label}, not a CERTIFICATE`
}

/**
 * Checks a client certificate (`tls.cert`): at least one CERTIFICATE (a chain may follow); its
 * private key may sit in the same PEM, as TLS stacks skip it when they read certificates.
 */
function certProblem(text: string): string | undefined {
  const blocks = wellFormedBlocks(text)
  if (typeof blocks === 'string') return blocks
  const other = blocks.findIndex(block => block.label !== 'CERTIFICATE' && !KEY_LABELS.has(block.label) && !isEncryptedKey(block) && block.label !== 'EC PARAMETERS')
  if (other !== -1) return `block ${other + 1} is a ${blocks[other]!.label}, not a CERTIFICATE`
  if (!blocks.some(block => block.label === 'CERTIFICATE')) return 'it holds no CERTIFICATE block'
  return undefined
}

/**
 * Checks a private key (`tls.key`): exactly one unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC
 * PRIVATE KEY; its certificates may sit in the same PEM. Returns the problem or `undefined`.
 */
function keyProblem(text: string): string | undefined {
  const blocks = wellFormedBlocks(text)
  if (typeof blocks === 'string') return blocks
  if (blocks.some(isEncryptedKey)) return ENCRYPTED
  const other = blocks.findIndex(block => block.label !== 'CERTIFICATE' && !KEY_LABELS.has(block.label) && block.label !== 'EC PARAMETERS')
  if (other !== -1) return `block ${other + 1} is a ${blocks[other]!.label}, not a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY`
  const keys = blocks.filter(block => KEY_LABELS.has(block.label)).length
  if (keys !== 1) return keys === 0 ? 'it holds no private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)' : `it holds ${keys} private keys; give one`
  return undefined
}

function fail(option: string, problem: string): never {
  throw invalidOption(option, `\`${option}\` is not valid: ${problem}`)
}

/**
 * Validates the `tls` option (unknown members, types, PEM well-formedness, `cert` with `key`),
 * throwing a `TypeError` that names the option at fault. Never quotes the key or certificates.
 */
export function validateTlsOptions(tls: unknown): asserts tls is TlsOptions | undefined {
  if (tls === undefined) return
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) fail('tls', 'it must be an object with `ca`, `cert`, `key` or `rejectUnauthorized`')
  for (const key of Object.keys(tls)) {
    if (!TLS_KEYS.includes(key)) fail(`tls.${key}`, `it is not a TLS option fetch-session knows (${TLS_KEYS.join(', ')})`)
  }
  // Own members only: a polluted Object.prototype.rejectUnauthorized must not turn verification off.
  const member = (name: string): unknown => (Object.prototype.hasOwnProperty.call(tls, name) ? (tls as Record<string, unknown>)[name] : undefined)
  const [rejectUnauthorized, ca, cert, key] = TLS_KEYS.map(member)
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') fail('tls.rejectUnauthorized', 'it must be a boolean')
  if (ca !== undefined) {
    const list = Array.isArray(ca) ? ca : [ca]
    for (const [index, item] of list.entries()) {
      const name = Array.isArray(ca) ? `tls.ca[${index}]` : 'tls.ca'
      if (typeof item !== 'string') fail(name, 'it must be a PEM string (or an array of them)')
      const problem = caProblem(item)
      if (problem) fail(name, problem)
    }
  }
  if (cert !== undefined) {
    if (typeof cert !== 'string') fail('tls.cert', 'it must be a PEM string')
    const problem = certProblem(cert)
    if (problem) fail('tls.cert', problem)
  }
  if (key !== undefined) {
    if (typeof key !== 'string') fail('tls.key', 'it must be a PEM string')
    const problem = keyProblem(key)
    if (problem) fail('tls.key', problem)
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw invalidOption(`tls.${cert === undefined ? 'key' : 'cert'}`, `\`tls.${cert === undefined ? 'key' : 'cert'}\` needs \`tls.${cert === undefined ? 'cert' : 'key'}\`: a client certificate and its private key go together`)
  }
}

/**
 * The well-formed `CERTIFICATE` blocks of a PEM bundle, as PEM strings (what a CA file such as
 * `NODE_EXTRA_CA_CERTS` names; the text around them and any malformed block are skipped, as
 * OpenSSL does when it loads such a file).
 */
export function certificateBlocks(text: string): string[] {
  const found: string[] = []
  const pattern = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
  for (const match of text.matchAll(pattern)) {
    if (caProblem(match[0]) === undefined) found.push(match[0])
  }
  return found
}
