/**
 * Entry for the browser page (index.html): runs the example against the page's own origin (the
 * test server, which serves the page from /__static/) and shows each line in `#lines`. When it
 * ends, `<body data-state>` is `done` or `failed`.
 */
import { runExample } from '../example'

const output = document.getElementById('lines')!
const show = (line: string): void => {
  output.textContent += `${output.textContent ? '\n' : ''}${line}`
}

try {
  await runExample({ baseURL: location.origin, print: show })
  document.body.dataset.state = 'done'
}
catch (error) {
  show(`FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  document.body.dataset.state = 'failed'
}
