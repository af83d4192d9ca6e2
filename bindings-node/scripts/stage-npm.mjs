// Stages the npm packages of a release, napi-rs style, for `npm pack` / `npm publish`:
//   node scripts/stage-npm.mjs ARTIFACTS_DIR STAGE_DIR
// ARTIFACTS_DIR holds built binaries named officernd-auth.<platform>.node. For every platform
// directory in npm/ with a binary, STAGE_DIR/<platform>/ gets its package.json (os, cpu, libc),
// README, both licence texts and the binary. STAGE_DIR/officernd-auth/ is the main package: the
// loader (index.js, napi's generated one, which requires `officernd-auth-<platform>`), lib/, the
// types, README and licences, and `optionalDependencies` on every platform package of
// package.json's napi.targets at exactly this version (what `napi prepublish` adds), so npm
// installs only the one whose os/cpu/libc match. No binary in the main package.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const root = path.resolve(pkgDir, '..')
const [artifacts, stage] = process.argv.slice(2).map((p) => path.resolve(p))
if (!artifacts || !stage) throw new Error('usage: stage-npm.mjs ARTIFACTS_DIR STAGE_DIR')

const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
const licences = ['LICENSE-MIT', 'LICENSE-APACHE']
fs.rmSync(stage, { recursive: true, force: true })

const platforms = fs.readdirSync(path.join(pkgDir, 'npm')).sort()
const optional = {}
for (const platform of platforms) {
  const meta = JSON.parse(fs.readFileSync(path.join(pkgDir, 'npm', platform, 'package.json'), 'utf8'))
  if (meta.version !== pkg.version) throw new Error(`npm/${platform}: version ${meta.version}, package ${pkg.version}`)
  optional[meta.name] = pkg.version
  const binary = path.join(artifacts, meta.main)
  if (!fs.existsSync(binary)) {
    console.log(`stage-npm: ${meta.name}: no ${meta.main} here (built by the release workflow)`)
    continue
  }
  const dir = path.join(stage, platform)
  fs.mkdirSync(dir, { recursive: true })
  const files = [...new Set([...(meta.files ?? []), ...licences])]
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...meta, files }, null, 2) + '\n')
  fs.copyFileSync(path.join(pkgDir, 'npm', platform, 'README.md'), path.join(dir, 'README.md'))
  for (const l of licences) fs.copyFileSync(path.join(root, l), path.join(dir, l))
  fs.copyFileSync(binary, path.join(dir, meta.main))
  console.log(`stage-npm: ${meta.name} (${meta.os}/${meta.cpu}${meta.libc ? '/' + meta.libc : ''}) staged`)
}

const main = path.join(stage, pkg.name)
fs.mkdirSync(main, { recursive: true })
// npm packs a README by itself, but licence files only under the names LICENSE/LICENCE: list them.
const mainPkg = { ...pkg, files: [...pkg.files.filter((f) => !f.endsWith('.node')), ...licences], optionalDependencies: optional }
delete mainPkg.devDependencies
delete mainPkg.scripts
fs.writeFileSync(path.join(main, 'package.json'), JSON.stringify(mainPkg, null, 2) + '\n')
for (const f of ['index.js', 'index.d.ts', 'README.md']) fs.copyFileSync(path.join(pkgDir, f), path.join(main, f))
fs.cpSync(path.join(pkgDir, 'lib'), path.join(main, 'lib'), { recursive: true })
for (const l of licences) fs.copyFileSync(path.join(root, l), path.join(main, l))
console.log(`stage-npm: ${pkg.name} staged with optionalDependencies on ${Object.keys(optional).length} platform packages`)
