'use strict'
// The `store` / `storePath` options: option checking in this process, and one token shared by
// real processes — a node:cluster through the file store, separate processes through a real
// Redis (redis-server must be installed: these tests fail, never skip, without it).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')

const { TokenClient } = require('officernd-auth')
const { startMock, startRedis, runNode, demoOptions, DEMO } = require('./helpers.js')

const CLUSTER = path.join(__dirname, 'fixtures', 'cluster.js')
const TOKEN_ONCE = path.join(__dirname, 'fixtures', 'token-once.js')
const REDIS_PASSWORD = 'hunter2-redis-pw'

const tmpDirs = []
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'officernd-node-store-'))
  tmpDirs.push(d)
  return d
}
test.after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true })
})

function isConfigError(setting) {
  return (e) => {
    assert.equal(e.code, 'OFFICERND_CONFIG', e.message)
    assert.equal(e.setting, setting)
    assert.equal(e.retryable, false)
    return true
  }
}

// Store settings are checked when the store is opened (on first use): every call then fails
// with the same OFFICERND_CONFIG error, the Promise methods by rejecting.
async function assertStoreRejected(client, setting) {
  await assert.rejects(client.token(), isConfigError(setting))
  await assert.rejects(client.accessToken(), isConfigError(setting))
  assert.throws(() => client.tokenSync(), isConfigError(setting))
  assert.throws(() => client.stats(), isConfigError(setting))
}

/** Runs token-once.js with `options`; returns its JSON line (and fails on a non-zero exit). */
async function tokenInChild(options) {
  const r = await runNode(TOKEN_ONCE, { TEST_CLIENT_OPTIONS: JSON.stringify(options) })
  assert.equal(r.code, 0, r.stderr)
  return { ...JSON.parse(r.stdout), stderr: r.stderr }
}

// A child whose token() fails: its error line (code: message) on stderr.
async function refusedInChild(options) {
  const r = await runNode(TOKEN_ONCE, { TEST_CLIENT_OPTIONS: JSON.stringify(options) })
  assert.equal(r.code, 1, r.stdout)
  return r.stderr
}

const NOWHERE = 'http://127.0.0.1:9/oauth/token'
let ids = 0
/**
 * Options of a client whose token endpoint refuses connections (a transport error, no retry),
 * under a client id of its own: the request budget is per client id in the process.
 */
function nowhere(extra = {}) {
  return { ...DEMO, clientId: `store-test-${++ids}`, tokenUrl: NOWHERE, maxRetries: 0, ...extra }
}

test('store and storePath: wrong types throw TypeError at once, bad values reject the first call with OFFICERND_CONFIG', async () => {
  const base = nowhere()
  for (const bad of [{ store: 1 }, { store: ['file'] }, { storePath: 7 }, { storePath: {} }]) {
    assert.throws(() => new TokenClient({ ...base, ...bad }), (e) => {
      assert.ok(e instanceof TypeError, util.inspect(bad))
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
      assert.match(e.message, /options\.store(Path)? must be a string/)
      return true
    })
  }
  // The other settings are still checked at once.
  assert.throws(() => new TokenClient({ ...base, store: 'file', clientId: '' }), isConfigError('client_id'))

  await assertStoreRejected(new TokenClient({ ...base, store: 'disk' }), 'store')
  await assertStoreRejected(new TokenClient({ ...base, store: 'http://127.0.0.1:6379' }), 'store')
  // A path means the file store: with the memory store it is refused, not ignored.
  await assertStoreRejected(new TokenClient({ ...base, store: 'memory', storePath: tmpDir() }), 'store')

  const open = path.join(tmpDir(), 'open')
  fs.mkdirSync(open)
  fs.chmodSync(open, 0o777)
  await assertStoreRejected(new TokenClient({ ...base, store: 'file', storePath: open }), 'store_path')
  const link = path.join(tmpDir(), 'link')
  fs.symlinkSync(tmpDir(), link)
  await assertStoreRejected(new TokenClient({ ...base, store: 'file', storePath: link }), 'store_path')

  // Valid spellings: the store opens, and the call fails only for want of a token endpoint.
  for (const store of ['memory', 'redis://127.0.0.1:1/0', 'rediss://127.0.0.1:1']) {
    const c = new TokenClient({ ...base, store, shareCache: false, timeoutMs: 2000 })
    await assert.rejects(c.token(), (e) => e.code !== 'OFFICERND_CONFIG')
  }
  // A directory alone means the file store (core's rule).
  const alone = path.join(tmpDir(), 'alone')
  await assert.rejects(new TokenClient({ ...base, storePath: alone, shareCache: false }).token(), {
    code: 'OFFICERND_TRANSPORT',
  })
  assert.equal(fs.statSync(alone).mode & 0o777, 0o700)
})

test('the constructor does no file-system work: the file store directory is made by the first call', async () => {
  const dir = path.join(tmpDir(), 'made-on-first-use')
  const options = nowhere({ store: 'file', storePath: dir })
  const client = new TokenClient(options)
  assert.equal(fs.existsSync(dir), false, 'the constructor created the store directory')
  assert.deepEqual(client.toJSON(), { clientId: options.clientId, tokenUrl: NOWHERE, scopes: DEMO.scopes.slice().sort() })
  await assert.rejects(client.token(), { code: 'OFFICERND_TRANSPORT' })
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700)
})

test('fromEnv reads OFFICERND_STORE / OFFICERND_STORE_PATH when called; options override them', async () => {
  const saved = { ...process.env }
  try {
    const { clientId } = nowhere()
    process.env.OFFICERND_CLIENT_ID = clientId
    process.env.OFFICERND_CLIENT_SECRET = DEMO.clientSecret
    process.env.OFFICERND_TOKEN_URL = NOWHERE
    process.env.OFFICERND_STORE = 'disk'
    await assertStoreRejected(TokenClient.fromEnv(), 'OFFICERND_STORE')
    await assert.rejects(TokenClient.fromEnv({ store: 'memory', maxRetries: 0 }).token(), { code: 'OFFICERND_TRANSPORT' })
    const dir = path.join(tmpDir(), 'from-env')
    await assert.rejects(TokenClient.fromEnv({ store: 'file', storePath: dir, maxRetries: 0 }).token(), {
      code: 'OFFICERND_TRANSPORT',
    })
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700)

    // The environment of the moment fromEnv() was called, not of the first call.
    process.env.OFFICERND_STORE = 'file'
    process.env.OFFICERND_STORE_PATH = path.join(tmpDir(), 'env-dir')
    const client = TokenClient.fromEnv({ maxRetries: 0 })
    const envDir = process.env.OFFICERND_STORE_PATH
    process.env.OFFICERND_STORE_PATH = path.join(tmpDir(), 'changed-later')
    process.env.OFFICERND_CLIENT_ID = 'changed-later'
    await assert.rejects(client.token(), { code: 'OFFICERND_TRANSPORT' })
    assert.equal(fs.statSync(envDir).mode & 0o777, 0o700)
    assert.equal(fs.existsSync(process.env.OFFICERND_STORE_PATH), false)
    assert.equal(client.clientId, clientId)
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
})

test('a node:cluster of 6 workers on an empty file store: exactly 1 token request', async () => {
  const mock = await startMock()
  try {
    // The first request is slow, so every worker asks while it is under way.
    await mock.faults([{ kind: 'delay', ms: 800 }])
    const storePath = path.join(tmpDir(), 'cluster')
    const options = demoOptions(mock, { store: 'file', storePath })
    const r = await runNode(CLUSTER, { TEST_WORKERS: '6', TEST_CLIENT_OPTIONS: JSON.stringify(options) })
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.deepEqual(out, { ok: 6, distinct: 1, errors: [], failedWorkers: 0 })
    assert.equal((await mock.stats()).token_requests, 1)

    // The token is in the store: a later process is served from it without a request.
    const later = await tokenInChild(options)
    assert.equal(later.requestsSent, 0)
    assert.equal((await mock.stats()).token_requests, 1)
    for (const f of fs.readdirSync(storePath)) {
      assert.equal(fs.statSync(path.join(storePath, f)).mode & 0o077, 0, f)
    }
  } finally {
    await mock.stop()
  }
})

test('3 processes sharing Redis: 1 token request; with Redis stopped a new process holds back a window', async () => {
  const mock = await startMock()
  const redis = await startRedis()
  try {
    await mock.faults([{ kind: 'delay', ms: 800 }])
    const options = demoOptions(mock, { store: `${redis.url}/0` })
    const runs = await Promise.all([1, 2, 3].map(() => tokenInChild(options)))
    assert.equal(new Set(runs.map((r) => r.digest)).size, 1)
    assert.equal(runs.reduce((n, r) => n + r.requestsSent, 0), 1)
    assert.equal((await mock.stats()).token_requests, 1)

    await redis.stop()
    // It cannot know what the fleet sent in the last window: nothing is sent, and it says why.
    const alone = await refusedInChild(options)
    assert.match(alone, /^OFFICERND_RATE_LIMITED: .*one token request per quota window/m)
    assert.equal((await mock.stats()).token_requests, 1)
  } finally {
    await redis.stop()
    await mock.stop()
  }
})

test('a Redis password in the store URL is used but never shown', async () => {
  const mock = await startMock()
  const redis = await startRedis(['--requirepass', REDIS_PASSWORD])
  try {
    const store = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`
    const client = new TokenClient(demoOptions(mock, { store }))
    for (const shown of [util.inspect(client), JSON.stringify(client), String(client)]) {
      assert.ok(!shown.includes(REDIS_PASSWORD), shown)
    }
    await client.token()
    // The password was accepted: another process is served from Redis, without a request.
    const other = await tokenInChild(demoOptions(mock, { store }))
    assert.equal(other.requestsSent, 0)
    assert.equal((await mock.stats()).token_requests, 1)

    // A wrong password is a store outage: nothing sent for a window; nothing prints the password.
    const wrong = await refusedInChild(demoOptions(mock, { store: `redis://:wrong-${REDIS_PASSWORD}@127.0.0.1:${redis.port}` }))
    assert.match(wrong, /^OFFICERND_RATE_LIMITED: /m)
    assert.ok(!wrong.includes(REDIS_PASSWORD), wrong)
    assert.equal((await mock.stats()).token_requests, 1)

    // Invalid URLs: the error message, its inspection and its stack never show the password.
    for (const bad of [
      `redis://:${REDIS_PASSWORD}@127.0.0.1:notaport/0`,
      `rediss://user:${REDIS_PASSWORD}@[::1/0`,
      `redis://:${REDIS_PASSWORD}@127.0.0.1:6379/notadb`,
    ]) {
      await assert.rejects(new TokenClient(demoOptions(mock, { store: bad })).token(), (e) => {
        assert.equal(e.code, 'OFFICERND_CONFIG')
        assert.equal(e.setting, 'store')
        for (const shown of [e.message, e.stack, util.inspect(e), JSON.stringify(e)]) {
          assert.ok(!shown.includes(REDIS_PASSWORD), shown)
        }
        return true
      })
    }
  } finally {
    await redis.stop()
    await mock.stop()
  }
})
