/**
 * Debian's squid (`/usr/sbin/squid`) as a real forward proxy for the tests: started in the
 * foreground (`-N`) on a loopback port, with a config of its own in a temp dir (no disk cache,
 * logs and pid file in that dir), the stock access rules (`http_access deny !Safe_ports`,
 * `http_access deny CONNECT !SSL_ports`, SSL_ports being 443 plus the ports the test allows to
 * tunnel to), and optionally Basic proxy auth (`basic_ncsa_auth` with an htpasswd file made by
 * `openssl passwd -apr1`). Its access log tells how each request went through it: `GET
 * http://host/path` (absolute form) or `CONNECT host:port` (a tunnel), and as whom.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from './ports'

/** Where Debian installs squid and its Basic-auth helper. */
export const SQUID_BINARY = '/usr/sbin/squid'
const NCSA_HELPER = '/usr/lib/squid/basic_ncsa_auth'

/** One line of the access log. */
export interface SquidLogEntry {
  /** `GET`, `POST`, `CONNECT`… */
  method: string
  /** `http://127.0.0.1:PORT/path` for absolute-form requests, `127.0.0.1:PORT` for CONNECT. */
  url: string
  /** The squid result and status, e.g. `TCP_MISS/200`, `TCP_TUNNEL/200`, `TCP_DENIED/407`. */
  result: string
  /** The authenticated proxy user, or `-`. */
  user: string
}

/** A running squid. */
export interface Squid {
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  /** With `auth`: the proxy URL with the credentials in it. */
  authUrl?: string
  /** The access log so far (squid writes a line when a transaction ends: for CONNECT, when the tunnel closes). */
  log: () => SquidLogEntry[]
  /**
   * Waits until a line from index `since` on matches (squid logs a tunnel only once it closed),
   * or fails after `ms`, printing the log.
   */
  waitForLog: (match: (entry: SquidLogEntry) => boolean, options?: { since?: number, ms?: number }) => Promise<SquidLogEntry>
  /** Stops squid and waits for the process to end; removes the temp dir. */
  stop: () => Promise<void>
}

/** Options of `startSquid()`. */
export interface SquidOptions {
  /** Require Basic proxy auth with these credentials. */
  auth?: { username: string, password: string }
  /** Ports besides 443 that CONNECT may reach (the https test servers'). */
  sslPorts?: number[]
}

/** The uid and gid squid switches to when started as root (`cache_effective_user`, `proxy` on Debian). */
function effectiveUser(name: string): { uid: number, gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find(entry => entry.startsWith(`${name}:`))
  if (!line) throw new Error(`squid runs as "${name}" when started as root, and there is no such user`)
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Starts squid; resolves once it accepts connections (a few seconds at most). */
export async function startSquid(options: SquidOptions = {}): Promise<Squid> {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-squid-'))
  const port = await closedPort()
  const user = 'proxy'
  const lines = [
    `http_port 127.0.0.1:${port}`,
    'visible_hostname fetch-session-squid',
    `cache_effective_user ${user}`,
    // The stock rules of Debian's squid.conf (less the manager and localnet parts).
    `acl SSL_ports port 443${(options.sslPorts ?? []).map(item => ` ${item}`).join('')}`,
    'acl Safe_ports port 80 21 443 70 210 1025-65535 280 488 591 777',
    'acl CONNECT method CONNECT',
    'http_access deny !Safe_ports',
    'http_access deny CONNECT !SSL_ports',
  ]
  if (options.auth) {
    const hash = execFileSync('openssl', ['passwd', '-apr1', options.auth.password], { encoding: 'utf8' }).trim()
    writeFileSync(join(dir, 'passwd'), `${options.auth.username}:${hash}\n`)
    lines.push(
      `auth_param basic program ${NCSA_HELPER} ${join(dir, 'passwd')}`,
      'auth_param basic children 1 startup=1 idle=1',
      'auth_param basic realm fetch-session squid',
      'acl authenticated proxy_auth REQUIRED',
      'http_access deny !authenticated',
    )
  }
  lines.push(
    'acl loopback src 127.0.0.1/32 ::1',
    'http_access allow loopback',
    'http_access deny all',
    // No cache at all: every request reaches the origin.
    'cache deny all',
    'cache_mem 0 MB',
    'logformat fetchsession %rm %ru %Ss/%03>Hs %un',
    // Log the query too: the tests tell their requests apart by a `?key=`.
    'strip_query_terms off',
    `access_log stdio:${join(dir, 'access.log')} logformat=fetchsession`,
    `cache_log ${join(dir, 'cache.log')}`,
    'cache_store_log none',
    `pid_filename ${join(dir, 'squid.pid')}`,
    `coredump_dir ${dir}`,
    'netdb_filename none',
    'icp_port 0',
    'htcp_port 0',
    'shutdown_lifetime 0 seconds',
    'logfile_rotate 0',
  )
  writeFileSync(join(dir, 'squid.conf'), `${lines.join('\n')}\n`)
  const owner = effectiveUser(user)
  if (owner) {
    for (const file of ['', 'squid.conf', ...(options.auth ? ['passwd'] : [])]) chownSync(join(dir, file), owner.uid, owner.gid)
  }

  const child: ChildProcess = spawn(SQUID_BINARY, ['-N', '-f', join(dir, 'squid.conf')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  let running = true
  // Should the test process end without calling stop() (a crash, a forgotten afterAll), squid goes too.
  const onExit = (): void => {
    if (running) child.kill('SIGKILL')
  }
  process.once('exit', onExit)
  void exited.then(() => {
    running = false
    process.off('exit', onExit)
  })

  const stop = async (): Promise<void> => {
    if (running) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        // Its helpers too (the process group squid leads, started by us).
        if (running && child.pid) process.kill(-child.pid, 'SIGKILL')
      }, 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const started = Date.now()
  while (!(await canConnect(port))) {
    if (!running || Date.now() - started > 10_000) {
      const log = existsSync(join(dir, 'cache.log')) ? readFileSync(join(dir, 'cache.log'), 'utf8') : ''
      await stop()
      throw new Error(`squid did not start on port ${port}:\n${output}\n${log}`.trim())
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  const log = (): SquidLogEntry[] => {
    const file = join(dir, 'access.log')
    if (!existsSync(file)) return []
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
      const [method = '', url = '', result = '', name = '-'] = line.split(' ')
      return { method, url, result, user: name }
    // The readiness check above connects without a request: squid logs that as method "-".
    }).filter(entry => entry.method !== '-')
  }
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    authUrl: options.auth ? `http://${encodeURIComponent(options.auth.username)}:${encodeURIComponent(options.auth.password)}@127.0.0.1:${port}` : undefined,
    log,
    async waitForLog(match, { since = 0, ms = 5000 } = {}) {
      const until = Date.now() + ms
      for (;;) {
        const found = log().slice(since).find(match)
        if (found) return found
        if (Date.now() > until) throw new Error(`squid logged no matching request; its log:\n${log().map(entry => `${entry.method} ${entry.url} ${entry.result} ${entry.user}`).join('\n')}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    },
    stop,
  }
}
