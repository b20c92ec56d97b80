// The conversation socket (docs/serve.md, protocol 1): `GET /v1/conversation` upgraded to a
// WebSocket; binary frames are audio, text frames JSON. Before connecting (and after a refused
// connection) `GET /auth/whoami` tells whether the server wants the user to sign in: a refused
// upgrade is invisible to a WebSocket, but the status of a plain request is not.

export const PROTOCOL = 1
export const ENDPOINT = '/v1/conversation'

/** The conversation URL for `params` (`session`, `join`), on this page's host. */
export function conversationUrl(params = {}, base = location.href) {
  const url = new URL(ENDPOINT, base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('protocol', String(PROTOCOL))
  for (const key of ['session', 'join']) if (params[key]) url.searchParams.set(key, params[key])
  return url.href
}

export const WHOAMI = '/auth/whoami'

/**
 * Whether this browser may talk to the server: `'signin'` (401: show the sign-in form),
 * `'forbidden'` (403), `'limited'` (429), `'unreachable'`, or `'ok'` (signed in, no token needed,
 * or a server without authentication routes), each with the server's message.
 */
export async function probe() {
  let response
  try {
    response = await fetch(WHOAMI, { credentials: 'same-origin', cache: 'no-store' })
  } catch (error) {
    return { state: 'unreachable', message: `the server cannot be reached (${error.message})` }
  }
  const message = await response.text().then(readMessage, () => '')
  if (response.status === 401) return { state: 'signin', message }
  if (response.status === 403) return { state: 'forbidden', message }
  if (response.status === 429) return { state: 'limited', message }
  return { state: 'ok' }
}

function readMessage(text) {
  try {
    const value = JSON.parse(text)
    return [value.error ?? value.message, value.hint].filter(Boolean).join(' — ')
  } catch {
    return text.slice(0, 300)
  }
}

/** Signs in with `token` (`POST /auth/signin`, which sets the session cookie). */
export async function signIn(token) {
  const response = await fetch('/auth/signin', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  if (response.ok) return { ok: true }
  const message = await response.text().then(readMessage, () => '')
  if (response.status === 429) return { ok: false, message: message || 'Too many attempts: wait a minute and try again.' }
  return { ok: false, message: message || `The server refused that token (${response.status}).` }
}

/**
 * One conversation socket. `handlers`: `onOpen()`, `onFrame(json)`, `onAudio(ArrayBuffer)`,
 * `onClose({ code, reason, opened, closedByServer })`.
 */
export class Connection {
  constructor(params, handlers) {
    this.params = params
    this.handlers = handlers
    this.socket = null
    this.serverClosed = false
  }

  open() {
    const socket = new WebSocket(conversationUrl(this.params))
    socket.binaryType = 'arraybuffer'
    let opened = false
    socket.onopen = () => {
      opened = true
      this.handlers.onOpen?.()
    }
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') {
        let frame
        try {
          frame = JSON.parse(event.data)
        } catch {
          this.handlers.onFrame?.({ type: 'error', code: 'bad_server_frame', message: `the server sent a frame that is not JSON: ${event.data.slice(0, 100)}` })
          return
        }
        if (frame.type === 'closed') this.serverClosed = true
        this.handlers.onFrame?.(frame)
      } else {
        this.handlers.onAudio?.(event.data)
      }
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      this.handlers.onClose?.({ code: event.code, reason: event.reason, opened, closedByServer: this.serverClosed })
    }
    this.socket = socket
  }

  get open_() {
    return this.socket?.readyState === WebSocket.OPEN
  }

  /** Sends a JSON frame; false when the socket is not open. */
  send(frame) {
    if (!this.open_) return false
    this.socket.send(JSON.stringify(frame))
    return true
  }

  /** Sends audio bytes; false when the socket is not open. */
  sendAudio(bytes) {
    if (!this.open_) return false
    this.socket.send(bytes)
    return true
  }

  close() {
    const socket = this.socket
    this.socket = null
    socket?.close(1000, 'closed by the page')
  }
}
