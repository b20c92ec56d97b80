// No process of a run outlives Node: a Node process that exits (normally, through process.exit, or
// killed by SIGKILL) with an agent run and an environment command in flight leaves nothing behind.
// Processes of a run are found by a unique marker in their environment.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { makeWorkspace, tempDir } from './fixtures.mjs'

const relayJs = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'relay.js')

const SCRIPT = `
const fs = require('node:fs')
const relay = require(process.argv[1])
const [root, envRoot, how] = process.argv.slice(2)
const mark = 'RELAY_TEST_MARK=' + process.env.RELAY_TEST_MARK
const sleeps = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
  try {
    return fs.readFileSync('/proc/' + p + '/environ').toString().split('\\0').includes(mark) &&
      fs.readFileSync('/proc/' + p + '/cmdline').toString().startsWith('sleep\\0')
  } catch { return false }
}).length
;(async () => {
  const ws = relay.Workspace.open(root)
  // Left running on purpose: an agent run and an environment command.
  globalThis.job = ws.runAgent("sh -c 'sleep 621 & sleep 622'", { agent: 'shell' })
  const envs = relay.Environments.open({ provider: 'local', localRoot: envRoot })
  await envs.up('scratch').wait()
  envs.exec('scratch', ['sh', '-c', 'sleep 623 & sleep 624']).catch(() => {})
  while (sleeps() < 4) await new Promise((r) => setTimeout(r, 50))
  console.log('running')
  if (how === 'kill') process.kill(process.pid, 'SIGKILL')
  // "exit": process.exit with work in flight (Node would otherwise wait for it).
  process.exit(0)
})()
`

/** Live (not zombie) processes whose environment has RELAY_TEST_MARK=mark. */
function marked(mark) {
  const needle = `RELAY_TEST_MARK=${mark}`
  const found = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`).toString().split('\0')
      if (!environ.includes(needle)) continue
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()[0]
      if (state !== 'Z' && state !== 'X') {
        found.push(readFileSync(`/proc/${pid}/cmdline`).toString().replaceAll('\0', ' '))
      }
    } catch {
      // gone
    }
  }
  return found
}

for (const how of ['exit', 'kill']) {
  test(`no process of a run outlives Node (${how})`, async () => {
    const root = makeWorkspace()
    const mark = `node-${how}-${process.pid}`
    const done = spawnSync(process.execPath, ['-e', SCRIPT, relayJs, root, tempDir(), how], {
      env: { ...process.env, RELAY_TEST_MARK: mark },
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.match(done.stdout, /running/, `status ${done.status} ${done.signal}\n${done.stderr}`)
    // After SIGKILL the parent-death signal and the watchdog act asynchronously: wait (bounded).
    const deadline = Date.now() + 30_000
    let left = marked(mark)
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      left = marked(mark)
    }
    assert.deepEqual(left, [], `${how}: processes of the run are still alive\n${done.stderr}`)
  })
}
