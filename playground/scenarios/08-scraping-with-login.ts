/**
 * Article: "Scraping with Login" (BeautifulSoup → happy-dom).
 *
 *   login_page = session.get('/login'); csrf_token = soup.find('input', {'name': 'csrf_token'})['value']
 *   session.post('/login', data={username, password, csrf_token})
 *   protected_page = session.get('/dashboard')
 *
 * The server's POST /login sets `sid` on a 302 to /dashboard: the session follows the redirect
 * itself, hop by hop, so the cookie of the redirect hop is kept and sent to /dashboard.
 */
import { Window } from 'happy-dom'
import { createSession } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Web scraping with login and a CSRF token (happy-dom)'

async function scrapeProtectedContent(baseURL: string, username: string, password: string): Promise<string> {
  const session = createSession({ baseURL })
  const window = new Window()
  try {
    step('GET /login and extract the CSRF token')
    const loginPage = await session('/login', { responseType: 'text' })
    const soup = new window.DOMParser().parseFromString(loginPage, 'text/html')
    const csrfToken = soup.querySelector('input[name="csrf_token"]')?.getAttribute('value')
    check(csrfToken, 'a csrf_token input on the login page')
    show('csrf_token', csrfToken)
    show('cookies after GET /login', (await session.cookies!.getCookies(baseURL)).map(cookie => cookie.key))

    step('POST /login (form-encoded); the session follows the 302')
    const loginData = new URLSearchParams({ username, password, csrf_token: csrfToken })
    const response = await session.raw('/login', { method: 'POST', body: loginData, responseType: 'text' })
    show('final response', `${response.status} ${new URL(response.url).pathname}`)
    show('response.history', (response.history ?? []).map(hop => `${hop.method} ${new URL(hop.url).pathname} -> ${hop.status} ${new URL(hop.location).pathname}`))
    show('cookies after login', (await session.cookies!.getCookies(baseURL)).map(cookie => cookie.key))

    step('GET /dashboard (protected)')
    const protectedPage = await session('/dashboard', { responseType: 'text' })
    return protectedPage
  }
  finally {
    await window.happyDOM.close()
    await session.close()
  }
}

export async function run({ server }: Context): Promise<void> {
  const content = await scrapeProtectedContent(server.url, 'myuser', 'mypass')
  const window = new Window()
  try {
    const page = new window.DOMParser().parseFromString(content, 'text/html')
    const welcome = page.querySelector('.welcome')?.textContent
    show('.welcome', welcome)
    check(welcome === 'Welcome, myuser!', 'the dashboard for myuser')
    note(`content: ${content.length} characters of HTML`)
  }
  finally {
    await window.happyDOM.close()
  }
}
