/**
 * Entry for workerd: an ES module worker. `POST /` with the suite's env as a JSON body (or
 * `GET /?env=<json>&filter=<regexp>`) runs the suite inside the request and answers the report as
 * JSON. Every fetch of the suite happens inside that request, as it would in a real Worker.
 */
import { runConformance } from '../run'

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url)
      const text = request.method === 'POST' ? await request.text() : url.searchParams.get('env') ?? ''
      const report = await runConformance(JSON.parse(text), url.searchParams.get('filter') ?? undefined)
      return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } })
    }
    catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error)
      return new Response(JSON.stringify({ error: message }), { status: 500, headers: { 'content-type': 'application/json' } })
    }
  },
}
