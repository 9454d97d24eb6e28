/**
 * A small forward proxy for the tests: absolute-URI requests (`GET http://host/path`) are
 * forwarded, `CONNECT host:port` opens a tunnel (https, or http when the client tunnels), or is
 * answered `502` when that host cannot be reached. It counts what went through it, so tests can
 * show a request really used the proxy. Optional `Proxy-Authorization` check, and an optional
 * status every CONNECT is answered with instead of a tunnel (`connectStatus: 403`, as a stock squid
 * answers CONNECT to a port it does not allow). Asked directly (`GET /__stats`), it answers with
 * its counters.
 */
import { request as httpRequest, createServer, STATUS_CODES } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

/** What went through the proxy. */
export interface ProxyStats {
  /** Absolute-URI requests forwarded, as `METHOD url`. */
  forwarded: string[]
  /** CONNECT tunnels opened, as `host:port`. */
  connects: string[]
  /** `Proxy-Authorization` values seen (forwarded requests and CONNECTs). */
  authorizations: string[]
  /** Requests refused for missing or wrong credentials. */
  refused: number
  /** CONNECTs answered with `connectStatus` (credentials, if required, were right). */
  denied: number
}

/** A running proxy. */
export interface TestProxy {
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  stats: ProxyStats
  reset: () => void
  /** Sockets currently open to or through the proxy. */
  openSockets: () => number
  close: () => Promise<void>
}

/** Options of `startProxy()`. */
export interface ProxyOptions {
  /** 'user:pass': requests without those credentials get 407. */
  auth?: string
  /** Answer every CONNECT with this status (and an HTML body, as squid does) instead of opening the tunnel. */
  connectStatus?: number
}

/** Starts the proxy. */
export async function startProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const stats: ProxyStats = { forwarded: [], connects: [], authorizations: [], refused: 0, denied: 0 }
  const sockets = new Set<Socket>()
  const expected = options.auth ? `Basic ${Buffer.from(options.auth).toString('base64')}` : undefined

  const authorized = (req: IncomingMessage): boolean => {
    const value = req.headers['proxy-authorization']
    if (value) stats.authorizations.push(value)
    if (expected && value !== expected) {
      stats.refused++
      return false
    }
    return true
  }

  const server: Server = createServer((req, res) => {
    const target = req.url ?? '/'
    if (!/^https?:\/\//i.test(target)) {
      // Asked directly, not as a proxy.
      if (target.startsWith('/__stats')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(stats))
        return
      }
      res.writeHead(400).end('this is a proxy')
      return
    }
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end()
      return
    }
    stats.forwarded.push(`${req.method} ${target}`)
    const url = new URL(target)
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = httpRequest({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 80, method: req.method, path: url.pathname + url.search, headers }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers)
      response.pipe(res)
    })
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    // A client may reset the connection after a refusal (407, `connectStatus`): nothing to do then.
    client.on('error', () => client.destroy())
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n')
      return
    }
    if (options.connectStatus !== undefined) {
      stats.denied++
      const body = `<html><body><h1>ERROR</h1><p>Access Denied (CONNECT ${req.url})</p></body></html>`
      client.end(`HTTP/1.1 ${options.connectStatus} ${STATUS_CODES[options.connectStatus] ?? 'Refused'}\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
      return
    }
    const target = req.url ?? ''
    stats.connects.push(target)
    const separator = target.lastIndexOf(':')
    const host = target.slice(0, separator).replace(/^\[|\]$/g, '')
    const port = Number(target.slice(separator + 1))
    let established = false
    const upstream = connect(port, host, () => {
      established = true
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => {
      // The host cannot be reached: answer the CONNECT as real proxies do (squid: 503), not with a reset.
      if (!established) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      else client.destroy()
    })
    client.on('error', () => upstream.destroy())
  })

  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    reset() {
      stats.forwarded.length = 0
      stats.connects.length = 0
      stats.authorizations.length = 0
      stats.refused = 0
      stats.denied = 0
    },
    openSockets: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
