// A shared session across two `relay serve` processes on one Redis store, in two browsers: the
// owner (root) talks to server A and invites; the teammate (ann) opens the invite on server B
// and signs in there. Both see each other, every utterance attributed, and the model's replies
// (the conversation runs on A, relayed to B through Redis pub/sub).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

import { waitReady } from './conversation.mjs'
import { Stack, waitFor } from './harness.mjs'
import { bothTypeAndBothSee, signIn, tokenFor } from './team.mjs'

const stack = new Stack()
let store
let baseA
let baseB
let workspace
let tokens

/** A free loopback port. */
function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** A real redis-server of the stack (no persistence), stopped with it; resolves with its URL. */
async function redis() {
  const port = await freePort()
  const dir = join(stack.dir, 'redis')
  mkdirSync(dir, { recursive: true })
  const child = spawn(process.env.RELAY_REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  stack.cleanups.push(
    () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGKILL')
      }),
  )
  await new Promise((ready, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start in 20 s (scripts/setup/redis.sh installs it)')), 20000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (/Ready to accept connections/.test(line)) {
        clearTimeout(timer)
        ready()
      }
    })
    child.once('error', reject)
  })
  return `redis://127.0.0.1:${port}/0`
}

before(async () => {
  store = await redis()
  const peer = await stack.realtime({})
  workspace = stack.workspace()
  appendFileSync(join(workspace, 'relay.yaml'), 'team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n')
  tokens = { root: tokenFor(stack, workspace, 'root', { RELAY_STORE_URL: store }), ann: tokenFor(stack, workspace, 'ann', { RELAY_STORE_URL: store }) }
  const env = { RELAY_STORE_URL: store }
  baseA = await stack.relay({ workspace, realtimeUrl: peer.url, env })
  baseB = await stack.relay({ workspace, realtimeUrl: peer.url, env })
})
after(() => stack.stopAndCheck())

test('a shared session spans two servers on one Redis: the guest on B sees and says what the owner on A does', async () => {
  const owner = (await stack.browser()).page
  await owner.goto(`${baseA}/`)
  await signIn(owner, tokens.root)
  await waitReady(owner, stack)
  const sessionId = await owner.getByTestId('session-id').textContent()

  await owner.getByTestId('invite').click()
  const link = owner.getByTestId('invite-url')
  await waitFor('the invite link', async () => (await link.getAttribute('href'))?.includes('join='))
  const code = new URL(await link.getAttribute('href')).searchParams.get('join')

  // The same invite, opened on the other server.
  const guest = (await stack.browser()).page
  await guest.goto(`${baseB}/?join=${code}`)
  await signIn(guest, tokens.ann)
  await waitReady(guest, stack)
  assert.equal(await guest.getByTestId('session-id').textContent(), sessionId, 'the same session')
  assert.match(await guest.getByTestId('owner').textContent(), /root/)
  await waitFor('the owner to see ann join', async () => (await owner.locator('[data-testid="participants"] li[data-user="ann"]').count()) === 1)

  await bothTypeAndBothSee(owner, guest, 'hello from ann on B', 'hello from root on A')

  // The guest leaves: the owner's page shows it.
  await guest.close()
  await waitFor('the owner to see ann leave', async () => (await owner.locator('[data-testid="participants"] li[data-user="ann"]').count()) === 0)
})
