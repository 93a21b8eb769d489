// Sealing a worker's answers, exactly as backend/microtask/manifests/envelope.py does:
// the answers' canonical JSON is encrypted once with a fresh AES-256-GCM key (associated
// data: the submission's context, so the ciphertext belongs to this task, slot and worker
// only), the key is wrapped with ECIES on secp256k1 for each recipient the manifest names
// (eciesjs, eciespy's format), and the wallet signs the envelope's keccak256 as EIP-712.
// The platform never sees the plaintext.
import { gcm } from '@noble/ciphers/aes'
import { randomBytes } from '@noble/ciphers/webcrypto'
import { encrypt as eciesEncrypt } from 'eciesjs'
import { getAddress } from 'viem'
import { fromHex, keccak_256, toBase64, toHex, utf8 } from './bytes'

export interface Recipient {
  role: 'requester' | 'verifier'
  public_key: string
}

export interface SealContext {
  chainId: number
  escrow: string
  taskId: number
  slot: number
  manifestCid: string
  worker: string
}

function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a)
  const right = Array.from(b)
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = (left[i] as string).codePointAt(0)! - (right[i] as string).codePointAt(0)!
    if (diff !== 0) return diff
  }
  return left.length - right.length
}

/** Canonical JSON, as encoding/canonical.py: sorted keys, no spaces, UTF-8 unescaped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('JSON has no NaN or infinity')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b))
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
}

export function addressOfPublicKey(publicKey: string): `0x${string}` {
  const raw = fromHex(publicKey)
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('a recipient key is not an uncompressed secp256k1 key')
  return getAddress(toHex(keccak_256(raw.slice(1)).slice(12)))
}

export interface Unsigned {
  envelope: Record<string, unknown>
  envelopeHash: `0x${string}`
}

/** The envelope without its signature, and the hash the worker signs. */
export function seal(answers: unknown, context: SealContext, recipients: Recipient[], submittedAt: number): Unsigned {
  const bound = {
    chain_id: context.chainId,
    escrow: getAddress(context.escrow),
    task_id: context.taskId,
    slot: context.slot,
    manifest: context.manifestCid,
    worker: getAddress(context.worker),
  }
  const plaintext = utf8(canonicalJson(answers))
  const key = randomBytes(32)
  const nonce = randomBytes(12)
  const ciphertext = gcm(key, nonce, utf8(canonicalJson(bound))).encrypt(plaintext)
  const wrapped = recipients.map((recipient) => ({
    role: recipient.role,
    address: addressOfPublicKey(recipient.public_key),
    wrapped_key: toBase64(eciesEncrypt(fromHex(recipient.public_key), key)),
  }))
  key.fill(0)
  const envelope = {
    type: 'microtask/submission-envelope',
    schema_version: 1,
    ...bound,
    submitted_at: submittedAt,
    payload: { cipher: 'aes-256-gcm', nonce: toBase64(nonce), ciphertext: toBase64(ciphertext), recipients: wrapped },
  }
  return { envelope, envelopeHash: toHex(keccak_256(utf8(canonicalJson(envelope)))) }
}
