'use strict'
// The Promise methods never block the event loop; a fresh cached token does not go through the
// libuv pool; many concurrent callers on an empty cache send one request.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { performance } = require('node:perf_hooks')
const { promisify } = require('node:util')

const { TokenClient } = require('officernd-auth')
const { startMock, startRedis, demoOptions } = require('./helpers.js')

const pbkdf2 = promisify(crypto.pbkdf2)

/** Records the gaps between ticks of a 10 ms interval while `work` runs. */
async function timerGaps(work) {
  const period = 10
  const gaps = []
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    gaps.push(now - last)
    last = now
  }, period)
  try {
    const result = await work()
    return { result, gaps, period }
  } finally {
    clearInterval(timer)
  }
}

test('setInterval keeps firing on time while token() waits on a slow answer', async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  await mock.faults([{ kind: 'delay', ms: 1000 }])
  const client = new TokenClient(demoOptions(mock))
  const started = performance.now()
  const { result, gaps } = await timerGaps(() => client.token())
  const elapsed = performance.now() - started
  assert.equal(result.tokenType, 'Bearer')
  assert.ok(elapsed >= 950, `the answer really was slow (${elapsed.toFixed(0)} ms)`)
  assert.ok(gaps.length >= 30, `timer fired ${gaps.length} times in ${elapsed.toFixed(0)} ms`)
  const worst = Math.max(...gaps)
  assert.ok(worst < 250, `worst gap between ticks ${worst.toFixed(0)} ms`)
})

test('setInterval keeps firing while client.fetch() waits on a slow token answer', async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  await mock.faults([{ kind: 'delay', ms: 800 }])
  const client = new TokenClient(demoOptions(mock))
  const { result, gaps } = await timerGaps(() => client.fetch(mock.resourceUrl))
  assert.equal(result.status, 200)
  assert.ok(gaps.length >= 25, `timer fired ${gaps.length} times`)
  assert.ok(Math.max(...gaps) < 250, `worst gap ${Math.max(...gaps).toFixed(0)} ms`)
})

test('32 concurrent token() calls on an empty cache send one request', async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  await mock.faults([{ kind: 'delay', ms: 300 }])
  const client = new TokenClient(demoOptions(mock))
  const others = Array.from({ length: 4 }, () => new TokenClient(demoOptions(mock)))
  const calls = Array.from({ length: 32 }, (_, i) => (i % 8 === 0 ? others[i % 4] : client).token())
  const tokens = await Promise.all(calls)
  assert.equal(new Set(tokens.map((x) => x.accessToken)).size, 1)
  const stats = await mock.stats()
  assert.equal(stats.token_requests, 1)
  assert.equal(stats.tokens_issued, 1)
  assert.equal(client.stats().requestsSent, 1)
})

test('a fresh cached token resolves without waiting for the (saturated) libuv pool', async (t) => {
  const cachedMock = await startMock()
  const slowMock = await startMock(['--no-rate-limit'])
  t.after(() => Promise.all([cachedMock.stop(), slowMock.stop()]))
  const cached = new TokenClient(demoOptions(cachedMock))
  await cached.token()

  // Occupy every pool thread with a slow token request (isolated clients: one request each).
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4
  await slowMock.faults(Array.from({ length: poolSize }, () => ({ kind: 'delay', ms: 1500 })))
  const blockers = Array.from({ length: poolSize }, () =>
    new TokenClient(demoOptions(slowMock, { shareCache: false })).token(),
  )
  // Wait until the mock has received all of them, i.e. every pool thread is busy.
  while ((await slowMock.stats()).faults_queued > 0) await new Promise((r) => setImmediate(r))

  const t0 = performance.now()
  const pooled = pbkdf2('x', 'y', 1, 8, 'sha256').then(() => performance.now() - t0)
  const token = await cached.token()
  const header = await cached.authorizationHeader()
  const cachedMs = performance.now() - t0
  const pooledMs = await pooled
  await Promise.all(blockers)

  assert.equal(header, `Bearer ${token.accessToken}`)
  assert.ok(pooledMs > 500, `the pool really was saturated (pool work waited ${pooledMs.toFixed(0)} ms)`)
  assert.ok(cachedMs < 100, `cached token() took ${cachedMs.toFixed(1)} ms`)
  assert.equal((await cachedMock.stats()).token_requests, 1)
})

test('with the Redis store frozen (SIGSTOP) the ticker keeps ticking: construction, first call, await invalidate()', async (t) => {
  const mock = await startMock(['--no-rate-limit'])
  const redis = await startRedis()
  t.after(async () => {
    await redis.stop()
    await mock.stop()
  })
  const options = demoOptions(mock, { store: `${redis.url}/0`, maxRequests: 100 })
  const client = new TokenClient(options)
  const token = await client.token()
  // Another cache on the same Redis, for the blocking variant below.
  const other = new TokenClient({ ...options, scopes: ['officernd.api.read'] })
  const otherToken = await other.token()
  redis.pause()

  // A new client: nothing on this thread touches the store; its first call waits on the pool.
  const made = await timerGaps(async () => {
    const t0 = performance.now()
    const fresh = new TokenClient({ ...options, shareCache: false })
    const constructMs = performance.now() - t0
    const outcome = await fresh.token().then(
      () => 'token',
      (e) => e.code,
    )
    return { constructMs, outcome, elapsed: performance.now() - t0 }
  })
  // Well under the store's 500 ms timeout: no round trip to the frozen Redis.
  assert.ok(made.result.constructMs < 200, `construction took ${made.result.constructMs.toFixed(1)} ms`)
  assert.ok(made.result.elapsed >= 400, `the frozen store made the first call wait (${made.result.elapsed.toFixed(0)} ms)`)
  assert.equal(made.result.outcome, 'OFFICERND_RATE_LIMITED', "core's outage policy")
  assert.ok(Math.max(...made.gaps) < 250, `worst gap ${Math.max(...made.gaps).toFixed(0)} ms`)

  // invalidate(): a compare-and-delete on the frozen Redis, on the pool.
  const t0 = performance.now()
  const { result: dropped, gaps } = await timerGaps(() => client.invalidate(token))
  const elapsed = performance.now() - t0
  assert.equal(dropped, true, 'dropped from memory, whatever the store')
  assert.ok(elapsed >= 400, `the frozen store made invalidate() wait (${elapsed.toFixed(0)} ms)`)
  assert.ok(gaps.length >= elapsed / 10 / 2, `timer fired ${gaps.length} times in ${elapsed.toFixed(0)} ms`)
  assert.ok(Math.max(...gaps) < 250, `worst gap ${Math.max(...gaps).toFixed(0)} ms`)

  // The blocking variant (what invalidate() did before) holds this thread for the round trip.
  const s0 = performance.now()
  assert.equal(other.invalidateSync(otherToken), true)
  const blocked = performance.now() - s0
  assert.ok(blocked >= 400, `invalidateSync() returned in ${blocked.toFixed(0)} ms`)
})
