'use strict'
// The public entry point of `officernd-auth` (CommonJS; lib/main.mjs is the ESM one).
//
// The native classes come from the generated `../index.js` (napi build --platform; do not edit
// it). This file only adds what JS does best: `util.inspect` / `toJSON` that never show a whole
// token, the `client.fetch()` helper, and the error-code constants. Every rule is in the Rust core.

const { inspect } = require('node:util')
const native = require('../index.js')

const { Token, TokenClient } = native

/** The `code` of every error this library throws, one per core error code. */
const ErrorCode = Object.freeze({
  CONFIG: 'OFFICERND_CONFIG',
  OAUTH: 'OFFICERND_OAUTH',
  RATE_LIMITED: 'OFFICERND_RATE_LIMITED',
  HTTP: 'OFFICERND_HTTP',
  TRANSPORT: 'OFFICERND_TRANSPORT',
  TIMEOUT: 'OFFICERND_TIMEOUT',
  INVALID_RESPONSE: 'OFFICERND_INVALID_RESPONSE',
})

const CODES = new Set(Object.values(ErrorCode))

/** Whether `err` is an error of this library (its `code` is one of `ErrorCode`). */
function isOfficeRnDAuthError(err) {
  return err instanceof Error && CODES.has(err.code)
}

function tokenSummary(token) {
  return {
    accessToken: token.redacted,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    expiresIn: Math.floor(token.expiresIn),
    scopes: token.scopes,
  }
}

function defineMethods(proto, methods) {
  for (const [key, value] of Object.entries(methods)) {
    Object.defineProperty(proto, key, { value, writable: true, configurable: true, enumerable: false })
  }
  for (const key of Object.getOwnPropertySymbols(methods)) {
    Object.defineProperty(proto, key, { value: methods[key], writable: true, configurable: true, enumerable: false })
  }
}

defineMethods(Token.prototype, {
  /** `JSON.stringify(token)`: the redacted token, never the whole one. */
  toJSON() {
    const s = tokenSummary(this)
    return { ...s, expiresAt: s.expiresAt.toISOString() }
  },
  [inspect.custom](depth, options, inspectFn) {
    if (depth < 0) return options.stylize('[Token]', 'special')
    return `Token ${(inspectFn || inspect)(tokenSummary(this), { ...options, depth: options.depth == null ? null : options.depth - 1 })}`
  },
})

defineMethods(TokenClient.prototype, {
  /**
   * `fetch(input, init)` with `Authorization: Bearer <token>`; on a 401 answer, invalidates the
   * token and retries once with a new one (not when the request body is a stream, which cannot
   * be sent twice).
   */
  async fetch(input, init) {
    if (init != null && typeof init !== 'object') {
      throw new TypeError('fetch(input, init): init must be an object')
    }
    const token = await this.token()
    const res = await globalThis.fetch(input, withAuthorization(input, init, token))
    if (res.status !== 401 || !replayable(input, init)) return res
    const fresh = await this.tokenAfterUnauthorized(token)
    if (fresh === null) return res
    await res.body?.cancel().catch(() => {})
    return globalThis.fetch(input, withAuthorization(input, init, fresh))
  },
  toJSON() {
    return { clientId: this.clientId, tokenUrl: this.tokenUrl, scopes: this.scopes }
  },
  [inspect.custom](depth, options, inspectFn) {
    if (depth < 0) return options.stylize('[TokenClient]', 'special')
    return `TokenClient ${(inspectFn || inspect)(this.toJSON(), options)}`
  },
})

function withAuthorization(input, init, token) {
  const base = init?.headers ?? (input instanceof Request ? input.headers : undefined)
  const headers = new Headers(base)
  headers.set('authorization', `Bearer ${token.accessToken}`)
  return { ...init, headers }
}

function replayable(input, init) {
  const body = init?.body
  if (body != null) return !(body instanceof ReadableStream) && typeof body[Symbol.asyncIterator] !== 'function'
  return !(input instanceof Request && input.body != null)
}

module.exports = { Token, TokenClient, ErrorCode, isOfficeRnDAuthError }
