'use strict'
// The JS fast path: a token core handed over as fresh is served by lib/main.js without a native
// call until core's deadline or until core's change counter moves (a new token, an
// invalidation by any client sharing the cache, on any thread); the calls it answers count in
// stats().cacheHits.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { Worker } = require('node:worker_threads')

const { TokenClient, Token } = require('officernd-auth')
const { NativeTokenClient } = require('../index.js')
const { startMock, demoOptions } = require('./helpers.js')

let mock
test.before(async () => {
  mock = await startMock(['--no-rate-limit'])
})
test.after(() => mock?.stop())
test.beforeEach(() => mock.reset())

/** Client options; the budget (shared per client id in the process) is no concern here. */
function options(extra = {}) {
  return demoOptions(mock, { maxRequests: 1000, ...extra })
}

/** Counts the calls into the native client's token methods. */
function spyNative(t) {
  const spies = {}
  for (const m of ['fresh', 'token', 'tokenSync']) spies[m] = t.mock.method(NativeTokenClient.prototype, m)
  return {
    calls: () => Object.fromEntries(Object.entries(spies).map(([m, s]) => [m, s.mock.callCount()])),
    lastFresh: () => spies.fresh.mock.calls.at(-1).result,
  }
}

test('a fresh token is served from JS without a native call; every call counts as a cache hit', async (t) => {
  const client = new TokenClient(options({ shareCache: false }))
  await client.token() // fetched on the pool
  const token = client.tokenSync() // handed over to the JS side
  const spy = spyNative(t)
  const hitsBefore = client.stats().cacheHits

  const header = token.authorizationHeader()
  assert.equal(header, `Bearer ${token.accessToken}`, "core's header")
  for (let i = 0; i < 1000; i++) {
    assert.equal(client.accessTokenSync(), token.accessToken)
    assert.equal(client.authorizationHeaderSync(), header)
    assert.equal(client.tokenSync(), token)
  }
  for (let i = 0; i < 100; i++) {
    assert.equal(await client.accessToken(), token.accessToken)
    assert.equal(await client.authorizationHeader(), header)
    assert.equal(await client.token(), token)
  }
  assert.deepEqual(spy.calls(), { fresh: 0, token: 0, tokenSync: 0 }, 'a call crossed to native')
  assert.equal(client.stats().cacheHits - hitsBefore, 3300)
  assert.equal((await mock.stats()).token_requests, 1)
})

test("the JS side serves a token only until core's freshness deadline", async (t) => {
  const client = new TokenClient(options({ shareCache: false }))
  await client.token()
  const spy = spyNative(t)
  const realNow = performance.now
  let clock = realNow.call(performance)
  const asked = clock
  t.mock.method(performance, 'now', () => clock)

  client.accessTokenSync() // hands the token over: fresh for `ms` from `asked`
  const [, ms] = spy.lastFresh()
  assert.ok(ms > 3000_000 * 0.8 && ms < 3600_000, `fresh for ${ms} ms`)
  clock = asked + ms - 1
  client.accessTokenSync()
  assert.equal(spy.calls().fresh, 1, 'still fresh: no native call')
  clock = asked + ms
  client.accessTokenSync()
  assert.equal(spy.calls().fresh, 2, "past core's deadline the wrapper asks core again")
})

test('an invalidation by another client sharing the cache is seen at once', async () => {
  const a = new TokenClient(options())
  const b = new TokenClient(options())
  const first = a.tokenSync()
  a.accessTokenSync() // the fast path holds `first`
  assert.equal(b.invalidateSync(first), true)
  const second = a.accessTokenSync()
  assert.notEqual(second, first.accessToken, 'a served the invalidated token')

  a.accessTokenSync()
  assert.equal(await b.invalidate(b.tokenSync()), true)
  const third = a.accessTokenSync()
  assert.notEqual(third, second)

  // tokenAfterUnauthorized by one client moves every client sharing the cache on.
  const fourth = await b.tokenAfterUnauthorized(b.tokenSync())
  assert.notEqual(fourth.accessToken, third)
  assert.equal(await a.accessToken(), fourth.accessToken)
  assert.equal((await mock.stats()).token_requests, 4)
})

test('an invalidation in a worker thread sharing the cache is seen by the main thread at once', async () => {
  const shared = options({ scopes: ['officernd.api.read'] }) // a cache of its own
  const client = new TokenClient(shared)
  const before = client.accessTokenSync()
  assert.equal(client.accessTokenSync(), before) // served from JS
  const worker = new Worker(path.join(__dirname, 'fixtures', 'invalidate-in-worker.js'), { workerData: shared })
  const [dropped] = await Promise.all([
    new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    }),
    new Promise((resolve) => worker.once('exit', resolve)),
  ])
  assert.equal(dropped, true, 'the worker shares the cache and dropped the token')
  assert.notEqual(client.accessTokenSync(), before)
  assert.equal((await mock.stats()).token_requests, 2)
})

test('a new token after a refresh replaces the one the JS side holds', async () => {
  const client = new TokenClient(options({ shareCache: false }))
  const a = client.tokenSync()
  client.tokenSync()
  assert.equal(await client.invalidate(a), true)
  const b = await client.token()
  assert.ok(b instanceof Token)
  assert.notEqual(b.accessToken, a.accessToken)
  assert.equal(client.accessTokenSync(), b.accessToken)
  assert.equal(client.authorizationHeaderSync(), b.authorizationHeader())
})
