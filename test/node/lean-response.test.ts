/**
 * The Node dispatch transport (src/transports/dispatch.ts) and its lean Response, against undici's
 * fetch on the same pool (what the Node adapter used before, and what the transport must match):
 * the bytes on the wire for every body kind and the headers fetch adds, each Response member,
 * decoding, aborts, errors, flow control, and the session / $fetch paths.
 */
import { getEventListeners } from 'node:events'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $fetch, createSession, NetworkError } from '../../src/adapters/node'
import type { Fetch } from '../../src/index'
import { createDispatchFetch } from '../../src/transports/dispatch'
import { closedPort } from '../helpers/ports'
import { makeCertificates } from '../helpers/tls'

interface Seen {
  method: string
  url: string
  rawHeaders: string[]
  body: string
}

const JSON_BODY = JSON.stringify({ hello: 'world', n: 1 })
const BIG = 32 * 1024 * 1024
let big = { written: 0 }
let midBodyClosed = 0

function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = []
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0]
    const body = Buffer.concat(chunks)
    const send = (status: number, headers: Record<string, string | string[]>, data: Buffer | string): void => {
      res.writeHead(status, headers)
      res.end(data)
    }
    switch (path) {
      case '/echo':
        return send(200, { 'content-type': 'application/json' }, JSON.stringify({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: body.toString('latin1') } satisfies Seen))
      case '/json':
        return send(200, { 'content-type': 'application/json; charset=utf-8', 'X-Mixed-Case': 'Yes' }, JSON_BODY)
      case '/headers':
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/'])
        res.setHeader('x-multi', ['1', '2'])
        res.setHeader('Zeta', 'last')
        res.setHeader('alpha', 'first')
        return send(200, { 'content-type': 'text/plain' }, 'ok')
      case '/status-text':
        res.statusMessage = 'Quite Fine'
        return send(201, {}, 'created')
      case '/gzip': return send(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' }, gzipSync(JSON_BODY))
      case '/x-gzip': return send(200, { 'content-encoding': 'x-gzip', 'content-type': 'application/json' }, gzipSync(JSON_BODY))
      case '/deflate': return send(200, { 'content-encoding': 'deflate' }, deflateSync(JSON_BODY))
      case '/deflate-raw': return send(200, { 'content-encoding': 'deflate' }, deflateRawSync(JSON_BODY))
      case '/br': return send(200, { 'content-encoding': 'br' }, brotliCompressSync(JSON_BODY))
      // Codings in the order they were applied: gzip first, then br.
      case '/gzip-br': return send(200, { 'content-encoding': 'gzip, br' }, brotliCompressSync(gzipSync(JSON_BODY)))
      case '/unknown-coding': return send(200, { 'content-encoding': 'x-custom' }, 'raw bytes')
      case '/bad-gzip': return send(200, { 'content-encoding': 'gzip' }, 'not gzip at all')
      case '/too-many-codings': return send(200, { 'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip' }, 'x')
      case '/bom': return send(200, { 'content-type': 'text/plain' }, Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), Buffer.from('héllo')]))
      case '/invalid-utf8': return send(200, { 'content-type': 'text/plain' }, Buffer.from([0x41, 0xFF, 0xFE, 0xC3, 0x42, 0xE2, 0x82]))
      case '/form-urlencoded': return send(200, { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&b=x+y&a=2')
      case '/form-multipart': {
        const boundary = 'XyZ'
        const data = `--${boundary}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--${boundary}--\r\n`
        return send(200, { 'content-type': `multipart/form-data; boundary=${boundary}` }, data)
      }
      case '/no-content': return send(204, {}, '')
      case '/not-modified': return send(304, {}, '')
      case '/redirect': return send(302, { location: '/json', 'set-cookie': 'r=1; Path=/' }, 'moved')
      case '/processing':
        res.writeProcessing()
        return send(200, { 'content-type': 'text/plain' }, 'after 102')
      case '/chunked':
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('one,')
        setTimeout(() => res.end('two'), 30)
        return
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' })
        res.write('12345')
        setTimeout(() => res.end('67890'), 300)
        return
      case '/hang':
        return
      case '/mid-reset':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' })
        res.write(Buffer.alloc(1000, 120), () => setTimeout(() => req.socket.destroy(), 20))
        return
      case '/trickle-forever': {
        res.writeHead(200, { 'content-type': 'text/plain' })
        const timer = setInterval(() => res.write('x'), 20)
        res.on('close', () => {
          clearInterval(timer)
          midBodyClosed++
        })
        return
      }
      case '/redirect-trickling': {
        // A redirect whose body never ends: the session must drop it, closing that connection.
        res.writeHead(302, { location: '/json', 'content-type': 'text/plain' })
        const timer = setInterval(() => res.write('x'), 20)
        res.on('close', () => {
          clearInterval(timer)
          midBodyClosed++
        })
        return
      }
      case '/events': return send(200, { 'content-type': 'text/event-stream' }, 'data: one\n\n')
      case '/big': {
        big = { written: 0 }
        const state = big
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) })
        const chunk = Buffer.alloc(64 * 1024, 98)
        const write = (): void => {
          while (state.written < BIG) {
            state.written += chunk.length
            const more = res.write(chunk)
            if (state.written >= BIG) {
              res.end()
              return
            }
            if (!more) {
              res.once('drain', write)
              return
            }
          }
        }
        write()
        return
      }
      default:
        return send(404, {}, 'not found')
    }
  })
}

let server: Server
let secure: Server
let base: string
let secureBase: string
let agent: Agent
let secureAgent: Agent
let lean: Fetch
let viaFetch: Fetch
let secureLean: Fetch
let secureFetch: Fetch

const listen = async (target: Server): Promise<number> => {
  await new Promise<void>(resolve => target.listen(0, '127.0.0.1', resolve))
  return (target.address() as AddressInfo).port
}

beforeAll(async () => {
  const certificates = makeCertificates()
  server = createServer(handler)
  secure = createHttpsServer({ cert: certificates.cert, key: certificates.key }, handler)
  base = `http://127.0.0.1:${await listen(server)}`
  secureBase = `https://127.0.0.1:${await listen(secure)}`
  agent = new Agent()
  secureAgent = new Agent({ connect: { ca: certificates.ca } })
  const fetchOn = (dispatcher: Agent): Fetch => (input, init) => undiciFetch(input as string, { ...init, dispatcher } as never) as unknown as Promise<Response>
  viaFetch = fetchOn(agent)
  secureFetch = fetchOn(secureAgent)
  lean = createDispatchFetch({ dispatcher: agent, fallback: viaFetch, userAgent: 'undici' })
  secureLean = createDispatchFetch({ dispatcher: secureAgent, fallback: secureFetch, userAgent: 'undici' })
})
afterAll(async () => {
  await Promise.all([agent.close(), secureAgent.close()])
  await Promise.all([new Promise(resolve => server.close(resolve)), new Promise(resolve => secure.close(resolve))])
})

/** What the server saw for `init` sent by the lean transport and by undici's fetch. */
async function both(init: () => RequestInit & { duplex?: string }, path = '/echo', https = false): Promise<{ lean: Seen, fetch: Seen, leanResponse: Response }> {
  const url = `${https ? secureBase : base}${path}`
  const leanResponse = await (https ? secureLean : lean)(url, { redirect: 'manual', ...init() })
  const fetchResponse = await (https ? secureFetch : viaFetch)(url, { redirect: 'manual', ...init() })
  return { lean: await leanResponse.clone().json(), fetch: await fetchResponse.json(), leanResponse }
}

describe('on the wire: what fetch sends', () => {
  const cases: Array<[string, () => RequestInit & { duplex?: string }]> = [
    ['a GET with no headers', () => ({})],
    ['a GET with the caller\'s headers (Host dropped, Sec-Fetch-Mode forced, Accept and User-Agent kept)', () => ({ headers: new Headers({ 'X-Zed': '1', 'accept': 'application/json', 'User-Agent': 'me/1', 'Host': 'evil.example', 'sec-fetch-mode': 'navigate', 'cookie': 'a=1' }) })],
    ['a conditional GET (Pragma and Cache-Control added)', () => ({ headers: new Headers({ 'if-none-match': '"x"' }) })],
    ['a conditional GET with its own Cache-Control', () => ({ headers: new Headers({ 'if-modified-since': 'Tue, 01 Jan 2030 00:00:00 GMT', 'cache-control': 'max-age=5' }) })],
    ['a Range request (Accept-Encoding: identity)', () => ({ headers: new Headers({ range: 'bytes=0-1' }) })],
    ['a Range request with an Accept-Encoding', () => ({ headers: new Headers({ 'range': 'bytes=0-1', 'accept-encoding': 'gzip' }) })],
    ['a string body', () => ({ method: 'POST', body: 'héllo wörld' })],
    ['a string body with the caller\'s Content-Type', () => ({ method: 'POST', body: '{"a":1}', headers: new Headers({ 'content-type': 'application/json' }) })],
    ['an empty string body', () => ({ method: 'POST', body: '' })],
    ['a URLSearchParams body', () => ({ method: 'POST', body: new URLSearchParams({ a: '1 2', b: 'é&' }) })],
    ['a Uint8Array body', () => ({ method: 'PUT', body: new Uint8Array([0, 1, 2, 255]) })],
    ['a Buffer slice body', () => ({ method: 'PUT', body: Buffer.from('xxhelloxx').subarray(2, 7) })],
    ['an ArrayBuffer body', () => ({ method: 'PUT', body: new Uint8Array([104, 105]).buffer })],
    ['a DataView body', () => ({ method: 'PUT', body: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2) })],
    ['a typed Blob body', () => ({ method: 'POST', body: new Blob(['blob body'], { type: 'text/x-custom' }) })],
    ['an untyped Blob body', () => ({ method: 'POST', body: new Blob(['blob body']) })],
    ['a POST without a body (Content-Length: 0)', () => ({ method: 'POST' })],
    ['a PUT without a body', () => ({ method: 'PUT' })],
    ['a PATCH without a body', () => ({ method: 'PATCH' })],
    ['a DELETE with a body', () => ({ method: 'DELETE', body: 'gone' })],
    ['an OPTIONS request', () => ({ method: 'OPTIONS' })],
    ['a HEAD request', () => ({ method: 'HEAD' })],
    ['a stream body (the fallback)', () => ({ method: 'POST', body: new Blob(['streamed']).stream(), duplex: 'half' })],
  ]
  for (const [name, init] of cases) {
    it(name, async () => {
      if (init().method === 'HEAD') {
        const leanResponse = await lean(`${base}/echo`, { redirect: 'manual', method: 'HEAD' })
        const fetchResponse = await viaFetch(`${base}/echo`, { redirect: 'manual', method: 'HEAD' })
        expect(leanResponse.status).toBe(fetchResponse.status)
        expect(leanResponse.body).toBeNull()
        return
      }
      const { lean: sent, fetch: expected } = await both(init)
      expect(sent).toEqual(expected)
    })
  }

  it('the URL: query, a trailing "?", no fragment', async () => {
    for (const path of ['/echo?a=1&b=%20', '/echo?', '/echo#frag', '/echo?x#y']) {
      const { lean: sent, fetch: expected, leanResponse } = await both(() => ({}), path)
      expect(sent.url).toBe(expected.url)
      expect(leanResponse.url).toBe(new URL(path, base).href.replace(/#.*$/, ''))
    }
  })

  it('over https: Accept-Encoding names br as well', async () => {
    const { lean: sent, fetch: expected } = await both(() => ({}), '/echo', true)
    expect(sent).toEqual(expected)
    expect(sent.rawHeaders).toContain('br, gzip, deflate')
  })

  it('FormData through a session: multipart with the files, as fetch sends it (undici\'s fetch alone sent "[object FormData]")', async () => {
    const form = new FormData()
    form.append('field', 'value')
    form.append('file', new File(['file body'], 'f.txt', { type: 'text/plain' }))
    form.append('blob', new Blob(['bb']))
    const session = createSession()
    const seen = await session<Seen>(`${base}/echo`, { method: 'POST', body: form })
    const reference = await (await fetch(`${base}/echo`, { method: 'POST', body: form })).json() as Seen
    const boundary = (seen: Seen): string => seen.rawHeaders[seen.rawHeaders.findIndex(name => name.toLowerCase() === 'content-type') + 1]!.split('boundary=')[1]!
    expect(seen.body.replaceAll(boundary(seen), 'B')).toBe(reference.body.replaceAll(boundary(reference), 'B'))
    expect(seen.body).toContain('filename="f.txt"')
    await session.close()
  })
})

describe('the lean Response', () => {
  it('status, statusText, ok, url, redirected, type; instanceof Response', async () => {
    const response = await lean(`${base}/status-text#fragment`, { redirect: 'manual' })
    const reference = await viaFetch(`${base}/status-text#fragment`, { redirect: 'manual' })
    for (const key of ['status', 'statusText', 'ok', 'url', 'redirected', 'type'] as const) expect(response[key]).toEqual(reference[key])
    expect(response).toBeInstanceOf(Response)
    expect(Object.prototype.toString.call(response)).toBe('[object Response]')
    expect(await response.text()).toBe('created')
  })

  it('headers: get (any case), has, getSetCookie, sorted iteration, forEach, keys, values; immutable; instanceof Headers', async () => {
    const response = await lean(`${base}/headers`, { redirect: 'manual' })
    const reference = await viaFetch(`${base}/headers`, { redirect: 'manual' })
    const { headers } = response
    expect(headers).toBeInstanceOf(Headers)
    expect([...headers]).toEqual([...reference.headers])
    expect([...headers.entries()]).toEqual([...reference.headers.entries()])
    expect([...headers.keys()]).toEqual([...reference.headers.keys()])
    expect([...headers.values()]).toEqual([...reference.headers.values()])
    const each: string[] = []
    headers.forEach((value, name, parent) => {
      expect(parent).toBe(headers)
      each.push(`${name}=${value}`)
    })
    expect(each).toEqual([...reference.headers].map(([name, value]) => `${name}=${value}`))
    expect(headers.get('X-MULTI')).toBe('1, 2')
    expect(headers.get('set-cookie')).toBe(reference.headers.get('set-cookie'))
    expect(headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    expect(headers.get('missing')).toBeNull()
    expect(headers.has('Zeta')).toBe(true)
    expect(headers.has('set-cookie')).toBe(true)
    expect(headers.has('nope')).toBe(false)
    expect(() => headers.get('bad name')).toThrow(TypeError)
    expect(() => headers.set('x', 'y')).toThrow('immutable')
    expect(() => headers.append('x', 'y')).toThrow('immutable')
    expect(() => headers.delete('zeta')).toThrow('immutable')
    expect(Object.fromEntries(new Headers(headers))).toEqual(Object.fromEntries(new Headers(reference.headers)))
    expect(new Headers(headers).getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    await response.text()
  })

  it('text(), json(), arrayBuffer(), bytes() and blob() give what fetch gives', async () => {
    const read = async (method: 'text' | 'json' | 'arrayBuffer' | 'bytes' | 'blob', path = '/json'): Promise<[unknown, unknown]> => {
      const mine = await (await lean(`${base}${path}`, { redirect: 'manual' }))[method]()
      const theirs = await (await viaFetch(`${base}${path}`, { redirect: 'manual' }))[method]()
      return [mine, theirs]
    }
    for (const method of ['text', 'json', 'arrayBuffer', 'bytes'] as const) {
      const [mine, theirs] = await read(method)
      expect(mine).toEqual(theirs)
    }
    const [buffer] = await read('arrayBuffer')
    expect(buffer).toBeInstanceOf(ArrayBuffer)
    expect((buffer as ArrayBuffer).byteLength).toBe(JSON_BODY.length)
    const [mine, theirs] = await read('blob') as [Blob, Blob]
    expect(mine).toBeInstanceOf(Blob)
    expect(mine.type).toBe(theirs.type)
    expect(await mine.text()).toBe(await theirs.text())
    // A body split over several chunks.
    expect((await read('text', '/chunked'))[0]).toBe('one,two')
  })

  it('text() strips a BOM and replaces invalid UTF-8 as fetch does', async () => {
    for (const path of ['/bom', '/invalid-utf8']) {
      const mine = await (await lean(`${base}${path}`, { redirect: 'manual' })).text()
      const theirs = await (await viaFetch(`${base}${path}`, { redirect: 'manual' })).text()
      expect(mine).toBe(theirs)
    }
  })

  it('formData(): URL-encoded and multipart', async () => {
    const encoded = await (await lean(`${base}/form-urlencoded`, { redirect: 'manual' })).formData()
    expect(encoded.getAll('a')).toEqual(['1', '2'])
    expect(encoded.get('b')).toBe('x y')
    const multipart = await (await lean(`${base}/form-multipart`, { redirect: 'manual' })).formData()
    expect(multipart.get('field')).toBe('value')
    const file = multipart.get('file') as File
    expect(file.name).toBe('f.txt')
    expect(await file.text()).toBe('file body')
    await expect((await lean(`${base}/json`, { redirect: 'manual' })).formData()).rejects.toThrow(TypeError)
  })

  it('body: a web byte stream, built on first use, the same object every time', async () => {
    const response = await lean(`${base}/chunked`, { redirect: 'manual' })
    const { body } = response
    expect(body).toBeInstanceOf(ReadableStream)
    expect(response.body).toBe(body)
    expect(response.bodyUsed).toBe(false)
    const reader = body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      expect(value).toBeInstanceOf(Uint8Array)
      text += decoder.decode(value, { stream: true })
    }
    expect(text).toBe('one,two')
    expect(response.bodyUsed).toBe(true)
    await expect(response.text()).rejects.toThrow('Body is unusable')
  })

  it('body supports BYOB readers, async iteration and pipeThrough', async () => {
    const byob = (await lean(`${base}/json`, { redirect: 'manual' })).body!.getReader({ mode: 'byob' })
    const { value } = await byob.read(new Uint8Array(4))
    expect(new TextDecoder().decode(value)).toBe(JSON_BODY.slice(0, 4))
    await byob.cancel()
    let text = ''
    for await (const chunk of (await lean(`${base}/chunked`, { redirect: 'manual' })).body!.pipeThrough(new TextDecoderStream())) text += chunk
    expect(text).toBe('one,two')
  })

  it('bodyUsed, and a second read rejects with fetch\'s TypeError', async () => {
    const response = await lean(`${base}/json`, { redirect: 'manual' })
    const reference = await viaFetch(`${base}/json`, { redirect: 'manual' })
    expect(response.bodyUsed).toBe(false)
    await response.json()
    await reference.json()
    expect(response.bodyUsed).toBe(true)
    const mine = await response.text().catch((error: unknown) => error) as TypeError
    const theirs = await reference.text().catch((error: unknown) => error) as TypeError
    expect(mine).toBeInstanceOf(TypeError)
    expect(mine.message).toBe(theirs.message)
    // The body stream, read after text(), fails the same way.
    await expect(response.body!.getReader().read()).rejects.toThrow('Body is unusable')
  })

  it('clone(): both copies read the whole body; not after the body was used', async () => {
    const response = await lean(`${base}/chunked`, { redirect: 'manual' })
    const copy = response.clone()
    expect(copy).toBeInstanceOf(Response)
    expect(copy.status).toBe(200)
    expect(copy.headers.get('content-type')).toBe('text/plain')
    expect(await Promise.all([response.text(), copy.text()])).toEqual(['one,two', 'one,two'])
    expect(() => response.clone()).toThrow(TypeError)
    const empty = await lean(`${base}/no-content`, { redirect: 'manual' })
    expect(empty.clone().body).toBeNull()
  })

  it('no body for HEAD, 204 and 304; empty text()', async () => {
    for (const [path, method] of [['/json', 'HEAD'], ['/no-content', 'GET'], ['/not-modified', 'GET']] as const) {
      const response = await lean(`${base}${path}`, { redirect: 'manual', method })
      expect(response.body).toBeNull()
      expect(await response.text()).toBe('')
      expect(response.bodyUsed).toBe(false)
    }
  })

  it('skips a 1xx (102 Processing) and answers with the final response', async () => {
    const response = await lean(`${base}/processing`, { redirect: 'manual' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('after 102')
  })

  it('redirect: "manual" gives the 3xx itself; any other mode goes to fetch, which follows', async () => {
    const manual = await lean(`${base}/redirect`, { redirect: 'manual' })
    expect(manual.status).toBe(302)
    expect(manual.headers.get('location')).toBe('/json')
    expect(manual.headers.getSetCookie()).toEqual(['r=1; Path=/'])
    expect(await manual.text()).toBe('moved')
    const followed = await lean(`${base}/redirect`, {})
    expect(followed.status).toBe(200)
    expect(followed.redirected).toBe(true)
    expect(await followed.json()).toEqual(JSON.parse(JSON_BODY))
  })

  it('util.inspect shows the status and headers', async () => {
    const { inspect } = await import('node:util')
    const response = await lean(`${base}/json`, { redirect: 'manual' })
    expect(inspect(response)).toMatch(/^Response .*status: 200/s)
    expect(inspect(response.headers)).toMatch(/'content-type': 'application\/json; charset=utf-8'/)
    await response.text()
  })
})

describe('decoding, as fetch does', () => {
  for (const path of ['/gzip', '/x-gzip', '/deflate', '/deflate-raw', '/br', '/gzip-br', '/unknown-coding']) {
    it(path.slice(1), async () => {
      const response = await lean(`${base}${path}`, { redirect: 'manual' })
      const reference = await viaFetch(`${base}${path}`, { redirect: 'manual' })
      expect(await response.text()).toBe(await reference.text())
      expect(response.headers.get('content-encoding')).toBe(reference.headers.get('content-encoding'))
    })
  }

  it('decodes through the body stream too', async () => {
    const response = await lean(`${base}/gzip-br`, { redirect: 'manual' })
    let text = ''
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) text += chunk
    expect(text).toBe(JSON_BODY)
  })

  it('a body that does not decode fails with TypeError "terminated"', async () => {
    const response = await lean(`${base}/bad-gzip`, { redirect: 'manual' })
    const reference = await viaFetch(`${base}/bad-gzip`, { redirect: 'manual' })
    const mine = await response.text().catch((error: unknown) => error) as TypeError
    const theirs = await reference.text().catch((error: unknown) => error) as TypeError
    expect(mine).toBeInstanceOf(TypeError)
    expect(mine.message).toBe(theirs.message)
    expect((mine.cause as { code?: string }).code).toBe((theirs.cause as { code?: string }).code)
  })

  it('more than 5 codings: the request fails as with fetch', async () => {
    const mine = await lean(`${base}/too-many-codings`, { redirect: 'manual' }).catch((error: unknown) => error) as TypeError
    const theirs = await viaFetch(`${base}/too-many-codings`, { redirect: 'manual' }).catch((error: unknown) => error) as TypeError
    expect(mine.message).toBe(theirs.message)
    expect((mine.cause as Error).message).toBe((theirs.cause as Error).message)
  })
})

describe('aborts and errors, as fetch has them', () => {
  const outcome = async (send: Fetch, path: string, signal: AbortSignal, read: boolean): Promise<unknown> => {
    try {
      const response = await send(`${base}${path}`, { redirect: 'manual', signal })
      return read ? await response.text() : response.status
    }
    catch (error) {
      return error
    }
  }

  it('an aborted signal rejects at once with its reason', async () => {
    const reason = new Error('mine')
    const result = await outcome(lean, '/json', AbortSignal.abort(reason), false)
    expect(result).toBe(reason)
  })

  it('an abort while waiting for the response rejects with the reason (DOMException AbortError by default)', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const result = await outcome(lean, '/hang', controller.signal, false) as DOMException
    expect(result).toBe(controller.signal.reason)
    expect(result.name).toBe('AbortError')
  })

  it('an abort while the body is read fails text() and the stream with the reason', async () => {
    const controller = new AbortController()
    const response = await lean(`${base}/slow-body`, { redirect: 'manual', signal: controller.signal })
    setTimeout(() => controller.abort(new Error('stop')), 50)
    await expect(response.text()).rejects.toThrow('stop')
    const second = new AbortController()
    const streamed = await lean(`${base}/slow-body`, { redirect: 'manual', signal: second.signal })
    const reader = streamed.body!.getReader()
    await reader.read()
    second.abort(new Error('stop too'))
    await expect(reader.read()).rejects.toThrow('stop too')
  })

  it('an abort after the body arrived, before it was read, fails the read (as fetch); after reading, nothing happens', async () => {
    for (const send of [lean, viaFetch]) {
      const controller = new AbortController()
      const response = await send(`${base}/json`, { redirect: 'manual', signal: controller.signal })
      await new Promise(resolve => setTimeout(resolve, 30))
      controller.abort()
      await expect(response.text()).rejects.toMatchObject({ name: 'AbortError' })
      const later = new AbortController()
      const read = await send(`${base}/json`, { redirect: 'manual', signal: later.signal })
      expect(await read.json()).toEqual(JSON.parse(JSON_BODY))
      later.abort()
    }
  })

  it('removes its abort listener once the body is read', async () => {
    const controller = new AbortController()
    for (let index = 0; index < 20; index++) await (await lean(`${base}/json`, { redirect: 'manual', signal: controller.signal })).text()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('nothing listening: TypeError "fetch failed" whose cause has the code', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`
    const mine = await lean(url, { redirect: 'manual' }).catch((error: unknown) => error) as TypeError
    const theirs = await viaFetch(url, { redirect: 'manual' }).catch((error: unknown) => error) as TypeError
    expect(mine).toBeInstanceOf(TypeError)
    expect(mine.message).toBe('fetch failed')
    expect(mine.message).toBe(theirs.message)
    expect((mine.cause as { code?: string }).code).toBe((theirs.cause as { code?: string }).code)
  })

  it('a connection reset mid-body: TypeError "terminated" with the socket error as cause', async () => {
    const response = await lean(`${base}/mid-reset`, { redirect: 'manual' })
    const error = await response.arrayBuffer().catch((caught: unknown) => caught) as TypeError
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('terminated')
    expect((error.cause as { code?: string }).code).toBe('UND_ERR_SOCKET')
  })

  it('invalid requests fail as fetch fails them (bad header, credentials in the URL, bad port, GET with a body)', async () => {
    const cases: Array<[string, RequestInit]> = [
      [`${base}/echo`, { headers: new Headers({ 'transfer-encoding': 'chunked' }) }],
      [`http://user:pass@127.0.0.1:1/`, {}],
      ['http://127.0.0.1:6000/', {}],
      [`${base}/echo`, { method: 'GET', body: 'x' }],
      ['ftp://127.0.0.1/', {}],
      ['not a url', {}],
    ]
    for (const [url, init] of cases) {
      const mine = await lean(url, { redirect: 'manual', ...init }).catch((error: unknown) => error) as TypeError
      const theirs = await viaFetch(url, { redirect: 'manual', ...init }).catch((error: unknown) => error) as TypeError
      expect(mine).toBeInstanceOf(TypeError)
      expect([url, mine.message, String(mine.cause)]).toEqual([url, theirs.message, String(theirs.cause)])
    }
  })
})

describe('flow control and cancelling', () => {
  it('an unread body does not fill memory: the socket is paused until someone reads', async () => {
    const response = await lean(`${base}/big`, { redirect: 'manual' })
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(big.written).toBeLessThan(BIG / 2)
    expect((await response.arrayBuffer()).byteLength).toBe(BIG)
    expect(big.written).toBe(BIG)
  })

  it('response[Symbol.for(\'fetch-session.discard\')]() drops the body without building the stream: the transfer stops, reads fail', async () => {
    const before = midBodyClosed
    const response = await lean(`${base}/trickle-forever`, { redirect: 'manual' })
    const discard = (response as unknown as Record<symbol, () => void>)[Symbol.for('fetch-session.discard')]!
    discard.call(response)
    expect(response.bodyUsed).toBe(true)
    await expect(response.text()).rejects.toThrow('Body is unusable')
    await expect.poll(() => midBodyClosed, { timeout: 2000 }).toBe(before + 1)
    // A body that has fully arrived: nothing to stop, the connection stays in the pool.
    const complete = await lean(`${base}/json`, { redirect: 'manual' })
    await new Promise(resolve => setTimeout(resolve, 20))
    ;(complete as unknown as Record<symbol, () => void>)[Symbol.for('fetch-session.discard')]!.call(complete)
    expect(complete.bodyUsed).toBe(true)
    expect(await (await lean(`${base}/json`, { redirect: 'manual' })).json()).toEqual(JSON.parse(JSON_BODY))
  })

  it('cancelling the body closes the connection of a body still arriving', async () => {
    const before = midBodyClosed
    const response = await lean(`${base}/trickle-forever`, { redirect: 'manual' })
    await response.body!.cancel()
    await expect.poll(() => midBodyClosed, { timeout: 2000 }).toBe(before + 1)
  })
})

describe('through the Node adapter', () => {
  it('a session and $fetch send and parse through it; errors classify as before', async () => {
    const session = createSession({ baseURL: base, retry: false })
    expect(await session('/json')).toEqual(JSON.parse(JSON_BODY))
    const raw = await session.raw('/json')
    expect(raw).toBeInstanceOf(Response)
    expect(raw.headers.get('x-mixed-case')).toBe('Yes')
    expect(await $fetch(`${base}/gzip`)).toEqual(JSON.parse(JSON_BODY))
    await expect(session(`http://127.0.0.1:${await closedPort()}/`)).rejects.toBeInstanceOf(NetworkError)
    const error = await session('/mid-reset', { responseType: 'arrayBuffer' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    await session.close()
  })

  it('a session drops the body of a redirect it follows (the hop\'s connection closes) and reads the target', async () => {
    const session = createSession({ baseURL: base, retry: false })
    const before = midBodyClosed
    expect(await session('/redirect-trickling')).toEqual(JSON.parse(JSON_BODY))
    await expect.poll(() => midBodyClosed, { timeout: 2000 }).toBe(before + 1)
    await session.close()
  })

  it('ofetch\'s check for a body builds no stream, yet every reader the caller has gets a real one', async () => {
    const session = createSession({ baseURL: base, retry: false })
    const seen: unknown[] = []
    // A hook reads the body after ofetch's check: a real stream (tee'd by nobody, still readable).
    expect(await session('/json', { onResponse: ({ response }) => { seen.push(response.body) } })).toEqual(JSON.parse(JSON_BODY))
    expect(seen[0]).toBeInstanceOf(ReadableStream)
    // .raw: parsed into _data, and its body is a real (used) stream.
    const raw = await session.raw('/json')
    expect(raw._data).toEqual(JSON.parse(JSON_BODY))
    expect(raw.body).toBeInstanceOf(ReadableStream)
    // responseType 'stream', and a text/event-stream ofetch detects as one: the caller gets the stream.
    const stream = await session('/json', { responseType: 'stream' })
    expect(stream).toBeInstanceOf(ReadableStream)
    expect(await new Response(stream).json()).toEqual(JSON.parse(JSON_BODY))
    const events = await session<ReadableStream<Uint8Array>>('/events')
    expect(events).toBeInstanceOf(ReadableStream)
    expect(await new Response(events).text()).toBe('data: one\n\n')
    // session.native() is fetch as is: nothing armed.
    const native = await session.native(`${base}/json`)
    expect(native.body).toBeInstanceOf(ReadableStream)
    await session.close()
  })

  it('$fetch goes through globalThis.fetch when a library replaced it (mocking keeps working)', async () => {
    const original = globalThis.fetch
    const calls: string[] = []
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input))
      return original(input, init)
    }) as typeof fetch
    try {
      expect(await $fetch(`${base}/json`)).toEqual(JSON.parse(JSON_BODY))
    }
    finally {
      globalThis.fetch = original
    }
    expect(calls).toEqual([`${base}/json`])
  })

  it('$fetch sends what Node\'s fetch sends (User-Agent: node)', async () => {
    const mine = await $fetch<Seen>(`${base}/echo`)
    const theirs = await (await fetch(`${base}/echo`)).json() as Seen
    expect(mine.rawHeaders).toEqual(theirs.rawHeaders)
  })
})
