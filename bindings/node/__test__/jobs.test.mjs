// Jobs from Node: async iteration, results, errors and cancellation, through the real
// relay_core::Job machinery (the synthetic job emits real events on the real runtime).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')
const { syntheticJob } = require('../testing.js')

test('version is the crate version', () => {
  assert.match(relay.version(), /^\d+\.\d+\.\d+$/)
})

test('for await yields every event in order as objects', async () => {
  const job = syntheticJob({ events: 2500 })
  const events = []
  for await (const event of job) events.push(event)
  assert.equal(events.length, 2502)
  assert.deepEqual(events.map((e) => e.seq), [...Array(2502).keys()])
  assert.ok(events.every((e) => e.job === job.id))
  assert.equal(events[0].type, 'job_started')
  assert.equal(events[0].operation, 'synthetic')
  assert.deepEqual(events[1], {
    job: job.id,
    seq: 1,
    at_ms: events[1].at_ms,
    type: 'progress',
    done: 1,
    total: 2500,
    repo: null,
    message: 'synthetic event',
  })
  assert.equal(events.at(-1).type, 'job_finished')
  assert.equal(events.at(-1).status, 'succeeded')
  assert.equal(await job.wait(), 2500)
})

test('wait without reading events resolves to the result', async () => {
  assert.equal(await syntheticJob({ events: 10000 }).wait(), 10000)
})

test('a failed job rejects with an Error carrying code, kind and message', async () => {
  const job = syntheticJob({ events: 3, failWith: 'disk full on /srv' })
  const events = []
  for await (const event of job) events.push(event)
  assert.equal(events.at(-1).status, 'failed')
  assert.equal(events.at(-1).error, 'disk full on /srv')
  await assert.rejects(job.wait(), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'synthetic_failure')
    assert.equal(err.kind, 'repo')
    assert.equal(err.message, 'disk full on /srv')
    return true
  })
})

test('cancel ends the stream and wait rejects with code cancelled', async () => {
  const job = syntheticJob({ events: 1000000, intervalMs: 1000 })
  const seen = []
  for await (const event of job) {
    seen.push(event)
    if (event.type === 'progress') job.cancel()
  }
  assert.equal(seen.length, 3, 'no progress may follow the cancellation')
  assert.equal(seen.at(-1).type, 'job_finished')
  assert.equal(seen.at(-1).status, 'cancelled')
  await assert.rejects(job.wait(), { code: 'cancelled', kind: 'cancelled' })
})

test('a second wait rejects as a usage error', async () => {
  const job = syntheticJob({ events: 1 })
  assert.equal(await job.wait(), 1)
  await assert.rejects(job.wait(), { code: 'usage', kind: 'usage' })
  assert.equal(await job.nextBatch(), null)
})

test('a long stream leaves room for timers', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  let count = 0
  let bytes = 0
  // A consumer slower than the producer: every batch is ready when asked for.
  for await (const event of syntheticJob({ events: 200000 })) {
    count++
    bytes += JSON.stringify(event).length
  }
  clearInterval(timer)
  assert.ok(bytes > 0)
  assert.equal(count, 200002)
  assert.ok(ticks > 0, 'no timer ran during the stream')
})
