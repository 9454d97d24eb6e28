/**
 * The `tls` validator (src/tls-options.ts, shared by the Node, Deno and Bun adapters) against
 * real keys and certificates made by openssl: the forms TLS stacks read are accepted (and work
 * on the wire on Node), everything else is a `TypeError` naming the option, without the key in
 * the message. The conformance area test/conformance/areas/transport.ts runs the refusals on
 * every runtime.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/adapters/node'
import { validateTlsOptions } from '../../src/tls-options'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'

let certificates: TestCertificates
let mutual: TestServer
/** The client key in other forms: PKCS #1, encrypted PKCS #8; and an EC key as `openssl ecparam -genkey` writes it. */
let rsaTraditional: string
let encrypted: string
let ecWithParameters: string

beforeAll(async () => {
  certificates = makeCertificates()
  mutual = await startServer({ tls: { cert: certificates.cert, key: certificates.key, ca: certificates.ca, requestCert: true, rejectUnauthorized: true } })
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-keys-'))
  try {
    writeFileSync(join(dir, 'client.key'), certificates.clientKey)
    const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    rsaTraditional = openssl('rsa', '-in', 'client.key', '-traditional')
    encrypted = openssl('pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret')
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-out', 'ec.pem')
    ecWithParameters = readFileSync(join(dir, 'ec.pem'), 'utf8')
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
afterAll(() => mutual.close())

/** The message of the InvalidRequestError `validateTlsOptions(tls)` throws (its `option` names a `tls.…` member). */
function refusal(tls: unknown): string {
  try {
    validateTlsOptions(tls)
  }
  catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect((error as InvalidRequestError).option).toMatch(/^tls(?:\.|$)/)
    return (error as Error).message
  }
  throw new Error('expected an InvalidRequestError')
}

/** The base64 lines of a PEM, none of which a message may contain. */
const secretLines = (pem: string): string[] => pem.split('\n').filter(line => line.length > 20 && !line.startsWith('-----'))

describe('accepted', () => {
  it('the forms openssl writes: PKCS #8, PKCS #1, EC with its parameters, a certificate and its key in one PEM, a commented CA bundle', () => {
    const { ca, clientCert, clientKey } = certificates
    for (const tls of [
      { ca, cert: clientCert, key: clientKey },
      { cert: clientCert, key: rsaTraditional },
      { cert: clientCert, key: ecWithParameters },
      { cert: `${clientCert}${clientKey}`, key: `${clientCert}${clientKey}` },
      { ca: `# the test CA\nsubject=CN = fetch-session test CA\n${ca}\n${ca}` },
      { ca: [ca, ca], rejectUnauthorized: true },
      { ca: [] },
    ]) {
      expect(() => validateTlsOptions(tls)).not.toThrow()
    }
  })

  it('a PKCS #1 key presents the client certificate on the wire', async () => {
    const session = createSession({ tls: { ca: certificates.ca, cert: certificates.clientCert, key: rsaTraditional } })
    expect((await session(`${mutual.url}/get`)).method).toBe('GET')
    await session.close()
  })
})

describe('refused, naming the option', () => {
  it('cert without key, key without cert (Node would send no client certificate)', () => {
    expect(refusal({ cert: certificates.clientCert })).toBe('fetch-session: `tls.cert` needs `tls.key`: a client certificate and its private key go together')
    expect(refusal({ key: certificates.clientKey })).toBe('fetch-session: `tls.key` needs `tls.cert`: a client certificate and its private key go together')
  })

  it('a CA that is not a well-formed certificate (Node ignores it)', () => {
    const { ca } = certificates
    const lines = ca.split('\n')
    expect(refusal({ ca: 'not a certificate' })).toMatch('`tls.ca` is not valid: no PEM block')
    expect(refusal({ ca: ca.replace('-----END CERTIFICATE-----', '') })).toMatch('`tls.ca` is not valid: block 1 (CERTIFICATE) has no "-----END CERTIFICATE-----" line')
    expect(refusal({ ca: ca.replace(lines[3]!, `${lines[3]!.slice(0, 10)}*${lines[3]!.slice(11)}`) })).toMatch('block 1 (CERTIFICATE) is not valid base64')
    expect(refusal({ ca: ca.replace(lines[3]!, '') })).toMatch('block 1 (CERTIFICATE) does not hold DER')
    expect(refusal({ ca: [ca, certificates.clientKey] })).toMatch('`tls.ca[1]` is not valid: block 1 is a PRIVATE KEY, not a CERTIFICATE')
    expect(refusal({ ca: 42 })).toMatch('`tls.ca` is not valid: it must be a PEM string')
  })

  it('a key that is not one usable private key, without printing it', () => {
    const { clientCert, clientKey } = certificates
    const lines = clientKey.split('\n')
    const corrupted = clientKey.replace(`${lines[5]!}\n`, '')
    for (const [key, problem] of [
      [clientCert, '`tls.key` is not valid: it holds no private key'],
      [encrypted, '`tls.key` is not valid: the private key is encrypted, and fetch-session takes no passphrase'],
      [`${clientKey}${rsaTraditional}`, '`tls.key` is not valid: it holds 2 private keys; give one'],
      [corrupted, '`tls.key` is not valid: block 1 (PRIVATE KEY) does not hold DER'],
      [clientKey.replace('PRIVATE KEY', 'OPENSSH PRIVATE KEY').replace('END PRIVATE KEY', 'END OPENSSH PRIVATE KEY'), 'block 1 is a OPENSSH PRIVATE KEY, not a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY'],
    ] as const) {
      const message = refusal({ cert: clientCert, key })
      expect(message).toMatch(problem)
      for (const line of [...secretLines(key), ...secretLines(clientKey)]) expect(message).not.toContain(line)
    }
  })

  it('a certificate that is not one', () => {
    expect(refusal({ cert: certificates.clientKey, key: certificates.clientKey })).toMatch('`tls.cert` is not valid: it holds no CERTIFICATE block')
  })

  it('an unknown member or a wrong type', () => {
    expect(refusal({ passphrase: 'x' })).toMatch('`tls.passphrase` is not valid: it is not a TLS option fetch-session knows (rejectUnauthorized, ca, cert, key)')
    expect(refusal({ rejectUnauthorized: 'no' })).toMatch('`tls.rejectUnauthorized` is not valid: it must be a boolean')
    expect(refusal('ca.pem')).toMatch('`tls` is not valid')
  })
})
