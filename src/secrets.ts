/**
 * What counts as a secret in what the package prints (error messages, their causes), and the
 * redaction of URLs and runtime messages that carry one. Runtime-neutral and without imports, so
 * every module (and the tests) can use the one list.
 *
 * @module
 */

/**
 * Query (and fragment) parameters whose values are secrets, as real services name them: OAuth 2
 * and OpenID Connect, OAuth 1.0a, AWS SigV4 and S3 presigned URLs, Google Cloud Storage signed
 * URLs, Azure SAS, GitLab, Slack, Stripe, Twilio, Firebase, SAML, session ids, and the generic
 * names. A name matches whatever its case and separators: `accessToken`, `access_token`,
 * `Access-Token` and `access.token` are one name (see {@link isSecretName}).
 */
export const SECRET_PARAMETER_NAMES: readonly string[] = /* @__PURE__ */ Object.freeze([
  // OAuth 2 (RFC 6749, 7636, 8628, 8693) and OpenID Connect
  'access_token', 'refresh_token', 'id_token', 'token', 'code', 'client_secret', 'client_assertion',
  'assertion', 'code_verifier', 'device_code', 'user_code', 'subject_token', 'actor_token',
  'id_token_hint', 'logout_token', 'token_hash',
  // OAuth 1.0a
  'oauth_token', 'oauth_token_secret', 'oauth_signature', 'oauth_verifier',
  // Generic
  'auth', 'authorization', 'auth_token', 'authToken', 'accessToken', 'api_key', 'api-key', 'apikey',
  'apiKey', 'x-api-key', 'key', 'secret', 'secret_key', 'private_key', 'access_key', 'password',
  'passwd', 'pwd', 'pass', 'passphrase', 'signature', 'sig', 'hmac', 'jwt', 'bearer', 'otp',
  'credential', 'credentials', 'ticket', 'session', 'session_id', 'sessionid', 'session_token', 'sid',
  // AWS SigV4 and S3 presigned URLs
  'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'AWSAccessKeyId', 'Signature',
  // Google Cloud Storage signed URLs
  'X-Goog-Signature', 'X-Goog-Credential', 'GoogleAccessId',
  // Azure shared access signatures (and Azure Functions' `code`)
  'sig', 'se', 'skoid', 'sktid',
  // GitLab
  'private_token', 'job_token', 'trigger_token',
  // Slack, Stripe, Twilio, Meta webhooks, Firebase, Shopify
  'xoxb', 'payment_intent_client_secret', 'setup_intent_client_secret', 'AuthToken', 'hub.verify_token',
  'oobCode', 'shop_token',
  // SAML, server sessions
  'SAMLResponse', 'PHPSESSID', 'JSESSIONID', 'ASPSESSIONID',
])

/**
 * Endings that make a name secret too (normalised: lower case, letters and digits only), so that
 * `csrf_token`, `upload_signature` or `db_password` are redacted without being listed.
 */
const SECRET_ENDINGS: readonly string[] = Object.freeze(['token', 'secret', 'password', 'passwd', 'signature', 'apikey', 'accesskey', 'secretkey', 'privatekey', 'sessionid', 'credential', 'credentials'])

/** A name in its normalised form: lower case, letters and digits only (`X-Amz-Signature` → `xamzsignature`). */
function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/**
 * The names of {@link SECRET_PARAMETER_NAMES} that no ending of `SECRET_ENDINGS` covers, in
 * normalised form: what matching needs, kept short for the browser bundle. The tests check that
 * every listed name matches.
 */
const NORMALISED: ReadonlySet<string> = new Set('code clientassertion assertion codeverifier devicecode usercode idtokenhint tokenhash oauthverifier auth authorization key pass pwd passphrase sig hmac jwt bearer otp ticket session sid awsaccesskeyid googleaccessid se skoid sktid xoxb oobcode samlresponse phpsessid jsessionid aspsessionid'.split(' '))

/**
 * True when a parameter of this name carries a secret: one of {@link SECRET_PARAMETER_NAMES} or
 * a name ending like one (`…token`, `…secret`, `…password`, `…signature`, `…apikey`…), compared
 * in normalised form (case, `-`, `_`, `.`, brackets and percent-encoding ignored).
 */
export function isSecretName(name: string): boolean {
  let decoded = name
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '))
  }
  catch {}
  const normal = normaliseName(decoded)
  return normal !== '' && (NORMALISED.has(normal) || SECRET_ENDINGS.some(ending => normal.endsWith(ending)))
}

/** What a secret value is printed as. */
export const REDACTED = 'REDACTED'

/** `name=value` pairs of a query or fragment (`&` or `;` between them), secret values replaced. */
function redactPairs(text: string): string {
  return text.split(/([&;])/).map((pair) => {
    const equals = pair.indexOf('=')
    if (equals === -1 || equals === pair.length - 1) return pair
    const name = pair.slice(0, equals)
    return isSecretName(name) ? `${name}=${REDACTED}` : pair
  }).join('')
}

/** The query and fragment of `rest` (what follows the authority), secret values replaced. */
function redactQueryAndFragment(rest: string): string {
  const hash = rest.indexOf('#')
  const beforeHash = hash === -1 ? rest : rest.slice(0, hash)
  // A fragment of `name=value` pairs is a query in disguise (OAuth's implicit flow puts tokens there).
  const fragment = hash === -1 ? '' : rest.slice(hash)
  const question = beforeHash.indexOf('?')
  const head = question === -1 ? beforeHash : beforeHash.slice(0, question)
  const query = question === -1 ? '' : `?${redactPairs(beforeHash.slice(question + 1))}`
  return head + query + (fragment.includes('=') ? `#${redactPairs(fragment.slice(1))}` : fragment)
}

/** A scheme and what may follow it before the authority (`https://`, `http:\\`, `//`). */
const AUTHORITY_START = /^(\s*(?:[a-z][a-z\d+.-]*:)?[\\/]{2})/i

/**
 * The URL as printed in messages: no `user:password@`, and the values of secret parameters (see
 * {@link isSecretName}) in its query, or in a fragment of `name=value` pairs, replaced by
 * `REDACTED`. Works on any text that is meant as a URL, also one that does not parse (relative
 * references, a bad port, a space in the host): there, everything up to the last `@` of the
 * authority part is dropped, since where a password ends cannot be told.
 */
export function redactURL(url: string): string {
  if (!/[@?#]/.test(url)) return url
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  }
  catch {}
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) {
    let text = url
    if (parsed.username || parsed.password) {
      parsed.username = ''
      parsed.password = ''
      text = parsed.href
    }
    return redactQueryAndFragment(text)
  }
  const start = AUTHORITY_START.exec(url)
  if (!start) return redactQueryAndFragment(url)
  const rest = url.slice(start[1]!.length)
  // Up to the query or fragment: a password may hold a `/` that the parser would take for the path.
  const end = rest.search(/[?#]/)
  const authority = end === -1 ? rest : rest.slice(0, end)
  const at = authority.lastIndexOf('@')
  const withoutUserinfo = at === -1 ? rest : `${REDACTED}@${rest.slice(at + 1)}`
  return start[1] + redactQueryAndFragment(withoutUserinfo)
}

/** URLs in free text (a runtime's message): a scheme, `//`, and up to a space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'<>`]+/gi

/** Runtime messages that quote a header value (Node: `"…" is an invalid header value`; Deno: `Invalid header value: "…"`). */
const HEADER_VALUE_IN_TEXT: readonly RegExp[] = Object.freeze([
  /"(?:[^"\\]|\\.)*"(?= is an invalid header value)/g,
  /(?<=Invalid header value: )"(?:[^"\\]|\\.)*"/gi,
])

/**
 * `text` (a message, a stack, a runtime error's property) with every URL in it passed through
 * {@link redactURL} and every quoted header value the runtimes print replaced by `"REDACTED"`.
 * Punctuation right after a URL (`)`, `,`, `.`, `:`) stays outside it.
 */
export function redactText(text: string): string {
  let out = text.replace(URL_IN_TEXT, (match) => {
    const trailing = /[).,;:\]]+$/.exec(match)?.[0] ?? ''
    return redactURL(match.slice(0, match.length - trailing.length)) + trailing
  })
  for (const pattern of HEADER_VALUE_IN_TEXT) out = out.replace(pattern, `"${REDACTED}"`)
  return out
}
