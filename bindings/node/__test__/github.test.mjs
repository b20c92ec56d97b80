// GitHub from Node against the GitHub peer (relay-testkit github), whose every request is
// checked against GitHub's OpenAPI description and GraphQL schema: the same operations and
// results as bindings/python/tests/test_github.py.
import { afterEach, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { git, tempDir } from './fixtures.mjs'
import { startGitHub } from './peers.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

/** `api` (on GitHub by its URL) and `app` (by its `github:` key, depending on api). */
function githubWorkspace() {
  const root = tempDir()
  for (const name of ['api', 'app']) {
    mkdirSync(join(root, name))
    git(join(root, name), 'init', '-q', '-b', 'main')
  }
  writeFileSync(
    join(root, 'relay.yaml'),
    'repositories:\n' +
      '  - name: api\n    url: git@github.com:acme/api.git\n' +
      '  - name: app\n    github: acme/app\n    dependencies: [api]\n',
  )
  return relay.Workspace.open(root)
}

let peer
beforeEach(async () => {
  peer = await startGitHub()
})
afterEach(async () => {
  // A request GitHub's API description does not allow fails the test here.
  const { code, stderr } = await peer.stop()
  assert.equal(code, 0, stderr)
})

const openGitHub = (ws) =>
  relay.GitHub.open(ws, { token: peer.token, apiUrl: peer.url, graphqlUrl: peer.graphql_url })

test('briefing, pull requests, checks and issues', async () => {
  const gh = openGitHub(githubWorkspace())
  const briefing = await gh.briefing()
  assert.deepEqual(
    briefing.repos.map((r) => r.name),
    ['api', 'app'],
  )
  assert.deepEqual(
    briefing.highlights.map((h) => h.kind),
    ['failing_checks', 'review_requested', 'urgent_issue', 'assigned_issues'],
  )
  assert.equal(briefing.highlights[0].text, 'api: 1 check failing on main (test).')

  const pulls = await gh.pullRequests({ reviewRequested: true })
  assert.deepEqual(
    pulls.map((p) => [p.name, p.author]),
    [['app', 'maria']],
  )
  const pr = await gh.pullRequest('app', pulls[0].number)
  assert.deepEqual(pr.files[0], { path: 'src/login.ts', status: 'added', additions: 40, deletions: 0 })
  assert.match(pr.summary, /by maria/)

  const checks = await gh.checks('api', 'main')
  assert.equal(checks.state, 'failure')
  assert.deepEqual(checks.failing, ['test'])
  const issues = await gh.issues()
  assert.equal(issues[0].title, 'Checkout broken')
  assert.equal(issues[0].urgent, true)
  const onlyApp = await gh.issues({ repos: ['app'] })
  assert.ok(onlyApp.every((i) => i.name === 'app'), JSON.stringify(onlyApp))
})

test('writes: review, pull requests in dependency order, an issue; merge refused; bad input', async () => {
  const gh = openGitHub(githubWorkspace())
  const number = (await gh.pullRequests())[0].number
  const review = await gh.review('app', number, 'approve', {
    body: 'Nice',
    comments: [{ path: 'src/login.ts', line: 3, body: 'Use a constant' }],
  })
  assert.ok(review.url)
  const opened = await gh.createPullRequests('rename', 'Rename', { repos: ['app', 'api'] })
  assert.deepEqual(
    opened.map((o) => o.repo),
    ['api', 'app'],
  )
  const issue = await gh.createIssue('api', 'Flaky test', { labels: ['bug'] })
  assert.ok(issue.url.endsWith(`/issues/${issue.number}`), issue.url)

  await assert.rejects(gh.merge('no-such-branch'), (e) => e.code === 'refused' && e.kind === 'github')
  await assert.rejects(gh.review('app', number, 'lgtm'), (e) => e.kind === 'usage')
  await assert.rejects(
    gh.review('app', number, 'comment', { comments: [{ line: 'three' }] }),
    (e) => e.kind === 'usage' && /comments must be a list of \{path, line, body\}/.test(e.message),
  )
  await assert.rejects(gh.merge('rename', { method: 'fast-forward' }), (e) => e.kind === 'usage')
  await assert.rejects(
    gh.pullRequest('nope', 1),
    (e) => e.kind === 'usage' && /unknown repository `nope`: give a workspace name or OWNER\/NAME/.test(e.message),
  )
})

test('a missing token names both variables; a non-Workspace is refused', () => {
  const saved = { GITHUB_TOKEN: process.env.GITHUB_TOKEN, GH_TOKEN: process.env.GH_TOKEN }
  delete process.env.GITHUB_TOKEN
  delete process.env.GH_TOKEN
  try {
    const ws = githubWorkspace()
    assert.throws(
      () => relay.GitHub.open(ws),
      (e) => e.code === 'github_missing_token' && e.kind === 'github' && /GITHUB_TOKEN/.test(e.message) && /GH_TOKEN/.test(e.message),
    )
    assert.throws(() => relay.GitHub.open({}, { token: 't' }), /expected an instance of Workspace/)
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value
  }
})
