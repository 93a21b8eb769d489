// The web app's requester_key.ts, bundled for Node by esbuild and run on the arguments:
//   node requester_key.mjs CHAIN_ID ESCROW ACCOUNT SIGNATURE_HEX
// prints JSON: the typed data the wallet signs, the derived key and its public key, the
// export file. The Python test compares each with client/requester_key.py's.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const entry = join(root, 'backend', 'microtask', 'web', 'ts', 'requester_key.ts')
const built = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', write: false })
const source = built.outputFiles[0].text
const module = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)

const [chainId, escrow, account, signature] = process.argv.slice(2)
const hex = (bytes) => '0x' + Buffer.from(bytes).toString('hex')
const key = await module.keyFromSignature(signature, Number(chainId), escrow, account)
process.stdout.write(
  JSON.stringify({
    typed_data: module.keyTypedData(Number(chainId), escrow, account),
    derived: hex(module.derivePrivateKey(Buffer.from(signature.slice(2), 'hex'))),
    private_key: hex(key.privateKey),
    public_key: key.publicKey,
    address: key.address,
    export: JSON.parse(module.keyExport(key)),
  }) + '\n',
)
