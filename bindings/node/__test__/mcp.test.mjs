// `tools.serveMcp()`: Relay's tools and the app's own JavaScript tools served over MCP
// (Streamable HTTP). The client speaks the protocol's JSON-RPC over fetch, as the spec writes
// it: initialize, notifications/initialized, tools/list, tools/call, with the session header.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

import { makeWorkspace } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const REPO = { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'], additionalProperties: false }

/** A minimal MCP client over Streamable HTTP. */
function client(url, token) {
  let session = null
  let id = 0
  async function post(message) {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    }
    if (token) headers.authorization = `Bearer ${token}`
    if (session) headers['mcp-session-id'] = session
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(message) })
    session = response.headers.get('mcp-session-id') ?? session
    const text = await response.text()
    if (message.id === undefined) return { status: response.status }
    if (response.status !== 200) return { status: response.status, text }
    // An SSE stream (data: lines) or one JSON object.
    const messages = (response.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter(Boolean).map((l) => JSON.parse(l))
      : [JSON.parse(text)]
    const reply = messages.find((m) => m.id === message.id)
    assert.ok(reply, `no reply to ${message.method} in ${text}`)
    return reply
  }
  const request = (method, params) => post({ jsonrpc: '2.0', id: ++id, method, params })
  return {
    request,
    async initialize() {
      const init = await request('initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'node-test', version: '0' },
      })
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
      return init
    },
    async call(name, args) {
      const reply = await request('tools/call', { name, arguments: args })
      assert.ok(reply.result, JSON.stringify(reply))
      return { isError: reply.result.isError, value: JSON.parse(reply.result.content[0].text) }
    },
  }
}

test('Relay tools and JavaScript tools are served to an MCP client, read-only by default', async () => {
  const tools = new relay.Tools({ workspace: relay.Workspace.open(makeWorkspace()) })
  const seen = []
  tools.register({ name: 'owner', description: 'Who owns a repository.', parameters: REPO }, async ({ repo }) => {
    seen.push(repo)
    return { repo, owner: 'payments team' }
  })
  const server = tools.serveMcp({ token: 't0ken' })
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    const mcp = client(server.url, 't0ken')
    const init = await mcp.initialize()
    assert.equal(init.result.serverInfo.name, 'relay')
    const listed = (await mcp.request('tools/list', {})).result.tools
    const owner = listed.find((t) => t.name === 'owner')
    assert.deepEqual(owner.inputSchema, REPO)
    assert.ok(listed.some((t) => t.name === 'impact_analysis'))

    assert.deepEqual(await mcp.call('owner', { repo: 'backend' }), {
      isError: false,
      value: { repo: 'backend', owner: 'payments team' },
    })
    assert.deepEqual(seen, ['backend'])
    const impact = await mcp.call('impact_analysis', { repos: ['shared-api'] })
    assert.deepEqual(impact.value.direct_dependents, ['backend'])

    const bad = await mcp.call('owner', { repo: 7 })
    assert.equal(bad.isError, true)
    assert.match(bad.value.error, /`repo`: expected string, got integer/)
    const refused = await mcp.call('sync_repos', {})
    assert.equal(refused.isError, true)
    assert.match(refused.value.error, /needs the `write_repos` permission/)

    const wrong = await client(server.url, 'wrong').request('ping', {})
    assert.equal(wrong.status, 401)
  } finally {
    server.close()
  }
})

test('a bad address or permission throws a usage error', () => {
  const tools = new relay.Tools({ workspace: relay.Workspace.open(makeWorkspace()) })
  assert.throws(() => tools.serveMcp({ http: 'nowhere' }), { code: 'usage', message: /`nowhere` is not an address/ })
  assert.throws(() => tools.serveMcp({ allow: ['root'] }), { code: 'usage', message: /unknown permission `root`/ })
})
