/**
 * Debian's nginx, started by the tests on loopback with a configuration of their own in a
 * temporary folder (`nginx -p <dir> -c nginx.conf -e error.log -g 'daemon off;'`): its pid file,
 * logs and temporary files stay in that folder, and it prints nothing to the test output.
 *
 * Three listeners, each on a free loopback port:
 * - `https`: TLS with a certificate signed by the test CA (test/helpers/tls.ts), HTTP/2 and HTTP/1.1 (ALPN);
 * - `https1`: the same, HTTP/1.1 only;
 * - `http`: plain HTTP.
 *
 * Locations (on every listener):
 *   /info          { protocol: $server_protocol, scheme, connection: $connection, requests: $connection_requests, acceptEncoding }
 *   /client-cert   403 unless the client presented a certificate the test CA signed
 *                  (`ssl_verify_client optional`), else 200 { subject: $ssl_client_s_dn }
 *   /gzip          a JSON body, gzip-compressed when the client accepts it (`gzip on`, `gzip_types`)
 *   /headers       { userAgent, xTest, cookie }: request headers through `$http_…` variables
 *   /json          static JSON
 *   /redirect      302 to /json
 *
 * nginx runs as one process (`master_process off`), so that stopping it leaves no worker behind.
 * nginx cannot listen on port 0 and tell the port, so the ports are probed free first; on a
 * collision nginx exits ("Address already in use") and is started again on other ports. It is
 * ready when its plain listener answers `/__id` with this start's random id (then the port is
 * nginx's, not some other program's, and nginx has bound every listener).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from './ports'
import { requireDependency } from './dependencies'
import type { TestCertificates } from './tls'

/** A running nginx. */
export interface Nginx {
  /** `https://127.0.0.1:PORT`: TLS, HTTP/2 or HTTP/1.1. */
  https: string
  /** `https://127.0.0.1:PORT`: TLS, HTTP/1.1 only. */
  https1: string
  /** `http://127.0.0.1:PORT` */
  http: string
  /** What nginx wrote to its error log (level `warn` and above) and its stderr: nothing in a clean run. */
  errors: () => string[]
  /** Stops nginx (fast shutdown) and removes its folder; resolves once it has exited. */
  close: () => Promise<void>
}

const INFO = `'{"protocol":"$server_protocol","scheme":"$scheme","connection":$connection,"requests":$connection_requests,"acceptEncoding":"$http_accept_encoding"}'`

function locations(id: string): string {
  return `
    default_type application/json;
    location = /__id { return 200 '${id}'; }
    location = /info { return 200 ${INFO}; }
    location = /client-cert {
      if ($ssl_client_verify != SUCCESS) { return 403 '{"error":"a client certificate is required","verify":"$ssl_client_verify"}'; }
      return 200 '{"subject":"$ssl_client_s_dn","verify":"$ssl_client_verify"}';
    }
    location = /gzip {
      gzip on;
      gzip_types application/json;
      gzip_min_length 0;
      return 200 '{"compressed":"when asked","acceptEncoding":"$http_accept_encoding","padding":"${'nginx '.repeat(64)}"}';
    }
    location = /headers { return 200 '{"userAgent":"$http_user_agent","xTest":"$http_x_test","cookie":"$http_cookie"}'; }
    location = /json { return 200 '{"ok":true,"server":"nginx"}'; }
    location = /redirect { return 302 /json; }
    location / { return 404 '{"error":"not found"}'; }`
}

function configuration(dir: string, ports: { https: number, https1: number, http: number }, id: string): string {
  const tls = `
    ssl_certificate ${join(dir, 'server.pem')};
    ssl_certificate_key ${join(dir, 'server.key')};
    ssl_client_certificate ${join(dir, 'ca.pem')};
    ssl_verify_client optional;`
  return `
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_timeout 30s;
  keepalive_requests 1000;
  server_tokens off;
  server {
    listen 127.0.0.1:${ports.https} ssl http2;${tls}${locations(id)}
  }
  server {
    listen 127.0.0.1:${ports.https1} ssl;${tls}${locations(id)}
  }
  server {
    listen 127.0.0.1:${ports.http};${locations(id)}
  }
}
`
}

/** Three distinct free loopback ports. */
async function freePorts(): Promise<{ https: number, https1: number, http: number }> {
  const ports = new Set<number>()
  while (ports.size < 3) ports.add(await closedPort())
  const [https, https1, http] = [...ports] as [number, number, number]
  return { https, https1, http }
}

/** Starts nginx with TLS on `certificates` (the server's, and the CA that signs client certificates). */
export async function startNginx(certificates: TestCertificates): Promise<Nginx> {
  const nginx = requireDependency('nginx')
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-nginx-'))
  writeFileSync(join(dir, 'server.pem'), certificates.cert)
  writeFileSync(join(dir, 'server.key'), certificates.key)
  writeFileSync(join(dir, 'ca.pem'), certificates.ca)
  try {
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts()
      const id = randomUUID()
      writeFileSync(join(dir, 'nginx.conf'), configuration(dir, ports, id))
      const started = await launch(nginx, dir, `http://127.0.0.1:${ports.http}`, id)
      if ('child' in started) {
        const { child, stderr } = started
        const errors = (): string[] => {
          const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''
          return `${log}${stderr()}`.split('\n').filter(Boolean)
        }
        return {
          https: `https://127.0.0.1:${ports.https}`,
          https1: `https://127.0.0.1:${ports.https1}`,
          http: `http://127.0.0.1:${ports.http}`,
          errors,
          close: async () => {
            await stop(child)
            rmSync(dir, { recursive: true, force: true })
          },
        }
      }
      // Another program took a port between the probe and nginx's bind: new ports, once more.
      if (!/Address already in use/.test(started.output) || attempt >= 3) throw new Error(`nginx did not start:\n${started.output}`)
    }
  }
  catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

type Launched = { child: ChildProcess, stderr: () => string } | { output: string }

/** Starts nginx; resolves once `/__id` answers with `id`, or with its output when it exits first. */
async function launch(nginx: string, dir: string, http: string, id: string): Promise<Launched> {
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  child.once('exit', () => process.removeListener('exit', killOnExit))
  const output = (): string => `${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return { output: output() }
    const answer = await fetch(`${http}/__id`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(1000) })
      .then(response => response.text())
      .catch(() => undefined)
    if (answer === id) return { child, stderr: () => stderr }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  await stop(child)
  return { output: `nginx did not answer within 15 s\n${output()}` }
}

/** SIGTERM (nginx's fast shutdown), SIGKILL after 5 s; resolves once it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
