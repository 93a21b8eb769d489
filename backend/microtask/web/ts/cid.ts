// Content identifiers, as the platform's content store makes them (Kubo's `ipfs add`):
// CIDv0 (dag-pb UnixFS, base58btc "Qm…") by default, CIDv1 with raw leaves ("bafk…")
// when the deployment asks for v1. The browser computes the CID of what it uploads, so a
// receipt is checked against the envelope it signed, not against the server's word.
import { concat, sha256 } from './bytes'

const CHUNK = 262_144
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function varint(value: number): Uint8Array {
  const out: number[] = []
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80)
    value = Math.floor(value / 128)
  }
  out.push(value)
  return Uint8Array.from(out)
}

function readVarint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0
  let shift = 1
  for (let i = offset; i < bytes.length; i++) {
    const byte = bytes[i] as number
    value += (byte & 0x7f) * shift
    if (byte < 0x80) return [value, i + 1]
    shift *= 128
  }
  throw new Error('truncated varint in a CID')
}

function field(number: number, payload: Uint8Array): Uint8Array {
  return concat(varint((number << 3) | 2), varint(payload.length), payload)
}

function varintField(number: number, value: number): Uint8Array {
  return concat(varint(number << 3), varint(value))
}

export function base58(bytes: Uint8Array): string {
  let value = 0n
  for (const byte of bytes) value = value * 256n + BigInt(byte)
  let out = ''
  while (value > 0n) {
    out = BASE58[Number(value % 58n)] + out
    value /= 58n
  }
  for (const byte of bytes) {
    if (byte !== 0) break
    out = '1' + out
  }
  return out
}

function unbase58(text: string): Uint8Array {
  let value = 0n
  for (const char of text) {
    const digit = BASE58.indexOf(char)
    if (digit < 0) throw new Error('not base58')
    value = value * 58n + BigInt(digit)
  }
  const out: number[] = []
  while (value > 0n) {
    out.unshift(Number(value % 256n))
    value /= 256n
  }
  for (const char of text) {
    if (char !== '1') break
    out.unshift(0)
  }
  return Uint8Array.from(out)
}

function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let buffer = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(buffer >> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

function unbase32(text: string): Uint8Array {
  const out: number[] = []
  let bits = 0
  let buffer = 0
  for (const char of text.toLowerCase()) {
    const digit = BASE32.indexOf(char)
    if (digit < 0) throw new Error('not base32')
    buffer = (buffer << 5) | digit
    bits += 5
    if (bits >= 8) {
      out.push((buffer >> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}

/** The CID the content store gives ``bytes`` (one chunk: up to 256 KiB), in ``version``. */
export function cidOf(bytes: Uint8Array, version: 0 | 1): string {
  if (bytes.length > CHUNK) throw new Error('more than one chunk: too large to check here')
  if (version === 1) {
    return 'b' + base32(concat(Uint8Array.from([0x01, 0x55, 0x12, 0x20]), sha256(bytes)))
  }
  const parts = [varintField(1, 2)]
  if (bytes.length > 0) parts.push(field(2, bytes))
  parts.push(varintField(3, bytes.length))
  const node = field(1, concat(...parts))
  return base58(concat(Uint8Array.from([0x12, 0x20]), sha256(node)))
}

/** A CID's binary form (what the escrow stores: v0 is its multihash). */
export function cidBytes(cid: string): Uint8Array {
  if (cid.startsWith('Qm') && cid.length === 46) return unbase58(cid)
  if (cid.startsWith('b')) return unbase32(cid.slice(1))
  throw new Error(`not a CID this page reads: ${cid}`)
}

/** The hash digest inside a CID (a receipt's resultDigest is the envelope CID's). */
export function cidDigest(cid: string): Uint8Array {
  const bytes = cidBytes(cid)
  let offset = 0
  if (!(bytes[0] === 0x12 && bytes[1] === 0x20)) {
    ;[, offset] = readVarint(bytes, 0) // version
    ;[, offset] = readVarint(bytes, offset) // codec
  }
  ;[, offset] = readVarint(bytes, offset) // hash function
  const [length, start] = readVarint(bytes, offset)
  return bytes.slice(start, start + length)
}
