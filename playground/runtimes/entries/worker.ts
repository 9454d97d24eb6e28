/**
 * Entry for workerd: an ES module worker. `GET /?base=<baseURL>` runs the example inside that
 * request (every fetch of it is a subrequest, as in a real Worker) and answers
 * `{ lines, error? }` as JSON.
 */
import { runExample } from '../example'

export default {
  async fetch(request: Request): Promise<Response> {
    const baseURL = new URL(request.url).searchParams.get('base')
    if (!baseURL) return Response.json({ lines: [], error: 'missing ?base=' }, { status: 400 })
    const lines: string[] = []
    try {
      await runExample({ baseURL, print: line => lines.push(line) })
      return Response.json({ lines })
    }
    catch (error) {
      return Response.json({ lines, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, { status: 500 })
    }
  },
}
