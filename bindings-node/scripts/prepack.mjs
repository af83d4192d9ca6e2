// What `napi pre-publish` does to a napi-rs package, for `npm pack` / `npm publish` from a clone:
//   node scripts/prepack.mjs              bindings-node/'s prepack: the main package
//   node scripts/prepack.mjs --postpack   bindings-node/'s postpack: package.json back as committed
//   node scripts/prepack.mjs DIR          a platform package, npm/<platform>/ holding its binary
//                                         (make dist-node and the release workflow run it)
// Every package gets the repository's licence texts copied in (npm packs only files under the
// package directory; the copies are git-ignored). The main package's package.json gets, for the
// pack only, `optionalDependencies` on the platform package of every napi.targets entry at exactly
// this version (npm installs the one whose os/cpu/libc match; index.js, napi's loader, requires
// it). They are not committed: npm ci refuses a lock file without them, and none can hold them
// until the platform packages are published. The main package carries no binary.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const root = path.resolve(pkgDir, '..')
const pkgFile = path.join(pkgDir, 'package.json')
const arg = process.argv[2]
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'))
const write = (f, json) => fs.writeFileSync(f, JSON.stringify(json, null, 2) + '\n')
const copyLicences = (dir) => {
  for (const l of ['LICENSE-MIT', 'LICENSE-APACHE']) fs.copyFileSync(path.join(root, l), path.join(dir, l))
}

const pkg = read(pkgFile)
if (arg === '--postpack') {
  delete pkg.optionalDependencies
  write(pkgFile, pkg)
} else if (arg) {
  const dir = path.resolve(arg)
  const meta = read(path.join(dir, 'package.json'))
  if (meta.version !== pkg.version) throw new Error(`${meta.name}: version ${meta.version}, main package ${pkg.version}`)
  if (!fs.existsSync(path.join(dir, meta.main))) throw new Error(`${meta.name}: no ${meta.main} in ${dir}`)
  copyLicences(dir)
  console.error(`prepack: ${meta.name}@${meta.version} (${meta.os}/${meta.cpu}${meta.libc ? '/' + meta.libc : ''}): licences copied`)
} else {
  // One npm/<platform>/ per napi target, named as napi names them (the loader requires these names).
  const platforms = fs.readdirSync(path.join(pkgDir, 'npm')).sort()
  const optional = {}
  for (const platform of platforms) {
    const meta = read(path.join(pkgDir, 'npm', platform, 'package.json'))
    if (meta.name !== `${pkg.name}-${platform}`) throw new Error(`npm/${platform}: name ${meta.name}`)
    if (meta.version !== pkg.version) throw new Error(`npm/${platform}: version ${meta.version}, package ${pkg.version}`)
    optional[meta.name] = pkg.version
  }
  if (platforms.length !== pkg.napi.targets.length) {
    throw new Error(`npm/ has ${platforms.length} platform packages, napi.targets ${pkg.napi.targets.length}`)
  }
  if (pkg.files.some((f) => f.includes('.node'))) throw new Error('the main package must not list a .node file')
  const out = {}
  for (const [k, v] of Object.entries(pkg)) {
    if (k === 'optionalDependencies') continue
    out[k] = v
    if (k === 'napi') out.optionalDependencies = optional
  }
  write(pkgFile, out)
  copyLicences(pkgDir)
  console.error(`prepack: ${pkg.name}@${pkg.version}: licences copied; optionalDependencies on ${platforms.length} platform packages`)
}
