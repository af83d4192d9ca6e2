'use strict'
// The lists of error codes, settings and stats fields are core's: the package takes them from
// the native module (no list restated in lib/main.js), and the TypeScript types, which name them
// for editors, must not drift from them.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const { TokenClient, ErrorCode } = require('officernd-auth')
const native = require('../index.js')
const { startMock, demoOptions, DEMO } = require('./helpers.js')

const TYPES = fs.readFileSync(path.join(__dirname, '..', 'lib', 'main.d.ts'), 'utf8')

/** The member names of `interface name` in lib/main.d.ts. */
function interfaceMembers(name) {
  const m = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(TYPES)
  assert.ok(m, `interface ${name} in lib/main.d.ts`)
  return [...m[1].matchAll(/^ {2}(\w+)\??:/gm)].map((x) => x[1])
}

let mock
test.before(async () => {
  mock = await startMock(['--no-rate-limit'])
})
test.after(() => mock?.stop())

test("ErrorCode is core's list of codes", () => {
  const codes = native.errorCodes()
  assert.deepEqual(ErrorCode, Object.fromEntries(codes.map((c) => [c.name, c.code])))
  assert.deepEqual(
    codes.map((c) => c.core),
    ['config', 'oauth', 'rate_limited', 'http', 'transport', 'timeout', 'invalid_response'],
  )
  for (const c of codes) assert.equal(c.code, `OFFICERND_${c.core.toUpperCase()}`)
  assert.deepEqual(
    codes.map((c) => c.number),
    codes.map((_, i) => i + 1),
    'the C numbers',
  )
  // The TypeScript union and constant name the same codes.
  const union = /export type ErrorCode =\n((?:\s+\| '\w+'\n)+)/.exec(TYPES)[1]
  assert.deepEqual([...union.matchAll(/'(\w+)'/g)].map((m) => m[1]), Object.values(ErrorCode))
  const constant = /export declare const ErrorCode: \{([\s\S]*?)\n\}/.exec(TYPES)[1]
  assert.deepEqual([...constant.matchAll(/readonly (\w+): '(\w+)'/g)].map((m) => [m[1], m[2]]), Object.entries(ErrorCode))
})

test("the options are core's settings, in camelCase with durations in ms; the types list them all", () => {
  const settings = native.settings()
  const names = settings.map((s) => s.name)
  assert.ok(names.includes('quotaWindowMs') && names.includes('clientId') && names.includes('storePath'))
  for (const s of settings) {
    assert.equal(s.kind === 'duration', s.name.endsWith('Ms'), s.name)
  }
  assert.deepEqual(interfaceMembers('TokenClientOptions').sort(), [...names, 'budget'].sort())
  assert.deepEqual(interfaceMembers('BudgetOptions'), ['maxRequests', 'windowMs'])
})

test('every core setting is taken under its Node name, by kind, with no list in the binding', async () => {
  const example = {
    text: (s) => ({ tokenUrl: mock.tokenUrl, store: 'memory' })[s.name] ?? 'some-value',
    secret: () => DEMO.clientSecret,
    scopes: () => ['officernd.api.read'],
    duration: (s) => ({ refreshAheadMs: 120_000, minValidityMs: 30_000 })[s.name] ?? 2500,
    count: () => 3,
    flag: () => false,
    path: () => undefined, // storePath: the store test covers it
  }
  for (const s of native.settings()) {
    const value = example[s.kind](s)
    if (value === undefined) continue
    const options = { ...demoOptions(mock), [s.name]: value }
    if (s.name === 'clientId') options.clientId = DEMO.clientId
    assert.doesNotThrow(() => new TokenClient(options), s.name)
  }
  // The settings reach core: a 1-request budget set by its new top-level name refuses a second request.
  const c = new TokenClient(demoOptions(mock, { shareCache: false, maxRequests: 1, quotaWindowMs: 60_000 }))
  await c.token()
  assert.equal(c.stats().budgetCapacity, 1)
  await c.invalidate(await c.token())
  await assert.rejects(c.token(), { code: ErrorCode.RATE_LIMITED })
})

test("core's aliases and the shipped budget spelling are accepted; one setting given twice is not", () => {
  const base = demoOptions(mock, { shareCache: false })
  const budget = (extra) => new TokenClient({ ...base, ...extra }).stats().budgetCapacity
  assert.equal(budget({ budget: { maxRequests: 3, windowMs: 1000 } }), 3)
  assert.equal(budget({ budget: { maxRequests: 4 } }), 4)
  assert.equal(budget({ maxRequests: 2, windowMs: 1000 }), 2)
  const { scopes, ...noScopes } = base
  assert.deepEqual(new TokenClient({ ...noScopes, scope: scopes.join(' ') }).scopes, scopes)

  for (const [extra, message] of [
    [{ scope: 'a' }, /options\.scopes and options\.scope both set scopes/],
    [{ maxRequests: 2, budget: { maxRequests: 3 } }, /both set max_requests/],
    [{ quotaWindowMs: 1000, budget: { windowMs: 1000 } }, /both set quota_window/],
  ]) {
    assert.throws(() => new TokenClient({ ...base, ...extra }), (e) => e instanceof TypeError && message.test(e.message))
  }
  for (const [extra, message] of [
    [{ timeout: 5000 }, /unknown option "timeout"; durations are in milliseconds: timeoutMs/],
    [{ client_id: 'x' }, /unknown option "client_id" \(known: clientId, clientSecret, .*budget\)/],
    [{ budget: { windowMs: 1000, extra: 1 } }, /options\.budget must be an object/],
  ]) {
    assert.throws(() => new TokenClient({ ...base, ...extra }), (e) => e instanceof TypeError && message.test(e.message))
  }
})

test("stats() has one property per core stats field; the Stats type lists them all", async () => {
  const fields = native.statsFields().map((f) => f.name)
  assert.equal(fields[0], 'requestsSent')
  assert.deepEqual(interfaceMembers('Stats'), fields)
  const client = new TokenClient(demoOptions(mock, { shareCache: false }))
  await client.token()
  // Absent values (no error since the last success) are left out.
  assert.deepEqual(Object.keys(client.stats()), fields.filter((f) => f !== 'lastErrorCode'))
})
