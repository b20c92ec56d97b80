// Rendering: every frame of the conversation becomes (or updates) an element. Elements carry
// `data-testid` hooks (documented in docs/serve.md, "The page") and data attributes with their
// state, so tests and people see the same thing.

const $ = (selector) => document.querySelector(selector)

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue
    if (key === 'class') node.className = value
    else if (key === 'text') node.textContent = value
    else node.setAttribute(key, value)
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child)
  return node
}

function scrollToEnd(list) {
  list.lastElementChild?.scrollIntoView({ block: 'end', behavior: 'smooth' })
}

export function setStatus(text, state) {
  const status = $('[data-testid="status"]')
  status.textContent = text
  status.dataset.state = state
}

export function showSession({ session_id, user, role, owner, participants }) {
  $('[data-testid="session-id"]').textContent = session_id ?? ''
  const who = $('[data-testid="user"]')
  who.textContent = user ? `${user}${role ? ` (${role})` : ''}` : ''
  who.hidden = !user
  const ownerIsOther = owner && user && owner !== user
  $('[data-testid="owner"]').textContent = ownerIsOther ? `in ${owner}'s session` : ''
  setParticipants(participants ?? [])
}

export function setParticipants(participants) {
  const list = $('[data-testid="participants"]')
  list.replaceChildren(
    ...participants.map((p) => {
      const name = typeof p === 'string' ? p : p.user
      const role = typeof p === 'string' ? null : p.role
      return el('li', { 'data-user': name, text: role ? `${name} (${role})` : name })
    }),
  )
  list.hidden = participants.length < 2
}

/** One line of the transcript; `role` is user, assistant, notification or system. */
export function utterance({ role, speaker, itemId, text }) {
  const list = $('[data-testid="transcript"]')
  let entry = itemId ? list.querySelector(`[data-item-id="${CSS.escape(itemId)}"]`) : null
  if (!entry) {
    const label = speaker ?? { user: 'You', assistant: 'Relay', notification: 'Notice', system: '' }[role]
    entry = el(
      'li',
      { 'data-testid': 'utterance', 'data-role': role, 'data-speaker': speaker ?? role, 'data-item-id': itemId },
      el('span', { class: 'speaker', text: label }),
      el('span', { class: 'text', 'data-testid': 'utterance-text' }),
    )
    list.append(entry)
  }
  if (text !== undefined) entry.querySelector('.text').textContent = text
  scrollToEnd(list)
  return entry
}

/** Appends a delta of the assistant's reply text. */
export function assistantDelta(itemId, delta) {
  const entry = utterance({ role: 'assistant', itemId })
  entry.dataset.state = 'streaming'
  entry.querySelector('.text').textContent += delta
}

export function assistantDone(itemId, text) {
  const entry = utterance({ role: 'assistant', itemId, text })
  entry.dataset.state = 'done'
}

export function interrupted(itemId, audioEndMs) {
  const entry = itemId && $(`[data-testid="transcript"] [data-item-id="${CSS.escape(itemId)}"]`)
  if (!entry) return
  entry.dataset.interrupted = String(audioEndMs)
  entry.title = `interrupted after ${(audioEndMs / 1000).toFixed(1)} s`
}

function toolEntry(callId, name) {
  const list = $('[data-testid="tools"]')
  let entry = list.querySelector(`[data-call-id="${CSS.escape(callId)}"]`)
  if (!entry) {
    entry = el(
      'li',
      { 'data-testid': 'tool', 'data-call-id': callId, 'data-name': name, 'data-state': 'running' },
      el('div', { class: 'tool-head' }, el('code', { class: 'tool-name', text: name }), el('span', { class: 'tool-state', 'data-testid': 'tool-state', text: 'running' })),
      el('progress', { 'data-testid': 'tool-bar', hidden: '' }),
      el('div', { class: 'tool-progress', 'data-testid': 'tool-progress' }),
      el('div', { class: 'tool-result', 'data-testid': 'tool-result' }),
    )
    list.append(entry)
    list.closest('section').hidden = false
  }
  scrollToEnd(list)
  return entry
}

export function toolStarted({ call_id, name, arguments: args, speaker }) {
  const entry = toolEntry(call_id, name)
  entry.title = args ?? ''
  if (speaker) entry.dataset.speaker = speaker
}

export function toolProgress({ call_id, name, message, done, total, repo }) {
  const entry = toolEntry(call_id, name)
  entry.querySelector('.tool-progress').textContent = repo && message && !message.includes(repo) ? `${repo}: ${message}` : (message ?? '')
  entry.dataset.updates = String(Number(entry.dataset.updates ?? 0) + 1)
  const bar = entry.querySelector('progress')
  if (Number.isFinite(total) && total > 0 && Number.isFinite(done)) {
    bar.max = total
    bar.value = done
    bar.hidden = false
  }
}

/** A short line for a tool's output: its `summary` when it has one, else the start of it. */
export function outputSummary(output) {
  try {
    const value = JSON.parse(output)
    if (value && typeof value === 'object') {
      for (const key of ['summary', 'message', 'error']) if (typeof value[key] === 'string') return value[key]
    }
    if (typeof value === 'string') return value
  } catch {
    // Not JSON: plain text.
  }
  const text = String(output ?? '')
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

export function toolFinished({ call_id, name, ok, output }) {
  const entry = toolEntry(call_id, name)
  entry.dataset.state = ok ? 'ok' : 'failed'
  entry.querySelector('.tool-state').textContent = ok ? 'done' : 'failed'
  entry.querySelector('.tool-result').textContent = outputSummary(output)
  const bar = entry.querySelector('progress')
  if (!bar.hidden) bar.value = bar.max
}

/** The briefing panel; `briefing` is text or an object ({ text | summary, items: [...] }). */
export function briefing(value) {
  const panel = $('[data-testid="briefing"]')
  const body = panel.querySelector('.briefing-body')
  body.replaceChildren()
  if (typeof value === 'string') {
    if (value.trim()) body.append(el('p', { text: value }))
  } else if (value && typeof value === 'object') {
    const head = value.text ?? value.summary ?? value.sentence
    if (typeof head === 'string') body.append(el('p', { text: head }))
    const items = value.items ?? value.changes ?? value.repos
    if (Array.isArray(items)) {
      body.append(el('ul', {}, ...items.map((item) => el('li', { text: typeof item === 'string' ? item : (item.sentence ?? item.text ?? item.summary ?? JSON.stringify(item)) }))))
    }
    if (!body.hasChildNodes()) body.append(el('pre', { text: JSON.stringify(value, null, 2) }))
  }
  panel.hidden = !body.hasChildNodes()
}

/** An approval card with approve/deny buttons; `answer(id, decision)` is called on a press. */
export function approvalRequested(request, answer, me) {
  const list = $('[data-testid="approvals"]')
  const mayAnswer = !request.approvers?.length || (me && request.approvers.includes(me))
  const approve = el('button', { type: 'button', class: 'approve', 'data-testid': 'approve', text: 'Approve' })
  const session = el('button', { type: 'button', class: 'approve-session', 'data-testid': 'approve-session', text: 'Always this session' })
  const deny = el('button', { type: 'button', class: 'deny', 'data-testid': 'deny', text: 'Deny' })
  const card = el(
    'li',
    { 'data-testid': 'approval', 'data-approval-id': request.id, 'data-state': 'pending' },
    el('p', { class: 'question', 'data-testid': 'approval-question', text: request.question }),
    request.requested_by ? el('p', { class: 'requested-by', text: `asked for ${request.requested_by}` }) : null,
    el('div', { class: 'buttons' }, approve, session, deny),
    el('p', { class: 'resolution', 'data-testid': 'approval-resolution' }),
  )
  for (const [button, decision] of [[approve, 'allow'], [session, 'allow_for_session'], [deny, 'deny']]) {
    button.disabled = !mayAnswer
    button.addEventListener('click', () => {
      for (const b of card.querySelectorAll('button')) b.disabled = true
      card.dataset.state = 'answered'
      answer(request.id, decision)
    })
  }
  if (!mayAnswer) card.querySelector('.resolution').textContent = `waiting for ${request.approvers.join(' or ')}`
  list.append(card)
  list.closest('section').hidden = false
  card.scrollIntoView({ block: 'nearest' })
}

const VIA = { button: 'by button', voice: 'by voice', timeout: 'nobody answered in time', terminal: 'at a terminal', policy: 'by policy', callback: 'by the application', unavailable: 'nobody could answer' }

export function approvalResolved(id, answer) {
  const card = $(`[data-testid="approval"][data-approval-id="${CSS.escape(id)}"]`)
  if (!card) return
  const allowed = answer.decision !== 'deny'
  card.dataset.state = allowed ? 'allowed' : 'denied'
  card.dataset.decision = answer.decision
  card.dataset.via = answer.via
  for (const b of card.querySelectorAll('button')) b.disabled = true
  const word = { allow: 'Allowed', allow_for_session: 'Allowed for this session', deny: 'Denied' }[answer.decision] ?? answer.decision
  const who = answer.answered_by ? ` by ${answer.answered_by}` : ''
  const how = VIA[answer.via] ?? answer.via
  card.querySelector('.resolution').textContent = `${word}${who}, ${how}${answer.reason ? ` (${answer.reason})` : ''}`
}

export function error({ code, message, hint }) {
  const list = $('[data-testid="errors"]')
  list.append(el('li', { 'data-testid': 'error', 'data-code': code ?? 'error' }, el('strong', { text: code ?? 'error' }), ` ${message ?? ''}`, hint ? el('div', { class: 'hint', text: hint }) : null))
  list.hidden = false
  while (list.children.length > 5) list.firstElementChild.remove()
}

export function showInvite({ code, url }) {
  const link = $('[data-testid="invite-url"]')
  const full = url ? new URL(url, location.href).href : `${location.origin}/?join=${encodeURIComponent(code)}`
  link.textContent = full
  link.href = full
  link.dataset.code = code ?? ''
  link.closest('.invite').hidden = false
}

export function showSignIn(message) {
  $('[data-testid="signin"]').hidden = false
  $('[data-testid="conversation"]').hidden = true
  const note = $('[data-testid="signin-error"]')
  note.textContent = message ?? ''
  note.hidden = !message
  $('[data-testid="signin-token"]').focus()
}

export function hideSignIn() {
  $('[data-testid="signin"]').hidden = true
  $('[data-testid="conversation"]').hidden = false
}

export function setTalk({ on, mode, speaking }) {
  const talk = $('[data-testid="talk"]')
  talk.setAttribute('aria-pressed', String(on))
  talk.dataset.mic = on ? 'on' : 'off'
  talk.dataset.speaking = speaking ? 'yes' : 'no'
  talk.querySelector('.label').textContent = mode === 'push' ? (on ? 'Talking…' : 'Hold to talk') : on ? 'Listening — tap to stop' : 'Tap to talk'
  const modeButton = $('[data-testid="mode"]')
  modeButton.dataset.mode = mode
  modeButton.textContent = mode === 'push' ? 'Push to talk' : 'Hands-free'
}
