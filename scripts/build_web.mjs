// Builds the web app's one ES module (and the chunks it loads on demand) with esbuild.
//   node scripts/build_web.mjs [--force]
// Sources: backend/microtask/web/ts/ (TypeScript); output: backend/microtask/web/bundle/
// (git-ignored): fingerprinted files, a .gz beside each (served as they are), and
// manifest.json naming the entry and every file's static imports (the pages preload them,
// and the tests and bench/web.py count what each page ships). Skipped when the sources,
// package-lock.json and this script are unchanged since the last build (a stamp file), so
// scripts/dev.sh and the test session call it every time.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync, constants } from 'node:zlib'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sources = join(root, 'backend', 'microtask', 'web', 'ts')
const out = join(root, 'backend', 'microtask', 'web', 'bundle')
const force = process.argv.includes('--force')

function files(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : [path]
    })
}

const hash = createHash('sha256')
for (const path of [...files(sources), join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) {
  hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0')
}
const fingerprint = hash.digest('hex').slice(0, 16)
const stamp = join(out, `.built-${fingerprint}`)
try {
  statSync(stamp)
  if (!force) process.exit(0)
} catch {}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const result = await build({
  entryPoints: { app: join(sources, 'app.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  outdir: out,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
})
const manifest = { fingerprint, entry: null, files: {} }
for (const [path, output] of Object.entries(result.metafile.outputs)) {
  const name = basename(path)
  const data = readFileSync(join(root, path))
  writeFileSync(join(out, `${name}.gz`), gzipSync(data, { level: constants.Z_BEST_COMPRESSION }))
  manifest.files[name] = {
    bytes: data.length,
    gzip_bytes: statSync(join(out, `${name}.gz`)).size,
    imports: output.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path)),
    dynamic_imports: output.imports.filter((i) => i.kind === 'dynamic-import').map((i) => basename(i.path)),
  }
  if (output.entryPoint && name.startsWith('app-')) manifest.entry = name
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
writeFileSync(stamp, '')
console.error(`web bundle built: ${manifest.entry} and ${Object.keys(manifest.files).length - 1} chunks`)
