// run.mjs - run the HTTP working group's cache tests (http-cache-tests)
// through a forward proxy, and write each test's result as JSON.
//
// The suite's own client fetches its server directly: it does not honour
// HTTP_PROXY. Here every request goes through an agent that connects to
// the proxy and writes the request target in absolute form, as a client
// of a forward proxy does (RFC 9112 section 3.2.2).
//
// Usage: node run.mjs SUITE_DIR BASE_URL PROXY_HOST:PORT OUT.json
import http from 'node:http'
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [suiteDir, baseUrl, proxy, out] = process.argv.slice(2)
const [proxyHost, proxyPort] = proxy.split(':')
const load = file => import(pathToFileURL(path.join(suiteDir, file)).href)

// An agent that sends every request to the proxy, in absolute form.
class ProxyAgent extends http.Agent {
  constructor () {
    super({ keepAlive: false })
    this.sent = 0
  }

  addRequest (req, options) {
    req.path = `http://${options.host}:${options.port}${req.path}`
    this.sent++
    super.addRequest(req, options)
  }

  createConnection (options, callback) {
    return net.connect({ host: proxyHost, port: Number(proxyPort) }, callback)
  }
}

const { runTests, getResults } = await load('client/runner.mjs')
const { determineTestResult } = await load('lib/display.mjs')
const { default: tests } = await load('tests/index.mjs')
const { default: surrogate } = await load('tests/surrogate-control.mjs')
const { default: fetch } = await import(pathToFileURL(
  path.join(suiteDir, '..', 'node-fetch', 'lib', 'index.mjs')).href)
tests.push(surrogate)

const agent = new ProxyAgent()
const viaProxy = (url, init = {}) => fetch(url, { ...init, agent })
await runTests(tests, viaProxy, false, baseUrl)

// The suite's result symbols (lib/display.mjs), named.
const names = {
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'not optimal',
  Y: 'yes',
  N: 'no',
  '🔹': 'setup failure',
  '⁉️': 'harness failure',
  '⚪️': 'dependency failure',
  '↻': 'retry',
  '-': 'untested'
}
const results = getResults()
const report = { sent: agent.sent, tests: [] }
for (const suite of tests) {
  for (const test of suite.tests) {
    const kind = determineTestResult(tests, test.id, results)
    report.tests.push({
      id: test.id,
      name: test.name,
      kind: test.kind || 'required',
      result: names[kind[2]] || kind[2],
      detail: String((results[test.id] || [])[1] || '')
    })
  }
}
fs.writeFileSync(out, JSON.stringify(report, null, 1))
