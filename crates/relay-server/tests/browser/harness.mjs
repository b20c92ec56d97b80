// The browser tests' harness: real processes on loopback, each owned by the test and ended by it.
//   - `relay-testkit realtime`: the fake OpenAI Realtime peer (scripted model; `log()` returns
//     every client event it received, the truncations it performed, ...);
//   - `relay serve`: the real binary, on a fixture workspace (scripts/bindings-fixture.sh);
//   - Debian's chromium, headless, through playwright-core (never a downloaded browser), with a
//     fake microphone that plays a WAV made with espeak-ng and sox.
// `Stack.stop()` ends everything it started, in reverse order, and removes its temp files.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
export const CHROMIUM = process.env.RELAY_CHROMIUM ?? '/usr/bin/chromium'

function bin(name, pkg) {
  const path = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', name)
  if (!existsSync(path)) throw new Error(`${path} is missing: build it with \`cargo build -p ${pkg}\` (scripts/test-browser.sh does)`)
  return path
}

/** The `relay` binary (cargo-built). */
export const relayBin = () => bin('relay', 'relay-cli')

/** A temp directory removed by `stack.stop()`. */
function tempDir(stack, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  stack.cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Waits until `predicate()` is truthy (polling); throws `what` with `detail()` after `ms`. */
export async function waitFor(what, predicate, { ms = 20000, detail = () => '' } = {}) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await predicate()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${(await detail()) ? `: ${await detail()}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Speech for the fake microphone: `parts` are strings (spoken by espeak-ng) and numbers (seconds
 * of silence), joined into one 48 kHz mono 16-bit WAV, the format Chromium's fake capture reads.
 */
export function speechWav(dir, name, parts) {
  const pieces = []
  parts.forEach((part, i) => {
    const piece = join(dir, `${name}-${i}.wav`)
    if (typeof part === 'number') {
      execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', piece, 'trim', '0', String(part)])
    } else {
      const raw = join(dir, `${name}-${i}-espeak.wav`)
      execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-a', '100', '-w', raw, part])
      execFileSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', piece])
    }
    pieces.push(piece)
  })
  const out = join(dir, `${name}.wav`)
  execFileSync('sox', [...pieces, '-r', '48000', '-c', '1', '-b', '16', out])
  return out
}

/** Starts `command args` and resolves once a line of its output matches `ready`. */
function startProcess(stack, what, command, args, { ready, stream = 'stdout', env = {}, cwd } = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env }, cwd })
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (c) => (output.stdout += c))
  child.stderr.on('data', (c) => (output.stderr += c))
  stack.cleanups.push(() => stopChild(child))
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 20 s: ${output.stderr}`)), 20000)
    const lines = createInterface({ input: child[stream] })
    lines.on('line', (line) => {
      const match = ready.exec(line)
      if (match) {
        clearTimeout(timer)
        lines.removeAllListeners('line')
        resolveStart({ child, match, output })
      }
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (${code}) before it was ready: ${output.stderr}`))
    })
  })
}

/** Ends `child`: closes its stdin, then SIGTERM, then SIGKILL; resolves when it has exited. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      done()
    })
    child.stdin.end()
    child.kill('SIGTERM')
  })
}

/** Everything one test runs. */
export class Stack {
  constructor() {
    this.cleanups = []
    this.dir = tempDir(this, 'relay-browser-')
  }

  /** The fake Realtime peer playing `scenario` (see relay_testkit::realtime::Scenario). */
  async realtime(scenario) {
    const file = join(this.dir, 'scenario.json')
    writeFileSync(file, JSON.stringify({ record_audio: true, ...scenario }))
    const { child, match } = await startProcess(this, 'relay-testkit realtime', bin('relay-testkit', 'relay-testkit'), ['realtime', '--scenario', file, '--until-stdin-closes'], { ready: /^READY (\S+)/ })
    const lines = createInterface({ input: child.stdout })
    const pending = []
    lines.on('line', (line) => pending.shift()?.(line))
    this.peer = {
      url: match[1],
      /** What the peer saw: `{ connections: [{ client_events, truncations, ... }] }`. */
      log: () =>
        new Promise((resolveLog) => {
          pending.push((line) => resolveLog(JSON.parse(line)))
          child.stdin.write('log\n')
        }),
    }
    return this.peer
  }

  /** A fixture workspace (shared-api <- backend <- frontend), made by scripts/bindings-fixture.sh. */
  workspace() {
    const dir = join(this.dir, 'acme')
    execFileSync(join(ROOT, 'scripts/bindings-fixture.sh'), [dir])
    return dir
  }

  /**
   * `relay serve` on a free loopback port (or `bind`); resolves with its base URL. The process is
   * `stack.relayProcess` (the latest one started).
   */
  async relay({ workspace, realtimeUrl, args = [], env = {}, bind = '127.0.0.1:0' }) {
    const home = join(this.dir, 'home')
    mkdirSync(home, { recursive: true })
    const { child, match, output } = await startProcess(this, 'relay serve', bin('relay', 'relay-cli'), ['serve', '--bind', bind, ...args], {
      ready: /listening on (https?:\/\/\S+)/,
      stream: 'stderr',
      cwd: workspace,
      // Without a peer, no key: the gateway uses its offline text transport (never OpenAI).
      env: { RELAY_WORKSPACE: workspace, HOME: home, RELAY_WEBHOOK_SECRET: 'browser-test-secret', OPENAI_API_KEY: realtimeUrl ? 'sk-browser-test' : '', OPENAI_REALTIME_URL: realtimeUrl ?? '', RUST_LOG: 'warn', ...env },
    })
    this.relayOutput = output
    this.relayProcess = child
    return match[1]
  }

  /**
   * A fresh headless chromium (its own profile directory) whose microphone plays `wav` once;
   * `args` are more command-line flags. Resolves with `{ context, page, consoleErrors }`.
   */
  async browser({ wav, args: extraArgs = [] } = {}) {
    const profile = join(this.dir, `chromium-${this.browsers = (this.browsers ?? 0) + 1}`)
    mkdirSync(profile)
    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ]
    if (wav) args.push(`--use-file-for-fake-audio-capture=${wav}%noloop`)
    args.push(...extraArgs)
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args,
      viewport: { width: 390, height: 844 }, // a phone
      timeout: 30000,
    })
    this.cleanups.push(() => context.close().catch(() => {}))
    const page = context.pages()[0] ?? (await context.newPage())
    const consoleErrors = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    page.on('pageerror', (error) => consoleErrors.push(String(error)))
    return { context, page, consoleErrors }
  }

  /**
   * Processes still alive that belong to this stack: a command line naming its directory (the
   * browsers' profiles, the peer's scenario) or a working directory inside it (`relay serve`).
   */
  leftovers() {
    const found = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
      try {
        const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
        if (state === 'Z') continue
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
        const cwd = readlinkSync(`/proc/${entry}/cwd`)
        if (cmdline.includes(this.dir) || cwd.startsWith(this.dir)) found.push(`${entry}: ${cmdline.slice(0, 200)}`)
      } catch {
        // It ended while we looked.
      }
    }
    return found
  }

  /** Ends every process and removes every temp directory, newest first. */
  async stop() {
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup()
      } catch {
        // Keep cleaning up.
      }
    }
    this.cleanups = []
  }

  /** Stops everything and fails if any process of this stack is still alive 5 s later. */
  async stopAndCheck() {
    const dir = this.dir
    await this.stop()
    const left = await waitFor('no process left', () => this.leftovers().length === 0 || null, { ms: 5000, detail: () => this.leftovers().join('\n') }).catch((e) => e)
    if (left instanceof Error) throw new Error(`processes of the stack in ${dir} outlived it: ${left.message}`)
  }
}

/** PCM16 little-endian samples in a base64 string: their RMS level, 0–1. */
export function base64Level(base64) {
  const bytes = Buffer.from(base64, 'base64')
  let sum = 0
  const n = Math.floor(bytes.length / 2)
  for (let i = 0; i < n; i++) {
    const s = bytes.readInt16LE(i * 2)
    sum += s * s
  }
  return n ? Math.sqrt(sum / n) / 32768 : 0
}

/** `window.relayMetrics` of `page`. */
export function metricsOf(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.relayMetrics)))
}
