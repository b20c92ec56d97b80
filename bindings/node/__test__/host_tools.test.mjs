// Tools written in JavaScript (`tools.register`): next to Relay's own tools in the registry,
// called through `tools.call`, by a voice session on the text transport, and by the model on the
// fake Realtime server (relay-testkit realtime).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace, tempDir } from './fixtures.mjs'
import { startRealtime } from './peers.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const peers = []
after(() => Promise.all(peers.map((p) => p.stop())))

const CITY = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }

/** Relay's repository tools plus `weather` (async) and `add` (sync); `calls` records each call. */
function toolsWithWeather(options = {}) {
  const calls = []
  const tools = new relay.Tools({ workspace: relay.Workspace.open(makeWorkspace()), ...options })
  tools.register({ name: 'weather', description: 'The weather in a city.', parameters: CITY }, async ({ city }) => {
    calls.push(['weather', city])
    await new Promise((resolve) => setTimeout(resolve, 5))
    return { city, sky: 'clear', temperature_c: 21 }
  })
  tools.register(
    {
      name: 'add',
      description: 'Adds two numbers.',
      parameters: JSON.stringify({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }),
    },
    ({ a, b }) => {
      calls.push(['add', a, b])
      return a + b
    },
  )
  return { tools, calls }
}

test('sync and async JavaScript tools are advertised next to Relay tools and called with their arguments', async () => {
  const { tools, calls } = toolsWithWeather()
  const specs = tools.specs()
  assert.ok(specs.some((s) => s.name === 'project_status'), 'Relay tools stay')
  const weather = specs.find((s) => s.name === 'weather')
  assert.deepEqual(weather, {
    name: 'weather',
    description: 'The weather in a city.',
    parameters: CITY,
    permission: 'read',
    long_running: false,
    timeout: null,
    needs_approval: false,
  })
  assert.deepEqual(tools.realtimeTools().find((t) => t.name === 'add').parameters.required, ['a', 'b'])

  assert.deepEqual(await tools.call('weather', { city: 'Oslo' }), { ok: true, value: { city: 'Oslo', sky: 'clear', temperature_c: 21 } })
  assert.deepEqual(await tools.call('add', '{"a": 2, "b": 40}'), { ok: true, value: 42 })
  assert.deepEqual(calls, [['weather', 'Oslo'], ['add', 2, 40]])

  // Whatever the handler returns is what the caller gets: a string stays a string, even one
  // that looks like JSON; returning nothing is null; toJSON is honoured.
  const returns = new relay.Tools()
  const values = { text: 'plain words', jsonish: '42', nothing: undefined, date: new Date(0), list: [1, 'two', null] }
  for (const [name, value] of Object.entries(values)) {
    returns.register({ name, description: `Returns ${name}.` }, async () => value)
  }
  assert.deepEqual(await returns.call('text'), { ok: true, value: 'plain words' })
  assert.deepEqual(await returns.call('jsonish'), { ok: true, value: '42' })
  assert.deepEqual(await returns.call('nothing'), { ok: true, value: null })
  assert.deepEqual(await returns.call('date'), { ok: true, value: '1970-01-01T00:00:00.000Z' })
  assert.deepEqual(await returns.call('list'), { ok: true, value: [1, 'two', null] })
})

test('invalid arguments and missing permissions never reach the handler', async () => {
  const { tools, calls } = toolsWithWeather()
  const missing = await tools.call('weather', {})
  assert.equal(missing.ok, false)
  assert.match(missing.value.error, /city/)
  assert.match(missing.value.hint, /fix the arguments/)
  const wrongType = await tools.call('weather', { city: 7 })
  assert.equal(wrongType.ok, false)
  assert.match(wrongType.value.error, /expected string, got integer/)
  assert.equal((await tools.call('weather', { city: 'Oslo', when: 'now' })).ok, false, 'no extra properties')
  assert.equal((await tools.call('add', '{"a": 1')).ok, false, 'not JSON')
  assert.deepEqual(calls, [])

  const readOnly = new relay.Tools({ permissions: ['read'] })
  let ran = false
  readOnly.register({ name: 'deploy', description: 'Deploys.', permission: 'write_repos' }, () => (ran = true))
  const denied = await readOnly.call('deploy', {})
  assert.equal(denied.ok, false)
  assert.match(denied.value.error, /`deploy` needs the `write_repos` permission/)
  assert.equal(ran, false)
})

test('a throwing, rejecting or unserializable handler answers ok: false with a message for the model', async () => {
  const tools = new relay.Tools()
  const handlers = {
    throws: () => {
      throw new Error('the weather service is down')
    },
    rejects: async () => {
      throw new RangeError('no such city: Atlantis')
    },
    throws_text: () => {
      throw 'plain text thrown' // eslint-disable-line no-throw-literal
    },
    bigint: () => ({ big: 10n }),
    cycle: async () => {
      const node = { name: 'loop' }
      node.self = node
      return node
    },
    a_function: () => () => 1,
  }
  for (const [name, handler] of Object.entries(handlers)) {
    tools.register({ name, description: `Handler that ${name}.` }, handler)
  }
  const error = async (name) => {
    const output = await tools.call(name, {})
    assert.equal(output.ok, false, name)
    return output.value.error
  }
  assert.match(await error('throws'), /the weather service is down/)
  assert.match(await error('rejects'), /no such city: Atlantis/)
  assert.match(await error('throws_text'), /plain text thrown/)
  assert.match(await error('bigint'), /the handler of tool `bigint` returned a value that cannot be turned into JSON \(.*BigInt/)
  assert.match(await error('cycle'), /the handler of tool `cycle` returned a value that cannot be turned into JSON \(.*circular/)
  assert.match(await error('a_function'), /the handler of tool `a_function` returned a function or a symbol/)
})

test('a handler slower than timeoutSecs fails the call with a timeout the model can relay', async () => {
  const tools = new relay.Tools()
  tools.register({ name: 'stuck', description: 'Never answers.', timeoutSecs: 1, longRunning: true }, () => new Promise(() => {}))
  assert.deepEqual(
    tools.specs().map((s) => [s.name, s.long_running, s.timeout]),
    [['stuck', true, 1000]],
  )
  const output = await tools.call('stuck', {})
  assert.equal(output.ok, false)
  assert.match(output.value.error, /stuck/)
  assert.match(output.value.error, /1 ?s|second/)
})

test('cancelling a call drops its result; the handler finishes on its own and the tool stays usable', async () => {
  const tools = new relay.Tools()
  const started = []
  const finished = []
  tools.register({ name: 'slow', description: 'Answers when told to.' }, () => {
    let answer
    const done = new Promise((resolve) => (answer = resolve))
    started.push(answer)
    return done.then((value) => (finished.push(value), value))
  })
  const job = tools.invoke('slow', {})
  while (started.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  job.cancel()
  await assert.rejects(job.wait(), { code: 'cancelled' })
  started[0]('late answer')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(finished, ['late answer'], 'the JavaScript side ran to its end')

  const again = tools.call('slow', {})
  while (started.length === 1) await new Promise((resolve) => setTimeout(resolve, 5))
  started[1]('second')
  assert.deepEqual(await again, { ok: true, value: 'second' })
})

test('registration errors throw with code usage and leave the registry as it was', () => {
  const { tools } = toolsWithWeather()
  const before = tools.specs().map((s) => s.name)
  const handler = () => 1
  const cases = [
    [{ name: 'bad name', description: 'x' }, /tool name `bad name` is not usable/],
    [{ name: 'x'.repeat(65), description: 'x' }, /is not usable/],
    [{ name: 'project_status', description: 'Mine.' }, /a tool named `project_status` is already registered/],
    [{ name: 'weather', description: 'Again.' }, /a tool named `weather` is already registered/],
    [{ name: 'scalar', description: 'x', parameters: { type: 'string' } }, /must be a JSON Schema with "type": "object"/],
    [{ name: 'list', description: 'x', parameters: [1, 2] }, /"type": "object"/],
    [{ name: 'broken', description: 'x', parameters: '{"type":' }, /are not JSON/],
    [{ name: 'silent', description: '  ' }, /needs a description/],
    [{ name: 'root', description: 'x', permission: 'sudo' }, /unknown permission `sudo`/],
  ]
  for (const [definition, message] of cases) {
    assert.throws(() => tools.register(definition, handler), { code: 'usage', kind: 'usage', message }, definition.name)
  }
  assert.throws(() => tools.register({ name: 'no_handler', description: 'x' }, 'not a function'), {
    code: 'usage',
    message: /the handler of tool `no_handler` must be a function/,
  })
  assert.throws(() => tools.register({ description: 'no name' }, handler), /Missing field `name`/)
  assert.deepEqual(tools.specs().map((s) => s.name), before)
})

/** Reads events from `iterator` until one matches `until`; returns that one. */
async function readUntil(iterator, until) {
  const seen = []
  for (;;) {
    const { value, done } = await iterator.next()
    if (done) throw new Error(`the session ended first: ${JSON.stringify(seen)}`)
    seen.push(value.type)
    if (until(value)) return value
  }
}

test('a voice session on the text transport calls a JavaScript tool; sessions keep the tools they started with', async () => {
  const { tools, calls } = toolsWithWeather()
  const session = await relay.VoiceSession.start(tools, { transport: 'text' })
  const events = session[Symbol.asyncIterator]()
  tools.register({ name: 'late', description: 'Registered after the session started.' }, () => 'late')
  const finished = (e) => e.type === 'tool_call_finished'

  session.sendText('/weather {"city": "Lisbon"}')
  const weather = await readUntil(events, finished)
  assert.deepEqual([weather.name, weather.ok], ['weather', true])
  assert.deepEqual(JSON.parse(weather.output), { city: 'Lisbon', sky: 'clear', temperature_c: 21 })
  session.sendText('/late')
  const unknown = await readUntil(events, finished)
  assert.deepEqual([unknown.name, unknown.ok], ['late', false])
  assert.match(JSON.parse(unknown.output).error, /late/)
  session.close()
  assert.deepEqual(calls, [['weather', 'Lisbon']])

  const later = await relay.VoiceSession.start(tools, { transport: 'text' })
  later.sendText('/late')
  const late = await readUntil(later[Symbol.asyncIterator](), finished)
  assert.deepEqual([late.name, late.ok, JSON.parse(late.output)], ['late', true, 'late'])
  later.close()
})

test('realtime: the model calls a JavaScript tool and its output reaches the model', async () => {
  const realtime = await startRealtime({
    api_key: 'sk-host-tools',
    turns: [{ kind: 'call', calls: [{ name: 'weather', arguments: '{"city": "Bergen"}' }] }],
  })
  peers.push(realtime)
  const { tools, calls } = toolsWithWeather()
  const session = await relay.VoiceSession.start(tools, { url: realtime.url, apiKey: 'sk-host-tools', outputAudio: false })
  session.sendText('what is the weather in Bergen?')
  const events = []
  for await (const event of session) {
    events.push(event)
    if (event.type === 'assistant_text') break
  }
  session.close()
  for await (const event of session) events.push(event)
  const finished = events.find((e) => e.type === 'tool_call_finished')
  assert.equal(finished.name, 'weather')
  assert.equal(finished.ok, true)
  assert.deepEqual(JSON.parse(finished.output), { city: 'Bergen', sky: 'clear', temperature_c: 21 })
  // The fake model echoes the function_call_output it received: the handler's value, as sent.
  assert.equal(events.find((e) => e.type === 'assistant_text').text, `Results: ${finished.output}`)
  assert.deepEqual(calls, [['weather', 'Bergen']])
})

test('a script with a registered tool exits on its own after calling it', () => {
  const script = join(tempDir(), 'tool.mjs')
  writeFileSync(
    script,
    `import { createRequire } from 'node:module'
const relay = createRequire(${JSON.stringify(import.meta.url)})('../relay.js')
const tools = new relay.Tools()
tools.register({ name: 'greet', description: 'Greets.', parameters: { type: 'object', properties: { who: { type: 'string' } } } },
  async ({ who }) => 'hello ' + who)
const { ok, value } = await tools.call('greet', { who: 'node' })
console.log(ok, value)
`,
  )
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 30000 })
  assert.equal(out.trim(), 'true hello node')
})
