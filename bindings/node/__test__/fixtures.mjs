// Fixtures: real git repositories in a real workspace, made with the git CLI.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
}

/** Runs git in `cwd` and returns its stdout, trimmed. */
export function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim()
}

/** A fresh empty directory. */
export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'relay-node-'))
}

/** shared-api <- backend <- frontend, each a git repository with one commit on main. */
export function makeWorkspace() {
  const root = tempDir()
  writeFileSync(
    join(root, 'relay.yaml'),
    'repositories:\n  - name: shared-api\n  - name: backend\n    dependencies: [shared-api]\n' +
      '  - name: frontend\n    dependencies: [backend]\n',
  )
  for (const name of ['shared-api', 'backend', 'frontend']) {
    const repo = join(root, name)
    mkdirSync(repo)
    git(repo, 'init', '-q', '-b', 'main')
    writeFileSync(join(repo, 'README.md'), `# ${name}\n`)
    git(repo, 'add', '.')
    git(repo, 'commit', '-q', '-m', `start ${name}`)
  }
  return root
}
