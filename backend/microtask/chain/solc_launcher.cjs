#!/usr/bin/env node
// A solc-compatible command around the npm package `solc` (solcjs), for machines where
// no native solc can be downloaded. py-solc-x drives it like the real compiler:
//   solc_launcher.cjs --version          prints "Version: <full version>" as native solc does
//   solc_launcher.cjs --standard-json    reads standard JSON on stdin, writes standard JSON on stdout
// The `solcjs` command that ships with the package prints a notice before its JSON, so it
// cannot stand in for solc; this launcher prints nothing but the JSON.
// Imports the input does not carry are resolved from node_modules (e.g. @openzeppelin/...)
// and from the directory given by --base-path, or the working directory.
'use strict';

const fs = require('fs');
const path = require('path');

/** Where to look for the `solc` package and imported libraries: the project root first. */
function searchRoots() {
  return [process.env.MICROTASK_NODE_ROOT, process.cwd(), __dirname].filter(Boolean);
}

function loadSolc() {
  try {
    return require(require.resolve('solc', { paths: searchRoots() }));
  } catch (err) {
    process.stderr.write(
      'Error: the npm package "solc" is not installed; run `npm ci` in the project root\n'
    );
    process.exit(2);
  }
}

function optionValue(args, name) {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : undefined;
}

function makeImportResolver(basePath) {
  return function resolveImport(importPath) {
    const candidates = [path.resolve(basePath, importPath)];
    try {
      candidates.push(require.resolve(importPath, { paths: searchRoots() }));
    } catch (err) {
      // not a package path; the candidates so far are all we have
    }
    for (const candidate of candidates) {
      if (fs.existsSync(candidate)) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath}` };
  };
}

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--version')) {
    const solc = loadSolc();
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (args.includes('--standard-json')) {
    const solc = loadSolc();
    const basePath = optionValue(args, '--base-path') || process.cwd();
    const output = solc.compile(readStdin(), { import: makeImportResolver(basePath) });
    process.stdout.write(output);
    process.stdout.write('\n');
    return;
  }
  process.stderr.write('Error: this launcher supports only --version and --standard-json\n');
  process.exit(2);
}

main();
