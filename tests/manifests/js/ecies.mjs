// ECIES by an independent implementation: eciesjs (the JavaScript library eciespy mirrors).
//   node ecies.mjs encrypt PUBLIC_KEY_HEX PLAINTEXT_HEX  -> ciphertext hex
//   node ecies.mjs decrypt PRIVATE_KEY_HEX CIPHERTEXT_HEX -> plaintext hex
// Default configuration: secp256k1, uncompressed ephemeral key, AES-256-GCM, 16-byte nonce.
import { decrypt, encrypt } from 'eciesjs'

const [command, key, data] = process.argv.slice(2)
const bytes = (hex) => Buffer.from(hex.replace(/^0x/, ''), 'hex')
const out = command === 'encrypt' ? encrypt(bytes(key), bytes(data)) : decrypt(bytes(key), bytes(data))
process.stdout.write(Buffer.from(out).toString('hex') + '\n')
