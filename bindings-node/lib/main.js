'use strict'
// The public entry point of `officernd-auth` (CommonJS; lib/main.mjs is the ESM one).
//
// The native module comes from the generated `../index.js` (napi build --platform; do not edit
// it). This file adds what JS does best and keeps no rule of its own:
//
// - `TokenClient`, a wrapper of the native client that keeps the fresh token on the JS side of
//   the boundary. Core decides freshness: when it hands over a fresh token it says for how many
//   milliseconds the token stays fresh, and the wrapper serves that token without a native call
//   until then — or until core's change counter moves (a new token, an invalidation, by any
//   client sharing the cache), which JS reads as a plain `Uint32Array` element over the
//   counter's memory. Everything else (stale tokens, refreshes, the budget, errors) is core's.
// - `ErrorCode`, built from core's table; `util.inspect` / `toJSON` that never show a whole
//   token; `client.fetch()`; the log sink (`process.emitWarning`, `NODE_DEBUG=officernd-auth`).

const { inspect, debuglog } = require('node:util')
const { performance } = require('node:perf_hooks')
const native = require('../index.js')

const { Token, NativeTokenClient } = native

/** The `code` of every error this library throws, from core's list of error codes. */
const ErrorCode = Object.freeze(Object.fromEntries(native.errorCodes().map((c) => [c.name, c.code])))

const CODES = new Set(Object.values(ErrorCode))

/** Whether `err` is an error of this library (its `code` is one of `ErrorCode`). */
function isOfficeRnDAuthError(err) {
  return err instanceof Error && CODES.has(err.code)
}

// Core's log records: warnings (a store outage, a failed refresh) through process.emitWarning,
// info and debug records under NODE_DEBUG=officernd-auth. One sink per JS thread.
const debug = debuglog('officernd-auth')
native.setLogSink((level, target, message) => {
  if (level === 'warn' || level === 'error') {
    process.emitWarning(message, { type: 'OfficeRnDAuthWarning' })
  } else {
    debug('%s %s: %s', level, target, message)
  }
}, debug.enabled)

// The fast path's clock: monotonic, in milliseconds, like the durations core hands over.
const now = () => performance.now()
// The low 32-bit word of core's 64-bit change counter.
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1
// Before a counter is mapped (or where the runtime cannot map one): never matches `#seen`.
const NO_COUNTER = new Uint32Array(2)
const NEVER = -1
// Hits served by the fast path, per shared cache (one counter per cache): added to core's.
const hitsByCounter = new WeakMap()
const FROM_ENV = Symbol('fromEnv')

/**
 * A cached, single-flight, quota-aware OfficeRnD token client.
 *
 * Clients made with the same token URL, client id, secret and scopes share one cache and one
 * request budget in the process: creating one per request does not multiply token requests.
 */
class TokenClient {
  #native
  // The fast path: the token core last handed over as fresh, its strings, until when it is
  // fresh (`now()` clock), and the counter value read before core read it.
  #changes = NO_COUNTER
  #seen = NEVER
  #freshUntil = 0
  #token = null
  #access = ''
  #header = ''
  #counted = { hits: 0 }
  #mapped = false

  /**
   * A client from an options object. Bad option types throw `TypeError`, out-of-range numbers
   * `RangeError`; settings core rejects throw an `Error` with `code: 'OFFICERND_CONFIG'`
   * naming the `setting`. Nothing is sent, and no store is opened, until a token is needed.
   */
  constructor(options, how) {
    this.#native = how === FROM_ENV ? NativeTokenClient.fromEnv(options) : new NativeTokenClient(options)
  }

  /**
   * A client configured from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`,
   * `OFFICERND_SCOPES`, `OFFICERND_TOKEN_URL`, `OFFICERND_STORE` and `OFFICERND_STORE_PATH`
   * (read now); `options` may set anything else, or override the environment.
   */
  static fromEnv(options) {
    return new TokenClient(options, FROM_ENV)
  }

  /** A valid token; never blocks the event loop. */
  async token() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#token
    }
    return this.#cached() ?? this.#native.token()
  }

  /** The access token string (see `token()`). */
  async accessToken() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#access
    }
    if (this.#cached() !== null) return this.#access
    return (await this.#native.token()).accessToken
  }

  /** `"Bearer <access token>"`, the value of the `Authorization` header (see `token()`). */
  async authorizationHeader() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#header
    }
    if (this.#cached() !== null) return this.#header
    return (await this.#native.token()).authorizationHeader()
  }

  /** Like `token()`, but BLOCKS the thread while a token is fetched. */
  tokenSync() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#token
    }
    return this.#cached() ?? this.#native.tokenSync()
  }

  /** Like `accessToken()`, but BLOCKING (see `tokenSync()`). */
  accessTokenSync() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#access
    }
    if (this.#cached() !== null) return this.#access
    return this.#native.tokenSync().accessToken
  }

  /** Like `authorizationHeader()`, but BLOCKING (see `tokenSync()`). */
  authorizationHeaderSync() {
    if (this.#changes[LOW] === this.#seen && now() < this.#freshUntil) {
      this.#counted.hits++
      return this.#header
    }
    if (this.#cached() !== null) return this.#header
    return this.#native.tokenSync().authorizationHeader()
  }

  /**
   * After an API call answered 401 with `token`: drops it from the cache (and the store) only
   * if it is still the cached one. Resolves with whether it was dropped. Runs on the libuv pool.
   */
  async invalidate(token) {
    return this.#native.invalidate(token)
  }

  /** Like `invalidate()`, but BLOCKS the thread for the store round trip. */
  invalidateSync(token) {
    return this.#native.invalidateSync(token)
  }

  /**
   * After an API call answered 401 with `token`: drops it and resolves with the token to retry
   * the call with once, or `null` when that would be the same token again (core's 401 rule,
   * which `client.fetch` follows). Runs on the libuv pool.
   */
  async tokenAfterUnauthorized(token) {
    return this.#native.tokenAfterUnauthorized(token)
  }

  /** Metrics of the cache and budget (`cacheHits` includes the calls the JS side answered). */
  stats() {
    const s = this.#native.stats()
    s.cacheHits += this.#counted.hits
    return s
  }

  /** The token endpoint this client uses. */
  get tokenUrl() {
    return this.#native.tokenUrl
  }

  /** The client id (the secret is never readable back). */
  get clientId() {
    return this.#native.clientId
  }

  /** The requested scopes, normalised. */
  get scopes() {
    return this.#native.scopes
  }

  /**
   * `fetch(input, init)` with `Authorization: Bearer <token>`; on a 401 answer, follows core's
   * 401 rule (`tokenAfterUnauthorized`) and retries once with the new token (not when the
   * request body is a stream, which cannot be sent twice).
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
  }

  toJSON() {
    return { clientId: this.clientId, tokenUrl: this.tokenUrl, scopes: this.scopes }
  }

  [inspect.custom](depth, options, inspectFn) {
    if (depth < 0) return options.stylize('[TokenClient]', 'special')
    return `TokenClient ${(inspectFn || inspect)(this.toJSON(), options)}`
  }

  /** Core's fresh token, taken over by the fast path; `null` when core has none. No I/O. */
  #cached() {
    const asked = now()
    const fresh = this.#native.fresh()
    if (fresh === null) return null
    const [token, ms, seen] = fresh
    if (token !== this.#token) {
      this.#token = token
      this.#access = token.accessToken
      this.#header = token.authorizationHeader()
    }
    if (!this.#mapped) this.#mapCounter()
    this.#seen = this.#changes === NO_COUNTER ? NEVER : seen
    this.#freshUntil = asked + ms
    return token
  }

  #mapCounter() {
    const view = this.#native.changeCounter()
    if (view === null) return // not built yet: try again next time
    this.#mapped = true
    let counted = hitsByCounter.get(view)
    if (counted === undefined) {
      counted = { hits: 0 }
      hitsByCounter.set(view, counted)
    }
    this.#counted = counted
    this.#changes = view
  }
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
  for (const key of Reflect.ownKeys(methods)) {
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

function withAuthorization(input, init, token) {
  const base = init?.headers ?? (input instanceof Request ? input.headers : undefined)
  const headers = new Headers(base)
  headers.set('authorization', token.authorizationHeader())
  return { ...init, headers }
}

function replayable(input, init) {
  const body = init?.body
  if (body != null) return !(body instanceof ReadableStream) && typeof body[Symbol.asyncIterator] !== 'function'
  return !(input instanceof Request && input.body != null)
}

module.exports = { Token, TokenClient, ErrorCode, isOfficeRnDAuthError }
