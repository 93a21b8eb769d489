// CIDs of files by an independent implementation: ipfs-unixfs-importer, the importer of the
// JavaScript IPFS stack (Helia). For each path on the command line, prints one JSON line:
//   {"path": ..., "v0": CIDv0 as `ipfs add`, "v1": CIDv1 with raw leaves as `ipfs add --cid-version 1`}
// Kubo's parameters are spelled out (256 KiB chunks, balanced layout, 174 links per node,
// dag-pb "file" leaves for v0), so nothing depends on the package's defaults. Blocks go to a
// black hole: only the root CID is wanted, and files are streamed from disk.
import { createReadStream } from 'node:fs'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { importer } from 'ipfs-unixfs-importer'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'

const kubo = (cidVersion) => ({
  cidVersion,
  rawLeaves: cidVersion === 1,
  leafType: 'file',
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: 262144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
})

async function cidOf (path, cidVersion) {
  let root
  for await (const entry of importer([{ content: createReadStream(path) }], new BlackHoleBlockstore(), kubo(cidVersion))) {
    root = entry.cid
  }
  return root.toString()
}

for (const path of process.argv.slice(2)) {
  const line = { path, v0: await cidOf(path, 0), v1: await cidOf(path, 1) }
  process.stdout.write(JSON.stringify(line) + '\n')
}
