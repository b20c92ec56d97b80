// The page over TLS: `relay serve --tls-cert/--tls-key` with a throwaway self-signed certificate
// made here (openssl), and chromium trusting exactly that certificate's key
// (`--ignore-certificate-errors-spki-list`, not a blanket ignore). The page loads over https,
// its conversation socket is wss, and a typed turn completes; a browser that does not trust the
// certificate gets no page at all.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

import { startConversation, waitReady } from './conversation.mjs'
import { waitFor } from './harness.mjs'

const stacks = []
after(() => Promise.all(stacks.map((s) => s.stopAndCheck())))

/** A self-signed certificate for 127.0.0.1 in `dir`: its files and its key's SPKI SHA-256 (base64). */
function selfSigned(dir) {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' })
  const publicKey = execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout'])
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: publicKey })
  const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64')
  return { cert, key, spki }
}

test('the page over https talks over wss, trusting exactly the server certificate', async (t) => {
  let tls
  const { stack, base, page, consoleErrors } = await startConversation(
    stacks,
    { turns: [{ kind: 'say', text: 'The backend is green.', audio_ms: 1500 }], audio_chunk_ms: 100, chunk_interval_ms: 100 },
    null,
    {
      relayArgs: (stack) => {
        tls = selfSigned(stack.dir)
        return ['--tls-cert', tls.cert, '--tls-key', tls.key]
      },
      browserArgs: () => [`--ignore-certificate-errors-spki-list=${tls.spki}`],
    },
  )
  assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(new URL(page.url()).protocol, 'https:')
  // The conversation socket the page opened: wss, on the same origin.
  const sockets = []
  page.on('websocket', (ws) => sockets.push(ws.url()))
  await page.reload()
  await waitReady(page, stack)
  await waitFor('the conversation socket', () => sockets.length > 0)
  assert.ok(sockets.every((url) => url.startsWith(`wss://${new URL(base).host}/v1/conversation?`)), sockets.join(', '))

  // A typed turn completes: the reply's transcript is shown and its audio arrives.
  await page.getByTestId('text-input').fill('how is the backend?')
  await page.getByTestId('send').click()
  await page.locator('[data-testid="utterance"][data-role="assistant"]').filter({ hasText: 'The backend is green.' }).waitFor({ timeout: 20000 })
  await waitFor('reply audio', () => page.evaluate(() => window.relayMetrics.received.bytes > 0))
  assert.equal(await page.evaluate(() => window.isSecureContext), true)
  assert.deepEqual(consoleErrors, [])

  // A browser that trusts nothing extra is refused the page (the certificate is self-signed).
  const { page: untrusting } = await stack.browser()
  const refused = await untrusting.goto(`${base}/`).then(
    () => null,
    (error) => error,
  )
  assert.ok(refused && /ERR_CERT/.test(refused.message), `an untrusting browser loaded the page: ${refused?.message}`)
  t.diagnostic(`served at ${base}; socket ${sockets[0]}`)
})
