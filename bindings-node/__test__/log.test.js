'use strict'
// Core's log records reach Node: warnings through process.emitWarning (type
// OfficeRnDAuthWarning), info and debug records under NODE_DEBUG=officernd-auth — only core's
// own records, never the HTTP/TLS stack's, never a secret or a whole token.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const { TokenClient, ErrorCode } = require('officernd-auth')
const { startMock, demoOptions, runNode, freePort, DEMO } = require('./helpers.js')

const REDIS_PASSWORD = 'hunter2-redis-pw'

// The timeout turns a lost record (the barrier never seen) into a failure instead of a hang.
test('a Redis store where nothing listens: exactly one warning naming the store, no secret; token() refused', { timeout: 30_000 }, async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  const warnings = []
  let barrierSeen
  const barrier = new Promise((resolve) => {
    barrierSeen = resolve
  })
  const onWarning = (w) => {
    warnings.push(w)
    if (w.message.includes('OFFICERND_REDIS_CA_FILE')) barrierSeen()
  }
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))

  const port = await freePort()
  const client = new TokenClient(demoOptions(mock, { store: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}/0` }))
  // Core's outage policy: without the store it cannot know what the fleet sent, so it holds back.
  for (let i = 0; i < 3; i++) {
    await assert.rejects(client.token(), { code: ErrorCode.RATE_LIMITED })
  }
  // Nor does a compare-and-delete on the store say it again.
  const elsewhere = await new TokenClient(demoOptions(mock, { shareCache: false })).token()
  assert.equal(await client.invalidate(elsewhere), false)

  // A barrier: a record logged now (on this thread, by opening another Redis store while
  // OFFICERND_REDIS_CA_FILE is set) arrives after every record logged before it.
  const saved = process.env.OFFICERND_REDIS_CA_FILE
  process.env.OFFICERND_REDIS_CA_FILE = path.join(__dirname, 'no-such-ca.pem')
  try {
    new TokenClient(demoOptions(mock, { store: `redis://127.0.0.1:${port}/1` })).stats()
  } finally {
    if (saved === undefined) delete process.env.OFFICERND_REDIS_CA_FILE
    else process.env.OFFICERND_REDIS_CA_FILE = saved
  }
  await barrier

  const outage = warnings.filter((w) => !w.message.includes('OFFICERND_REDIS_CA_FILE'))
  assert.equal(outage.length, 1, outage.map((w) => w.message).join('\n'))
  const [w] = outage
  assert.equal(w.name, 'OfficeRnDAuthWarning')
  assert.match(w.message, new RegExp(`^token store redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: `))
  for (const shown of warnings.map((x) => `${x.message} ${x.stack}`)) {
    assert.ok(!shown.includes(REDIS_PASSWORD), shown)
    assert.ok(!shown.includes(DEMO.clientSecret), shown)
  }
  assert.equal((await mock.stats()).token_requests, 1, 'only the storeless client sent one')
})

test('NODE_DEBUG=officernd-auth shows core info and debug records; never a token, a secret or the HTTP stack', async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  const r = await runNode(path.join(__dirname, 'fixtures', 'token-debug.js'), {
    NODE_DEBUG: 'officernd-auth',
    RUST_LOG: 'trace',
    TEST_CLIENT_OPTIONS: JSON.stringify(demoOptions(mock)),
  })
  assert.equal(r.code, 0, r.stderr)
  const token = r.stdout
  assert.ok(token.length >= 24)
  const lines = r.stderr.split('\n').filter(Boolean)
  const core = String.raw`officernd_auth(::\w+)*`
  assert.ok(lines.some((l) => new RegExp(String.raw`^OFFICERND-AUTH \d+: debug ${core}: requesting a token for client demo-client-id`).test(l)), r.stderr)
  assert.ok(lines.some((l) => new RegExp(String.raw`^OFFICERND-AUTH \d+: info ${core}: token .{6}…\[redacted\] obtained`).test(l)), r.stderr)
  for (const l of lines) assert.match(l, new RegExp(String.raw`^OFFICERND-AUTH \d+: (info|debug) ${core}: `), 'only core records')
  assert.ok(!r.stderr.includes(token), 'a whole token in the log')
  assert.ok(!r.stderr.includes(DEMO.clientSecret), 'the secret in the log')
})
