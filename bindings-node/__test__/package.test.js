'use strict'
// Packaging: the TypeScript types compile for ESM and CommonJS consumers, and the `npm pack`
// tarball installs into a fresh project and works there (CommonJS, ESM and tsc).
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { startMock, DEMO } = require('./helpers.js')

const PKG_DIR = path.resolve(__dirname, '..')
const TSC = path.join(PKG_DIR, 'node_modules', 'typescript', 'bin', 'tsc')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: { ...process.env, npm_config_update_notifier: 'false', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${e.status}):\n${e.stdout}\n${e.stderr}`, { cause: e })
  }
}

test('TypeScript: the typed examples compile (tsc --noEmit)', () => {
  run(process.execPath, [TSC, '-p', path.join(__dirname, 'typed')], PKG_DIR)
})

test('npm pack tarball installs into a fresh project and works there', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'officernd-auth-pack-'))
  const mock = await startMock()
  t.after(async () => {
    await mock.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  })

  const packed = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', tmp], PKG_DIR))
  const tarball = path.join(tmp, packed[0].filename)
  assert.match(packed[0].filename, /^officernd-auth-.*\.tgz$/)
  const files = packed[0].files.map((f) => f.path)
  for (const f of ['index.js', 'index.d.ts', 'lib/main.js', 'lib/main.mjs', 'lib/main.d.ts', 'lib/main.d.mts']) {
    assert.ok(files.includes(f), `${f} is in the tarball`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the native module is in the tarball')
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('__test__/')), 'no sources or tests')

  const app = path.join(tmp, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }))
  run(NPM, ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], app)

  const env = {
    OFFICERND_CLIENT_ID: DEMO.clientId,
    OFFICERND_CLIENT_SECRET: DEMO.clientSecret,
    OFFICERND_SCOPES: DEMO.scopes.join(' '),
    OFFICERND_TOKEN_URL: mock.tokenUrl,
    OFFICERND_MOCK_URL: mock.url,
  }
  fs.writeFileSync(
    path.join(app, 'cjs.js'),
    `const { TokenClient } = require('officernd-auth')
const client = TokenClient.fromEnv()
client.authorizationHeader()
  .then((h) => fetch(process.env.OFFICERND_MOCK_URL + '/api/v2/me', { headers: { Authorization: h } }))
  .then((r) => console.log('cjs', r.status))`,
  )
  fs.writeFileSync(
    path.join(app, 'esm.mjs'),
    `import { TokenClient } from 'officernd-auth'
const client = TokenClient.fromEnv()
const res = await client.fetch(process.env.OFFICERND_MOCK_URL + '/api/v2/me')
console.log('esm', res.status, String(await client.token()).startsWith('Token('))`,
  )
  assert.equal(run(process.execPath, ['cjs.js'], app, env).trim(), 'cjs 200')
  assert.equal(run(process.execPath, ['esm.mjs'], app, env).trim(), 'esm 200 true')
  assert.equal((await mock.stats()).token_requests, 2, 'one token request per process')

  // The installed package's types, as a consumer compiles them.
  fs.copyFileSync(path.join(__dirname, 'typed', 'example.mts'), path.join(app, 'example.mts'))
  fs.copyFileSync(path.join(__dirname, 'typed', 'example.cts'), path.join(app, 'example.cts'))
  const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, 'typed', 'tsconfig.json'), 'utf8'))
  tsconfig.compilerOptions.typeRoots = [path.join(PKG_DIR, 'node_modules', '@types')]
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig))
  run(process.execPath, [TSC, '-p', app], app)
})
