// Test peers, the same ones the Rust tests use, started through the `relay-testkit` binary:
// the fake Anthropic Messages API (for the real `claude` CLI) and the fake OpenAI Realtime server.
// Each peer is a child process owned by the test; `stop()` ends it (tests call it in `after`).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

function targetDir() {
  return process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target')
}

/** The `relay-testkit` binary; throws with the build command when it is missing. */
export function testkitBin() {
  const bin = join(targetDir(), 'debug', 'relay-testkit')
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build it with \`cargo build -p relay-testkit\` (scripts/test-bindings.sh does)`)
  }
  return bin
}

/** The real `claude` CLI: RELAY_CLAUDE_BIN, else `.tools/npm/bin/claude`; throws how to install it. */
export function claudeBin() {
  const candidates = [process.env.RELAY_CLAUDE_BIN, join(ROOT, '.tools/npm/bin/claude')].filter(Boolean)
  const found = candidates.find((path) => existsSync(path))
  if (!found) throw new Error(`the real claude CLI is required (checked ${candidates.join(', ')}): run scripts/setup/claude.sh`)
  return found
}

/**
 * Environment for the CLI against a fake API at `baseUrl`, with its state under `home` (never the
 * developer's ~/.claude); retries and network traffic without a peer here are off.
 */
export function claudeEnv(baseUrl, home) {
  return {
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'test',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
  }
}

/** Starts `relay-testkit <args>` and resolves with the child and its first stdout line. */
function startPeer(args, { stdin = 'ignore' } = {}) {
  const child = spawn(testkitBin(), args, { stdio: [stdin, 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolvePeer, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.once('line', (line) => resolvePeer({ child, line }))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`relay-testkit ${args[0]} exited (${code}) before it was ready: ${stderr}`)))
  })
}

function writeTemp(name, value) {
  const path = join(mkdtempSync(join(tmpdir(), 'relay-peer-')), name)
  writeFileSync(path, JSON.stringify(value))
  return path
}

/**
 * The fake Anthropic API answering `turns` in order (`{ kind: 'reply', text, tool_uses: [{ name,
 * input }] }`, `{ kind: 'error', status, error_type, message }`, `{ kind: 'hang' }`).
 */
export async function startAnthropic(turns) {
  const { child, line } = await startPeer(['anthropic', '--script', writeTemp('script.json', { turns })])
  return { url: line.trim(), stop: () => stopChild(child, () => child.kill('SIGTERM')) }
}

/** The fake OpenAI Realtime server playing `scenario` (see relay_testkit::realtime::Scenario). */
export async function startRealtime(scenario = {}) {
  const { child, line } = await startPeer(
    ['realtime', '--scenario', writeTemp('scenario.json', scenario), '--until-stdin-closes'],
    { stdin: 'pipe' },
  )
  const match = /^READY (\S+)/.exec(line)
  if (!match) throw new Error(`relay-testkit realtime printed ${line}`)
  return { url: match[1], stop: () => stopChild(child, () => child.stdin.end()) }
}

/**
 * The fake Proxmox VE API (TLS) accepting API token `tokenId=secret`, with template guests like
 * `qemu:9001:ubuntu-tmpl`. Resolves with `{ url, node, caFile, env, stop }`: `env` holds the
 * PROXMOX_* variables Relay reads.
 */
export async function startProxmox({ tokenId, secret, templates = [], taskMs = 80 }) {
  const caFile = join(mkdtempSync(join(tmpdir(), 'relay-peer-')), 'pve-ca.pem')
  const args = ['proxmox', '--token', `${tokenId}=${secret}`, '--ca-out', caFile, '--task-ms', String(taskMs)]
  for (const template of templates) args.push('--template', template)
  const { child, line } = await startPeer(args, { stdin: 'pipe' })
  const { url, node } = JSON.parse(line)
  const env = {
    PROXMOX_URL: url,
    PROXMOX_NODE: node,
    PROXMOX_TOKEN_ID: tokenId,
    PROXMOX_TOKEN_SECRET: secret,
    PROXMOX_CA_FILE: caFile,
  }
  return { url, node, caFile, env, stop: () => stopChild(child, () => child.stdin.end()) }
}

/**
 * The GitHub peer (seeded; every request is checked against GitHub's OpenAPI description and
 * GraphQL schema). Resolves with its greeting `{ url, graphql_url, token, viewer }` plus
 * `stop()`, which closes its stdin and resolves with `{ code, stderr }`: a request GitHub's API
 * description does not allow makes the exit code non-zero, with the reason in `stderr`.
 */
export async function startGitHub() {
  const { child, line } = await startPeer(['github'], { stdin: 'pipe' })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const stop = async () => {
    await stopChild(child, () => child.stdin.end())
    return { code: child.exitCode, stderr }
  }
  return { ...JSON.parse(line), stop }
}

function stopChild(child, ask) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    child.once('exit', done)
    ask()
  })
}

/** Live processes (not zombies) whose command line contains `needle`. */
export function processesMatching(needle) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (cmdline.includes(needle) && state !== 'Z') found.push({ pid: Number(entry), cmdline })
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/** Live processes whose working directory is `dir` or below it. */
export function processesIn(dir) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`)
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if ((cwd === dir || cwd.startsWith(dir + '/')) && state !== 'Z') found.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/** Polls `predicate` until true or `ms` pass; resolves with its last value. */
export async function eventually(predicate, ms = 10000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = predicate()
    if (value || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 50))
  }
}
