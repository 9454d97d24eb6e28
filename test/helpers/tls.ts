/**
 * Certificates made at test time with the machine's `openssl`: a CA, and a server certificate
 * it signed for 127.0.0.1, ::1 and localhost. Nothing is committed; nothing is downloaded.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireDependency } from './dependencies'

/** PEM strings of a test CA, a server certificate it signed, and a client certificate for mutual TLS. */
export interface TestCertificates {
  ca: string
  cert: string
  key: string
  clientCert: string
  clientKey: string
}

let cached: TestCertificates | undefined

/** Makes (once per process) a CA and a server certificate for loopback names. */
export function makeCertificates(): TestCertificates {
  if (cached) return cached
  const openssl = requireDependency('openssl')
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-tls-'))
  const run = (...args: string[]): void => {
    execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' })
  }
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fetch-session test CA')
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n')
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext')
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=fetch-session test client')
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
    run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext')
    cached = {
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
      key: readFileSync(join(dir, 'server.key'), 'utf8'),
      clientCert: readFileSync(join(dir, 'client.pem'), 'utf8'),
      clientKey: readFileSync(join(dir, 'client.key'), 'utf8'),
    }
    return cached
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
