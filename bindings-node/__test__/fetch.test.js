'use strict'
// client.fetch(): adds the Authorization header; on a 401 invalidates and retries once.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')

const { TokenClient } = require('officernd-auth')
const { NativeTokenClient } = require('../index.js')
const { startMock, demoOptions, DEMO } = require('./helpers.js')

let mock
test.before(async () => {
  mock = await startMock(['--no-rate-limit'])
})
test.after(() => mock?.stop())
test.beforeEach(() => mock.reset())

test('fetch() sends the token and keeps the caller headers', async () => {
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const res = await client.fetch(mock.resourceUrl, { headers: { accept: 'application/json' } })
  assert.equal(res.status, 200)
  assert.equal((await res.json()).client_id, DEMO.clientId)
  const res2 = await client.fetch(new URL(mock.resourceUrl))
  assert.equal(res2.status, 200)
  await res2.arrayBuffer()
  const stats = await mock.stats()
  assert.equal(stats.token_requests, 1)
  assert.equal(stats.resource_requests, 2)
})

test('a 401 (revoked token) invalidates the token and retries once with a new one', async (t) => {
  // The retry follows core's 401 rule: one tokenAfterUnauthorized call, no rule in JS.
  const rule = t.mock.method(NativeTokenClient.prototype, 'tokenAfterUnauthorized')
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const old = await client.token()
  await mock.revoke()
  const res = await client.fetch(mock.resourceUrl)
  assert.equal(rule.mock.callCount(), 1)
  assert.equal(rule.mock.calls[0].arguments[0].accessToken, old.accessToken)
  assert.equal(res.status, 200)
  await res.arrayBuffer()
  const fresh = await client.token()
  assert.notEqual(fresh.accessToken, old.accessToken)
  const stats = await mock.stats()
  assert.equal(stats.token_requests, 2)
  assert.equal(stats.resource_requests, 2, 'one 401, one retry')
})

test('a resource that keeps answering 401 gets exactly one retry; a stream body gets none', async (t) => {
  const seen = []
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization)
    req.resume()
    req.on('end', () => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end())
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => server.close(r)))
  const url = `http://127.0.0.1:${server.address().port}/always-401`
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))

  const res = await client.fetch(url, { method: 'POST', body: 'replayable' })
  assert.equal(res.status, 401)
  assert.equal(seen.length, 2)
  assert.notEqual(seen[0], seen[1], 'the retry carried a new token')
  assert.equal(seen[1], await client.authorizationHeader())

  const stream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode('once'))
      c.close()
    },
  })
  const res2 = await client.fetch(url, { method: 'POST', body: stream, duplex: 'half' })
  assert.equal(res2.status, 401)
  assert.equal(seen.length, 3, 'a stream body is not sent twice')
  assert.equal((await mock.stats()).token_requests, 2)
})

test('the manual pattern: invalidate(token) after a 401, then ask again', async () => {
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  const token = await client.token()
  await mock.revoke()
  const first = await fetch(mock.resourceUrl, { headers: { authorization: `Bearer ${token.accessToken}` } })
  assert.equal(first.status, 401)
  await first.arrayBuffer()
  assert.equal(await client.invalidate(token), true)
  const again = await fetch(mock.resourceUrl, { headers: { authorization: await client.authorizationHeader() } })
  assert.equal(again.status, 200)
})
