// Opening what is sealed to the requester, in the browser, with the key derived from the
// wallet's signature (requester_key.ts): a result set (verifier/results.py) and a
// submission envelope (manifests/envelope.py). Both are AES-256-GCM under a fresh key
// wrapped with ECIES on secp256k1 (eciesjs reads eciespy's format); the associated data is
// the canonical JSON of where the document belongs, so one cannot pass for another's.
import { gcm } from '@noble/ciphers/aes'
import { decrypt as eciesDecrypt } from 'eciesjs'
import { getAddress } from 'viem'
import { utf8 } from './bytes'
import type { RequesterKey } from './requester_key'
import { addressOfPublicKey, canonicalJson } from './seal'

export class NotARecipient extends Error {}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

function open(key: RequesterKey, wrapped: string, nonce: string, ciphertext: string, associated: unknown): string {
  const secret = eciesDecrypt(key.privateKey, fromBase64(wrapped))
  try {
    const plain = gcm(secret, fromBase64(nonce), utf8(canonicalJson(associated))).decrypt(fromBase64(ciphertext))
    return new TextDecoder().decode(plain)
  } finally {
    secret.fill(0)
  }
}

export interface SealedResultSet {
  chain_id: number
  escrow: string
  task_id: number
  requester: string
  run: number
  items: number
  method: string | null
  nonce: string
  ciphertext: string
  wrapped_key: string
  recipient_public_key: string
}

/** The result set's JSON Lines and CSV; `NotARecipient` when it is sealed to another key. */
export function openResults(sealed: SealedResultSet, key: RequesterKey): { jsonl: string; csv: string } {
  if (addressOfPublicKey(sealed.recipient_public_key) !== getAddress(key.address)) {
    throw new NotARecipient(addressOfPublicKey(sealed.recipient_public_key))
  }
  const context = {
    chain_id: sealed.chain_id,
    escrow: sealed.escrow,
    task_id: sealed.task_id,
    requester: sealed.requester,
    run: sealed.run,
  }
  const body = JSON.parse(open(key, sealed.wrapped_key, sealed.nonce, sealed.ciphertext, context)) as {
    jsonl: string
    csv: string
  }
  return { jsonl: body.jsonl, csv: body.csv }
}

export interface Envelope {
  chain_id: number
  escrow: string
  task_id: number
  slot: number
  manifest: string
  worker: string
  payload: { nonce: string; ciphertext: string; recipients: { role: string; address: string; wrapped_key: string }[] }
}

/** A submission's answers; `NotARecipient` when the key is not among its readers. */
export function openEnvelope(envelope: Envelope, key: RequesterKey): unknown {
  const mine = envelope.payload.recipients.find((r) => getAddress(r.address) === getAddress(key.address))
  if (mine === undefined) throw new NotARecipient(envelope.payload.recipients.map((r) => r.address).join(', '))
  const context = {
    chain_id: envelope.chain_id,
    escrow: getAddress(envelope.escrow),
    task_id: envelope.task_id,
    slot: envelope.slot,
    manifest: envelope.manifest,
    worker: getAddress(envelope.worker),
  }
  return JSON.parse(open(key, mine.wrapped_key, envelope.payload.nonce, envelope.payload.ciphertext, context))
}

