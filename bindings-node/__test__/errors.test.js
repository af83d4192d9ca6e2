'use strict'
// Every core error code arrives as an Error with a stable `code` and its properties; bad
// arguments throw TypeError / RangeError before any network work; no message, stack or inspect
// output ever contains the client secret or a whole token.
const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')

const { TokenClient, ErrorCode, isOfficeRnDAuthError } = require('officernd-auth')
const { startMock, demoOptions, DEMO } = require('./helpers.js')

let mock
test.before(async () => {
  mock = await startMock(['--no-rate-limit'])
})
test.after(() => mock?.stop())
test.beforeEach(() => mock.reset())

/** An isolated client (own cache and budget) so tests do not see each other's tokens or errors. */
function client(extra = {}) {
  return new TokenClient(demoOptions(mock, { shareCache: false, maxRetries: 0, ...extra }))
}

/** Asserts nothing printable about `err` leaks a secret. */
function assertNoSecret(err, ...secrets) {
  const shown = [err.message, err.stack, String(err), util.inspect(err, { depth: 5 }), JSON.stringify(err)]
  for (const s of shown) {
    for (const secret of [DEMO.clientSecret, ...secrets]) {
      assert.ok(!String(s).includes(secret), `secret shown in ${String(s).slice(0, 60)}`)
    }
  }
}

/** Runs both the Promise and the Sync path and returns the two errors (same code expected). */
async function bothErrors(makeClient, faults = []) {
  await mock.faults(faults)
  const asyncErr = await makeClient().token().then(
    () => assert.fail('token() should reject'),
    (e) => e,
  )
  await mock.faults(faults)
  let syncErr
  try {
    makeClient().tokenSync()
    assert.fail('tokenSync() should throw')
  } catch (e) {
    syncErr = e
  }
  for (const e of [asyncErr, syncErr]) {
    assert.ok(e instanceof Error)
    assert.ok(isOfficeRnDAuthError(e))
    assertNoSecret(e)
  }
  assert.equal(asyncErr.code, syncErr.code)
  return asyncErr
}

test('ErrorCode lists the seven stable codes', () => {
  assert.deepEqual(Object.values(ErrorCode).sort(), [
    'OFFICERND_CONFIG',
    'OFFICERND_HTTP',
    'OFFICERND_INVALID_RESPONSE',
    'OFFICERND_OAUTH',
    'OFFICERND_RATE_LIMITED',
    'OFFICERND_TIMEOUT',
    'OFFICERND_TRANSPORT',
  ])
  assert.ok(Object.isFrozen(ErrorCode))
})

test('OFFICERND_CONFIG names the setting', () => {
  const cases = [
    [{ clientSecret: 's' }, 'client_id'],
    [{ clientId: 'id' }, 'client_secret'],
    [{ clientId: 'id', clientSecret: DEMO.clientSecret, tokenUrl: 'http://example.com/oauth/token' }, 'token_url'],
    [{ clientId: 'id', clientSecret: DEMO.clientSecret, tokenUrl: 'not a url' }, 'token_url'],
    [{ clientId: 'id', clientSecret: DEMO.clientSecret, budget: { maxRequests: 0 } }, 'max_requests'],
    [{ clientId: 'id', clientSecret: DEMO.clientSecret, minValidityMs: 400_000 }, 'min_validity'],
  ]
  for (const [options, setting] of cases) {
    assert.throws(
      () => new TokenClient(options),
      (e) => {
        assert.equal(e.code, ErrorCode.CONFIG)
        assert.equal(e.setting, setting)
        assert.equal(e.retryable, false)
        assert.equal(e.status, undefined)
        assertNoSecret(e)
        return true
      },
    )
  }
})

test('fromEnv() without variables is OFFICERND_CONFIG naming the variable', () => {
  const saved = { ...process.env }
  try {
    delete process.env.OFFICERND_CLIENT_ID
    delete process.env.OFFICERND_CLIENT_SECRET
    assert.throws(() => TokenClient.fromEnv(), { code: ErrorCode.CONFIG, setting: 'OFFICERND_CLIENT_ID' })
  } finally {
    Object.assign(process.env, saved)
  }
})

test('OFFICERND_OAUTH: invalid_client with status and RFC 6749 fields', async () => {
  const wrong = 'wrong-secret-value-9f8e7d'
  const e = await bothErrors(() => client({ clientSecret: wrong }))
  assert.equal(e.code, ErrorCode.OAUTH)
  assert.equal(e.status, 401)
  assert.equal(e.error, 'invalid_client')
  assert.equal(typeof e.errorDescription, 'string')
  assert.equal(e.errorUri, undefined)
  assert.equal(e.retryable, false)
  assert.equal(e.retryAfter, undefined)
  assertNoSecret(e, wrong)
})

test('OFFICERND_OAUTH: invalid_scope', async () => {
  const e = await bothErrors(() => client({ scopes: ['officernd.admin'] }))
  assert.equal(e.code, ErrorCode.OAUTH)
  assert.equal(e.status, 400)
  assert.equal(e.error, 'invalid_scope')
  assert.equal(e.retryable, false)
})

test('OFFICERND_OAUTH: a server error description comes through', async () => {
  const e = await bothErrors(client, [
    { kind: 'oauth_error', status: 400, error: 'invalid_request', description: 'missing grant' },
  ])
  assert.equal(e.code, ErrorCode.OAUTH)
  assert.equal(e.error, 'invalid_request')
  assert.equal(e.errorDescription, 'missing grant')
})

test('OFFICERND_RATE_LIMITED: a 429 with Retry-After', async () => {
  const e = await bothErrors(client, [{ kind: 'too_many_requests', retry_after: '7' }])
  assert.equal(e.code, ErrorCode.RATE_LIMITED)
  assert.equal(e.status, 429)
  assert.equal(e.retryAfter, 7)
  assert.equal(e.retryable, true)
})

test('OFFICERND_RATE_LIMITED: local budget spent, with the last real error', async () => {
  const c = client({ budget: { maxRequests: 1, windowMs: 60_000 } })
  await mock.faults([{ kind: 'status', status: 503 }])
  await assert.rejects(c.token(), { code: ErrorCode.HTTP, status: 503 })
  const e = await c.token().then(assert.fail, (err) => err)
  assert.equal(e.code, ErrorCode.RATE_LIMITED)
  assert.equal(e.status, undefined, 'refused locally: no HTTP answer')
  // The slot counts from the attempt's end plus core's 1 s safety margin.
  assert.ok(e.retryAfter > 0 && e.retryAfter <= 61, String(e.retryAfter))
  assert.equal(e.retryable, true)
  assert.ok(isOfficeRnDAuthError(e.lastError))
  assert.equal(e.lastError.code, ErrorCode.HTTP)
  assert.equal(e.lastError.status, 503)
  assert.equal((await mock.stats()).token_requests, 1, 'the refusal sent nothing')
  assert.equal(c.stats().refusedLocally, 1)
  assert.equal(c.stats().lastErrorCode, ErrorCode.HTTP)
  assertNoSecret(e)
})

test('OFFICERND_HTTP: a 503 is retryable', async () => {
  const e = await bothErrors(client, [{ kind: 'status', status: 503 }])
  assert.equal(e.code, ErrorCode.HTTP)
  assert.equal(e.status, 503)
  assert.equal(e.retryable, true)
})

test('OFFICERND_HTTP: a redirect is not followed', async () => {
  const e = await bothErrors(client, [{ kind: 'redirect', location: 'http://127.0.0.1:1/x' }])
  assert.equal(e.code, ErrorCode.HTTP)
  assert.ok(e.status >= 300 && e.status < 400)
})

test('OFFICERND_TRANSPORT: connection refused or reset', async () => {
  const refused = await client({ tokenUrl: 'http://127.0.0.1:1/oauth/token' })
    .token()
    .then(assert.fail, (e) => e)
  assert.equal(refused.code, ErrorCode.TRANSPORT)
  assert.equal(refused.retryable, true)
  assert.equal(refused.status, undefined)
  assertNoSecret(refused)
  const reset = await bothErrors(client, [{ kind: 'connection_reset' }])
  assert.equal(reset.code, ErrorCode.TRANSPORT)
})

test('OFFICERND_TIMEOUT: a slow answer past timeoutMs', async () => {
  const e = await bothErrors(() => client({ timeoutMs: 200 }), [{ kind: 'delay', ms: 1500 }])
  assert.equal(e.code, ErrorCode.TIMEOUT)
  assert.equal(e.retryable, true)
})

test('OFFICERND_INVALID_RESPONSE: every kind of unusable 200', async () => {
  for (const fault of [
    { kind: 'malformed_json' },
    { kind: 'html_page' },
    { kind: 'wrong_token_type' },
    { kind: 'missing_access_token' },
    { kind: 'empty_access_token' },
    { kind: 'token_with_newline' },
    { kind: 'expires_in', value: 'soon' },
    { kind: 'oversized_body', bytes: 100_000 },
  ]) {
    const e = await bothErrors(client, [fault])
    assert.equal(e.code, ErrorCode.INVALID_RESPONSE, fault.kind)
    assert.equal(e.status, 200)
    assert.equal(e.retryable, false)
  }
})

test('bad argument types throw TypeError before any request', async () => {
  const typeErrors = [
    undefined,
    null,
    'demo-client-id',
    [],
    { ...demoOptions(mock), clientId: 42 },
    { ...demoOptions(mock), clientSecret: {} },
    { ...demoOptions(mock), scopes: 42 },
    { ...demoOptions(mock), scopes: ['ok', 7] },
    { ...demoOptions(mock), tokenUrl: new URL(mock.tokenUrl) },
    { ...demoOptions(mock), timeoutMs: '1000' },
    { ...demoOptions(mock), shareCache: 'yes' },
    { ...demoOptions(mock), budget: 5 },
    { ...demoOptions(mock), budget: { max: 5 } },
    { ...demoOptions(mock), clientID: 'typo' },
  ]
  for (const options of typeErrors) {
    assert.throws(() => new TokenClient(options), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
  }
  assert.throws(() => TokenClient.fromEnv(42), TypeError)
  const c = client()
  for (const bad of [undefined, null, {}, 'token', { accessToken: 'x' }]) {
    await assert.rejects(c.invalidate(bad), TypeError)
    await assert.rejects(c.tokenAfterUnauthorized(bad), TypeError)
    assert.throws(() => c.invalidateSync(bad), TypeError)
  }
  await assert.rejects(c.fetch(mock.resourceUrl, 'not-init'), TypeError)
  assert.equal((await mock.stats()).token_requests, 0)
})

test('out-of-range numbers throw RangeError before any request', async () => {
  for (const extra of [
    { timeoutMs: -1 },
    { timeoutMs: Number.NaN },
    { connectTimeoutMs: Infinity },
    { refreshAheadMs: -5 },
    { maxRetries: 1.5 },
    { maxRetries: -1 },
    { budget: { maxRequests: 2.5 } },
    { budget: { maxRequests: 5, windowMs: -1 } },
  ]) {
    assert.throws(
      () => new TokenClient(demoOptions(mock, extra)),
      (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE',
      JSON.stringify(extra),
    )
  }
  assert.equal((await mock.stats()).token_requests, 0)
})
