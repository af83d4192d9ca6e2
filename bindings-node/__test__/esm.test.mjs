// The package works from ES modules, and `import` and `require` share one native module (so one
// token cache per process).
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

import officernd, { TokenClient, Token, ErrorCode, isOfficeRnDAuthError } from 'officernd-auth'

const require = createRequire(import.meta.url)
const { startMock, demoOptions } = require('./helpers.js')

test('named and default ESM exports are the CommonJS ones', () => {
  const cjs = require('officernd-auth')
  assert.equal(TokenClient, cjs.TokenClient)
  assert.equal(Token, cjs.Token)
  assert.equal(ErrorCode, cjs.ErrorCode)
  assert.equal(isOfficeRnDAuthError, cjs.isOfficeRnDAuthError)
  assert.equal(officernd.TokenClient, cjs.TokenClient)
  assert.equal(typeof TokenClient.fromEnv, 'function')
})

test('an ESM caller gets a token and shares the cache with a CommonJS caller', async (t) => {
  const mock = await startMock()
  t.after(() => mock.stop())
  const esmClient = new TokenClient(demoOptions(mock))
  const cjsClient = new (require('officernd-auth').TokenClient)(demoOptions(mock))
  const a = await esmClient.token()
  const b = await cjsClient.token()
  assert.equal(a.accessToken, b.accessToken)
  assert.equal((await mock.stats()).token_requests, 1)
})
