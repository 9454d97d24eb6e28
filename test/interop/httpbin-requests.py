"""The scenarios of test/conformance/entries/httpbin.ts, with Python requests (the reference).

Run by test/interop/httpbin.test.ts with Debian's /usr/bin/python3 (python3-requests):
`python3 httpbin-requests.py '{"base": "http://127.0.0.1:PORT"}'`. Prints one line of JSON,
`{ scenario: observation }`, in the shapes the TypeScript entry prints.
"""
import hashlib
import json
import sys
import time
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth
from urllib3.util.retry import Retry

base = json.loads(sys.argv[1])['base']


def session(**defaults):
    s = requests.Session()
    for key, value in defaults.items():
        setattr(s, key, value)
    return s


def json_body(r):
    return r.json() if r.headers.get('Content-Type', '').startswith('application/json') else None


def summary(r):
    return {'status': r.status_code, 'url': r.url, 'hops': [{'status': h.status_code, 'url': h.url} for h in r.history]}


def cookies_set_on_a_redirect_hop():
    s = session()
    first = s.get(base + '/cookies/set?alpha=1&beta=two')
    again = s.get(base + '/cookies').json()
    return {**summary(first), 'cookies': first.json()['cookies'], 'again': again['cookies']}


def redirect_chains_carry_the_cookies():
    s = session()
    s.get(base + '/cookies/set?chain=1')
    chains = {}
    for path in ['/redirect/3', '/relative-redirect/2', '/absolute-redirect/2']:
        r = s.get(base + path)
        chains[path] = {**summary(r), 'cookie': r.json()['headers'].get('Cookie')}
    late = s.get(base + '/redirect-to?url=' + quote('/cookies/set?late=2', safe=''))
    chains['late'] = {**summary(late), 'cookies': late.json()['cookies']}
    return chains


def cookies_delete():
    s = session()
    s.get(base + '/cookies/set?a=1&b=2')
    deleted = s.get(base + '/cookies/delete?a')
    return {**summary(deleted), 'cookies': deleted.json()['cookies'], 'again': s.get(base + '/cookies').json()['cookies']}


def default_headers_and_per_request_override():
    s = session()
    s.headers.update({'X-Default': 'session', 'User-Agent': 'interop/1'})

    def seen(headers=None):
        echoed = s.get(base + '/headers', headers=headers).json()['headers']
        return [echoed.get('X-Default'), echoed.get('User-Agent')]
    return [seen(), seen({'X-Default': 'request'}), seen({'x-default': 'lower case'}), seen()]


def basic_auth():
    ok = session(auth=('u', 'p')).get(base + '/basic-auth/u/p')
    wrong = session(auth=('u', 'wrong')).get(base + '/basic-auth/u/p')
    return {'right': {'status': ok.status_code, 'body': ok.json()}, 'wrong': {'status': wrong.status_code}}


def digest_auth():
    results = {}
    for path in ['/digest-auth/auth/u/p/MD5', '/digest-auth/auth/u/p/SHA-256', '/digest-auth/auth/u/p/MD5?require-cookie=1']:
        r = session(auth=HTTPDigestAuth('u', 'p')).get(base + path)
        results[path] = {'status': r.status_code, 'body': json_body(r)}
    return results


def digest_auth_stateless():
    r = requests.get(base + '/digest-auth/auth/u/p/MD5?require-cookie=1', auth=HTTPDigestAuth('u', 'p'))
    return {'status': r.status_code, 'body': json_body(r)}


def content_encodings():
    s = session()
    results = {}
    for path, flag in [('/gzip', 'gzipped'), ('/deflate', 'deflated'), ('/brotli', 'brotli')]:
        r = s.get(base + path)
        results[path] = {'status': r.status_code, flag: r.json()[flag], 'method': r.json()['method']}
    results['acceptEncoding'] = s.get(base + '/headers').json()['headers']['Accept-Encoding']
    return results


def retried_503():
    s = session()
    s.mount('http://', HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[503], backoff_factor=0, raise_on_status=False)))
    r = s.get(base + '/status/503')
    return {'attempts': len(r.raw.retries.history) + 1, 'status': r.status_code, 'error': None}


def redirect_to_307_and_303():
    s = session()
    results = {}
    for status in [307, 303]:
        r = s.post(base + '/redirect-to?url=/anything&status_code=%d' % status, json={'a': 1, 's': 'x'})
        body = r.json()
        results[str(status)] = {**summary(r), 'method': body['method'], 'json': body['json'], 'bodySent': body['data'] != ''}
    return results


def response_headers_set_cookie():
    s = session()
    r = s.get(base + '/response-headers?Set-Cookie=k1%3Dv1&Set-Cookie=k2%3Dv2%3B%20Path%3D%2F')
    return {'status': r.status_code, 'setCookie': r.raw.headers.getlist('Set-Cookie'), 'cookies': s.get(base + '/cookies').json()['cookies']}


def anything():
    s = session()
    query = s.get(base + '/anything', params={'a': '1', 'list': ['x', 'y'], 'text': 'é & = ?'}).json()
    form = s.post(base + '/anything', data={'name': 'fetch session', 'symbols': 'é&=+'}).json()
    body = s.post(base + '/anything', json={'n': 1, 's': 'é', 'nested': {'ok': True}, 'list': [1, 2]}).json()
    return {
        'query': {'method': query['method'], 'args': query['args']},
        'form': {'method': form['method'], 'form': form['form'], 'contentType': form['headers']['Content-Type']},
        'json': {'method': body['method'], 'json': body['json'], 'contentType': body['headers']['Content-Type']},
    }


def stream():
    lines = [json.loads(line) for line in session().get(base + '/stream/20').iter_lines() if line]
    return {'lines': len(lines), 'ids': [line['id'] for line in lines], 'url': lines[0]['url']}


def bytes_with_a_seed():
    content = session().get(base + '/bytes/4096?seed=7').content
    return {'length': len(content), 'sha256': hashlib.sha256(content).hexdigest()}


def elapsed_ms(start):
    return round((time.monotonic() - start) * 1000)


def drip_with_a_timeout():
    s = session()
    whole = len(s.get(base + '/drip?duration=0.4&numbytes=4').content)
    start = time.monotonic()
    length, error = None, None
    try:
        # requests' timeout bounds each read from the socket, not the whole response.
        length = len(s.get(base + '/drip?duration=2&numbytes=5', timeout=0.6).content)
    except requests.exceptions.RequestException as caught:
        error = {'name': type(caught).__name__, 'elapsed': elapsed_ms(start)}
    return {'whole': whole, 'slow': {'length': length, 'error': error, 'elapsed': elapsed_ms(start)}}


def delay_with_a_deadline():
    start = time.monotonic()
    try:
        session().get(base + '/delay/3', timeout=0.5)
        name = None
    except requests.exceptions.RequestException as caught:
        name = type(caught).__name__
    return {'timedOut': name in ('ReadTimeout', 'ConnectTimeout', 'Timeout'), 'name': name, 'phase': None, 'elapsed': elapsed_ms(start)}


SCENARIOS = {
    'cookies set on a redirect hop': cookies_set_on_a_redirect_hop,
    'redirect chains carry the cookies': redirect_chains_carry_the_cookies,
    'cookies/delete': cookies_delete,
    'default headers and per-request override': default_headers_and_per_request_override,
    'basic auth': basic_auth,
    'digest auth': digest_auth,
    "digest auth, stateless, with the challenge's cookie": digest_auth_stateless,
    'content encodings': content_encodings,
    '503 retried': retried_503,
    'redirect-to 307 and 303 with a body': redirect_to_307_and_303,
    'response-headers Set-Cookie': response_headers_set_cookie,
    'anything: query, form and JSON': anything,
    'stream/20': stream,
    'bytes with a seed': bytes_with_a_seed,
    'drip with a timeout': drip_with_a_timeout,
    'delay with a deadline': delay_with_a_deadline,
}

observations = {}
for name, scenario in SCENARIOS.items():
    try:
        observations[name] = scenario()
    except Exception as error:  # recorded, like the TypeScript entry does
        observations[name] = {'failed': '%s: %s' % (type(error).__name__, error)}
print(json.dumps(observations))
