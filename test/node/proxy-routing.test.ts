/**
 * Node's proxy transport on the wire (issue 11, item 1): an `http://` URL goes to the proxy as an
 * ordinary absolute-form request, with `Proxy-Authorization` for the proxy alone; `https://`
 * goes through CONNECT. The lean dispatch transport and the undici-fetch fallback (stream and
 * `FormData` bodies) behave the same. squid itself is in test/interop/squid.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/adapters/node'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'

let server: TestServer
let secure: TestServer
let guarded: TestProxy
let certificates: TestCertificates
let withCredentials: string
const basic = `Basic ${btoa('proxyuser:proxypass')}`

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, guarded] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy({ auth: 'proxyuser:proxypass' })])
  withCredentials = guarded.url.replace('http://', 'http://proxyuser:proxypass@')
})
afterAll(() => Promise.all([server.close(), secure.close(), guarded.close()]))
beforeEach(() => {
  guarded.reset()
  server.reset()
  secure.reset()
})

const streamOf = (text: string): ReadableStream<Uint8Array> => new ReadableStream({
  start(controller) {
    controller.enqueue(new TextEncoder().encode(text))
    controller.close()
  },
})

describe('through a proxy', () => {
  it('sends http:// as an absolute-form request and tunnels https:// through CONNECT, Proxy-Authorization to the proxy only', async () => {
    const session = createSession({ proxy: withCredentials, tls: { ca: certificates.ca } })
    const plain = await session(`${server.url}/headers?key=absolute`)
    expect(guarded.stats.forwarded).toEqual([`GET ${server.url}/headers?key=absolute`])
    expect(guarded.stats.connects).toEqual([])
    const tunnelled = await session(`${secure.url}/headers`)
    await session.close()
    expect(guarded.stats.connects).toEqual([`127.0.0.1:${secure.port}`])
    expect(guarded.stats.authorizations).toEqual([basic, basic])
    expect(plain.headers['proxy-authorization']).toBeUndefined()
    expect(tunnelled.headers['proxy-authorization']).toBeUndefined()
  })

  it('the undici-fetch fallback (a stream body, a FormData body) goes the same way', async () => {
    const session = createSession({ proxy: withCredentials, tls: { ca: certificates.ca } })
    const form = new FormData()
    form.append('field', 'value')
    const streamed = await session(`${server.url}/anything?key=stream`, { method: 'POST', body: streamOf('streamed body') })
    const posted = await session(`${secure.url}/anything?key=form`, { method: 'POST', body: form })
    await session.close()
    expect(streamed).toMatchObject({ method: 'POST', body: 'streamed body' })
    expect(posted).toMatchObject({ method: 'POST', form: { field: 'value' } })
    expect(guarded.stats.forwarded).toEqual([`POST ${server.url}/anything?key=stream`])
    expect(guarded.stats.connects).toEqual([`127.0.0.1:${secure.port}`])
    expect(guarded.stats.authorizations).toEqual([basic, basic])
    for (const seen of [...server.requests, ...secure.requests]) expect(seen.headers['proxy-authorization']).toBeUndefined()
  })

  it('{ url, noProxy } sends http:// in absolute form too, and bypasses the hosts listed', async () => {
    const session = createSession({ proxy: { url: withCredentials, noProxy: 'localhost' }, tls: { ca: certificates.ca } })
    await session(`${server.url}/get?key=routed`)
    await session(`${server.altUrl}/get?key=bypassed`)
    await session(`${secure.url}/get`)
    await session.close()
    expect(guarded.stats.forwarded).toEqual([`GET ${server.url}/get?key=routed`])
    expect(guarded.stats.connects).toEqual([`127.0.0.1:${secure.port}`])
    expect(server.hits('bypassed')).toBe(1)
  })
})
