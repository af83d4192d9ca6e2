'use strict'
// Packaging: the TypeScript types compile for ESM and CommonJS consumers, and `npm pack` gives the
// napi-rs main package (loader, no binary, optionalDependencies on the platform packages), which
// installs with this machine's platform package into a fresh project and works there (CommonJS,
// ESM and tsc).
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

test('npm pack: the main package and this platform\'s package install into a fresh project and work there', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'officernd-auth-pack-'))
  const mock = await startMock()
  t.after(async () => {
    await mock.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  })

  // The main package, packed as in a clone (`npm pack` here): the loader and types, README and
  // licences, optionalDependencies on every platform package at this version, no binary.
  const packed = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', tmp], PKG_DIR))
  const tarball = path.join(tmp, packed[0].filename)
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8'))
  assert.equal(packed[0].filename, `officernd-auth-${pkg.version}.tgz`)
  const files = packed[0].files.map((f) => f.path)
  for (const f of ['index.js', 'index.d.ts', 'lib/main.js', 'lib/main.mjs', 'lib/main.d.ts', 'lib/main.d.mts',
    'README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball`)
  }
  assert.ok(!files.some((f) => f.endsWith('.node')), 'no native module in the main package')
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('__test__/')), 'no sources or tests')
  // package.json in the tarball has them (prepack adds them for the pack; postpack takes them out).
  const packedPkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }))
  assert.equal(packedPkg.version, pkg.version)
  assert.equal(pkg.optionalDependencies, undefined, 'package.json is back as committed after the pack')
  const platforms = fs.readdirSync(path.join(PKG_DIR, 'npm'))
  assert.deepEqual(
    Object.keys(packedPkg.optionalDependencies).sort(),
    platforms.map((p) => `officernd-auth-${p}`).sort(),
    'optionalDependencies name every npm/<platform> package',
  )
  for (const v of Object.values(packedPkg.optionalDependencies)) assert.equal(v, pkg.version)

  // This machine's platform package from npm/<platform>/ with the binary `napi build` just made
  // (what `make dist-node` does with the release binaries), packed in a copy of that directory.
  const libc = process.platform !== 'linux' ? '' : process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl'
  const platform = `${process.platform}-${process.arch}${libc}${process.platform === 'win32' ? '-msvc' : ''}`
  assert.ok(platforms.includes(platform), `npm/${platform} exists`)
  const platDir = path.join(tmp, platform)
  fs.cpSync(path.join(PKG_DIR, 'npm', platform), platDir, { recursive: true })
  const meta = JSON.parse(fs.readFileSync(path.join(platDir, 'package.json'), 'utf8'))
  fs.copyFileSync(path.join(PKG_DIR, meta.main), path.join(platDir, meta.main))
  run(process.execPath, [path.join(PKG_DIR, 'scripts', 'prepack.mjs'), platDir], PKG_DIR)
  const platPacked = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', tmp], platDir))
  const platFiles = platPacked[0].files.map((f) => f.path).sort()
  assert.deepEqual(platFiles, [meta.main, 'LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'package.json'].sort())

  // Both into a fresh project, offline: npm skips the other platforms' optional packages.
  const app = path.join(tmp, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }))
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball,
    path.join(tmp, platPacked[0].filename)], app)
  assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'officernd-auth', meta.main)), 'the binary is not in the main package')
  assert.ok(fs.existsSync(path.join(app, 'node_modules', meta.name, meta.main)), `${meta.name} is installed`)

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
