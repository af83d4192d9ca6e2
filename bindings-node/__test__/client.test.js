'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')

const { TokenClient, Token } = require('officernd-auth')
const { startMock, demoOptions, DEMO } = require('./helpers.js')

let mock
test.before(async () => {
  mock = await startMock(['--no-rate-limit'])
})
test.after(() => mock?.stop())

test('token() fetches once, then serves the cache', async () => {
  const client = new TokenClient(demoOptions(mock))
  const t1 = await client.token()
  assert.ok(t1 instanceof Token)
  assert.equal(t1.tokenType, 'Bearer')
  assert.ok(t1.accessToken.length >= 24)
  assert.ok(t1.expiresAt instanceof Date)
  assert.ok(t1.expiresAt.getTime() > Date.now() + 3000_000)
  assert.ok(t1.expiresIn > 3000 && t1.expiresIn <= 3599)
  assert.deepEqual(t1.scopes, DEMO.scopes)

  const t2 = await client.token()
  assert.equal(t2.accessToken, t1.accessToken)
  assert.equal(await client.accessToken(), t1.accessToken)
  assert.equal(await client.authorizationHeader(), `Bearer ${t1.accessToken}`)
  assert.equal(client.tokenSync().accessToken, t1.accessToken)
  assert.equal(client.accessTokenSync(), t1.accessToken)
  assert.equal(client.authorizationHeaderSync(), `Bearer ${t1.accessToken}`)

  assert.equal((await mock.stats()).token_requests, 1)
  const s = client.stats()
  assert.equal(s.requestsSent, 1)
  assert.equal(s.requestsOk, 1)
  assert.ok(s.cacheHits >= 6)
  assert.equal(s.budgetCapacity, 5)
  assert.equal(s.budgetRemaining, 4)
  assert.ok(s.expiresIn > 3000)
  assert.equal(s.lastErrorCode, undefined)
})

test('clients with the same settings share one cache; the mock resource accepts the token', async () => {
  const a = new TokenClient(demoOptions(mock))
  const b = new TokenClient({ ...demoOptions(mock), scopes: 'officernd.api.write officernd.api.read' })
  const header = await b.authorizationHeader()
  assert.equal(header, await a.authorizationHeader())
  const res = await fetch(mock.resourceUrl, { headers: { authorization: header } })
  assert.equal(res.status, 200)
  assert.equal((await res.json()).client_id, DEMO.clientId)
})

test('tokenSync() fetches when the cache is empty', () => {
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const t = client.tokenSync()
  assert.equal(t.tokenType, 'Bearer')
  assert.equal(client.stats().requestsOk, 1)
})

test('fromEnv() reads OFFICERND_* variables; options override the rest', async () => {
  const saved = { ...process.env }
  try {
    process.env.OFFICERND_CLIENT_ID = DEMO.clientId
    process.env.OFFICERND_CLIENT_SECRET = DEMO.clientSecret
    process.env.OFFICERND_SCOPES = 'officernd.api.read'
    process.env.OFFICERND_TOKEN_URL = mock.tokenUrl
    const client = TokenClient.fromEnv({ timeoutMs: 5000 })
    assert.equal(client.clientId, DEMO.clientId)
    assert.equal(client.tokenUrl, mock.tokenUrl)
    assert.deepEqual(client.scopes, ['officernd.api.read'])
    const t = await client.token()
    assert.deepEqual(t.scopes, ['officernd.api.read'])
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
})

test('invalidate(token) drops only the cached token; it resolves on the pool, invalidateSync blocks', async () => {
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const t1 = await client.token()
  const pending = client.invalidate(t1)
  assert.ok(pending instanceof Promise)
  assert.equal(await pending, true)
  assert.equal(await client.invalidate(t1), false)
  const t2 = await client.token()
  assert.notEqual(t2.accessToken, t1.accessToken)
  assert.equal(await client.invalidate(t1), false, 'an old token does not drop the new one')
  assert.equal((await client.token()).accessToken, t2.accessToken)

  assert.equal(client.invalidateSync(t2), true)
  assert.equal(client.invalidateSync(t2), false)
  assert.notEqual(client.accessTokenSync(), t2.accessToken)
})

test('Token cannot be constructed from JS', () => {
  assert.throws(() => new Token())
})

test('toString, util.inspect and JSON.stringify never show the whole token', async () => {
  const client = new TokenClient(demoOptions(mock))
  const t = await client.token()
  const shown = [
    String(t),
    `${t}`,
    util.inspect(t),
    util.inspect(t, { depth: 0 }),
    util.inspect({ nested: { deeper: t } }, { depth: 5 }),
    util.format('%s %o %O %j', t, t, t, t),
    JSON.stringify(t),
    JSON.stringify({ t }),
    util.inspect(client),
    JSON.stringify(client),
    util.inspect(client.stats()),
  ]
  for (const s of shown) {
    assert.ok(!s.includes(t.accessToken), `whole token shown in: ${s.slice(0, 40)}`)
    assert.ok(!s.includes(DEMO.clientSecret), 'secret shown')
  }
  assert.match(util.inspect(t), /Token \{[^}]*accessToken: '.{6}…\[redacted\]'/s)
  const json = JSON.parse(JSON.stringify(t))
  assert.equal(json.tokenType, 'Bearer')
  assert.equal(json.accessToken, t.redacted)
  assert.equal(json.expiresAt, t.expiresAt.toISOString())
  assert.deepEqual(Object.keys(t), [], 'no own enumerable properties to spread')
})

test('the same cached token is the same Token object; a new token is a new object', async () => {
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const a = client.tokenSync()
  assert.equal(client.tokenSync(), a)
  assert.equal(await client.token(), a)
  await client.invalidate(a)
  const b = await client.token()
  assert.notEqual(b.accessToken, a.accessToken)
  const c = client.tokenSync()
  assert.equal(c.accessToken, b.accessToken)
  assert.equal(client.tokenSync(), c)
})

test('clients and tokens are garbage-collected cleanly', () => {
  const { execFileSync } = require('node:child_process')
  const script = `
    const { TokenClient } = require('officernd-auth')
    const options = JSON.parse(process.env.TEST_CLIENT_OPTIONS)
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) new TokenClient(options).tokenSync()
      globalThis.gc()
    }
    console.log('ok')`
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], {
    cwd: __dirname,
    env: { ...process.env, TEST_CLIENT_OPTIONS: JSON.stringify(demoOptions(mock)) },
    encoding: 'utf8',
  })
  assert.equal(out.trim(), 'ok')
})
