import { createServer } from 'node:net'

/** A loopback port where nothing listens (bound, noted, released). */
export async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise(resolve => probe.close(resolve))
  return port
}
