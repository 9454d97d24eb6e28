/**
 * A CommonJS consumer (see consumer-types.test.ts): the package is ESM-only, so it loads it with
 * `await import()`, and imports types with `resolution-mode: 'import'`.
 */
import type { Session } from 'fetch-session' with { 'resolution-mode': 'import' }

export async function main(): Promise<void> {
  const { createSession, HTTPError } = await import('fetch-session')
  const session: Session = createSession({ baseURL: 'https://api.example.com' })
  try {
    const text: string = await session<string>('/robots.txt', { responseType: 'text' })
    void text
  }
  catch (error) {
    if (error instanceof HTTPError) console.log(error.status)
  }
  finally {
    await session.close()
  }
}
