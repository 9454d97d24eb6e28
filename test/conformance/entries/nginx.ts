/**
 * Entry for the interop suite against the real nginx (test/interop/nginx.test.ts), bundled with
 * the built package for Node, Deno and Bun: `<runtime> nginx.mjs '<input json>'` runs every
 * scenario in order against the listeners of test/helpers/nginx.ts and prints one line of JSON,
 * `{ [scenario]: observation }`. A scenario that throws unexpectedly is recorded as
 * `{ failed: 'Name: message' }`.
 */
import { createSession } from 'fetch-session'
import type { Session, SessionOptions } from 'fetch-session'

/** What the test passes. */
export interface NginxInput {
  /** TLS, HTTP/2 and HTTP/1.1. */
  https: string
  /** TLS, HTTP/1.1 only. */
  https1: string
  http: string
  /** The test CA, and a client certificate it signed. */
  ca: string
  cert: string
  key: string
  /** The session's `http2` option for the HTTP/2 scenario (absent: the runtime's default). */
  http2?: boolean
}

const runtime = globalThis as { Deno?: { args: string[], exit: (code: number) => never }, process?: { argv: string[], exit: (code: number) => never } }
const args = runtime.Deno ? runtime.Deno.args : runtime.process!.argv.slice(2)
const input = JSON.parse(args[0]!) as NginxInput
const { ca, cert, key } = input

type Json = any
interface Info { protocol: string, scheme: string, connection: number, requests: number, acceptEncoding: string }
const sessions: Session[] = []

function open(options: SessionOptions = {}): Session {
  const session = createSession(options)
  sessions.push(session)
  return session
}

async function rejection(call: () => Promise<unknown>): Promise<{ name: string, status?: number, code?: string }> {
  try {
    await call()
  }
  catch (error) {
    const { name, status, code } = error as Error & { status?: number, code?: string }
    return { name, status, code }
  }
  throw new Error('expected the call to reject, but it resolved')
}

/** `count` requests one after another, as nginx numbered their connections and requests. */
async function sequential(session: Session, url: string, count: number): Promise<Array<Pick<Info, 'protocol' | 'connection' | 'requests'>>> {
  const seen = []
  for (let index = 0; index < count; index++) {
    const { protocol, connection, requests } = await session<Info>(url)
    seen.push({ protocol, connection, requests })
  }
  return seen
}

const scenarios: Record<string, () => Promise<unknown>> = {
  'tls.ca trusts the test CA': async () => {
    const info = await open({ tls: { ca } })<Info>(`${input.https1}/info`)
    return { protocol: info.protocol, scheme: info.scheme }
  },

  'without tls.ca the certificate is refused': async () => rejection(() => open({ retry: false })(`${input.https1}/info`)),

  'tls.cert and tls.key pass the client-certificate location': async () => open({ tls: { ca, cert, key } })<Json>(`${input.https1}/client-cert`),

  'without a client certificate the location refuses': async () => rejection(() => open({ tls: { ca }, retry: false })(`${input.https1}/client-cert`)),

  'HTTP/2': async () => {
    const options: SessionOptions = { tls: { ca } }
    if (input.http2 !== undefined) options.http2 = input.http2
    const session = open(options)
    return { both: await sequential(session, `${input.https}/info`, 3), http1Only: (await session<Info>(`${input.https1}/info`)).protocol }
  },

  'keep-alive over TLS': async () => sequential(open({ tls: { ca }, http2: false }), `${input.https1}/info`, 3),

  'keep-alive over plain http': async () => sequential(open(), `${input.http}/info`, 3),

  'gzip from nginx': async () => {
    const response = await open().raw<Json>(`${input.http}/gzip`)
    return { status: response.status, contentEncoding: response.headers.get('content-encoding'), compressed: response._data.compressed, acceptEncoding: response._data.acceptEncoding, padding: response._data.padding.length }
  },

  'default headers and a redirect': async () => {
    const session = open({ headers: { 'X-Test': 'from the session' } })
    const headers = await session<Json>(`${input.http}/headers`)
    const redirected = await session.raw<Json>(`${input.http}/redirect`)
    return {
      xTest: headers.xTest,
      redirect: { status: redirected.status, url: redirected.url, hops: (redirected.history ?? []).map(hop => ({ status: hop.status, location: hop.location })), body: redirected._data },
    }
  },
}

const observations: Record<string, unknown> = {}
for (const [name, scenario] of Object.entries(scenarios)) {
  try {
    observations[name] = await scenario()
  }
  catch (error) {
    observations[name] = { failed: `${(error as Error).name}: ${(error as Error).message}` }
  }
}
await Promise.all(sessions.map(session => session.close()))
console.log(JSON.stringify(observations))
if (runtime.Deno) runtime.Deno.exit(0)
else runtime.process!.exit(0)
