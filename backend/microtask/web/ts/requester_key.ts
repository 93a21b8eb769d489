// The requester's reading key, derived from one signature of the requester's wallet, as
// backend/microtask/client/requester_key.py derives it (a test holds the two equal).
//
// Why: submissions and result sets are sealed with ECIES on secp256k1, and no browser
// wallet decrypts that (MetaMask's eth_decrypt is deprecated and is X25519). The wallet
// signs one fixed EIP-712 message ("microtask encryption key", version 1, the chain, the
// escrow; the account and a fixed purpose text) and the key is HKDF-SHA256 over the
// 65-byte signature, reduced to a secp256k1 private key. Its public key is the manifest's
// requester_public_key. The same wallet gives the same key on every visit when it signs
// deterministically (RFC 6979); see the README.
//
// The key and the signature stay in this module's memory for the page's life: never in
// storage, never sent. The only way out is the export file the requester asks for, which
// `microtask account import-derived` reads.
//
// The interface (stable; the review and results pages use only this): keyTypedData,
// derivePrivateKey, keyFromSignature, unlockKey (asks the wallet once per page),
// cachedKey, forgetKeys, keyExport, downloadKeyExport.
import { secp256k1 } from '@noble/curves/secp256k1'
import { hkdf } from '@noble/hashes/hkdf'
import { sha256 } from '@noble/hashes/sha2'
import { getAddress, recoverTypedDataAddress } from 'viem'
import { fromHex, keccak_256, toHex, utf8 } from './bytes'
import type { Eip1193Provider } from './wallet'

export const KEY_DOMAIN_NAME = 'microtask encryption key'
export const KEY_DOMAIN_VERSION = '1'
export const PURPOSE =
  'Sign to unlock the key that reads the answers and results of your microtask tasks. ' +
  'It costs nothing and sends nothing. Sign only on the microtask site you use: ' +
  'this signature is as secret as that key.'
export const KEY_EXPORT_TYPE = 'microtask/requester-key'
const SALT = utf8('microtask requester key v1')
const INFO = utf8('secp256k1 private key')
const OKM_BYTES = 48
const ORDER = secp256k1.CURVE.n

type Hex = `0x${string}`

export interface RequesterKey {
  chainId: number
  escrow: Hex
  account: Hex
  /** The wallet's signature, v as 27 or 28: as secret as the key. */
  signature: Hex
  privateKey: Uint8Array
  /** 0x-hex, uncompressed: what the manifest names as requester_public_key. */
  publicKey: Hex
  /** The key's own address (not the account's): envelopes list it as the reader. */
  address: Hex
}

const KEY_TYPES = {
  EncryptionKey: [
    { name: 'account', type: 'address' },
    { name: 'purpose', type: 'string' },
  ],
} as const

function keyDomain(chainId: number, escrow: string) {
  return { name: KEY_DOMAIN_NAME, version: KEY_DOMAIN_VERSION, chainId, verifyingContract: getAddress(escrow) }
}

/** The full EIP-712 document eth_signTypedData_v4 takes for this requester. */
export function keyTypedData(chainId: number, escrow: string, account: string) {
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      ...KEY_TYPES,
    },
    primaryType: 'EncryptionKey',
    domain: keyDomain(chainId, escrow),
    message: { account: getAddress(account), purpose: PURPOSE },
  } as const
}

function normalized(signature: Uint8Array): Uint8Array {
  if (signature.length !== 65) throw new Error(`a wallet signature is 65 bytes, not ${signature.length}`)
  const out = signature.slice()
  const v = out[64] as number
  if (v === 0 || v === 1) out[64] = v + 27
  else if (v !== 27 && v !== 28) throw new Error(`the signature's v is ${v}, not 27 or 28 (nor 0 or 1)`)
  return out
}

/** The 32-byte secp256k1 private key a signature derives. */
export function derivePrivateKey(signature: Uint8Array): Uint8Array {
  const material = hkdf(sha256, normalized(signature), SALT, INFO, OKM_BYTES)
  const scalar = (BigInt(toHex(material)) % (ORDER - 1n)) + 1n
  return fromHex(scalar.toString(16).padStart(64, '0'))
}

/** Check that ``account`` signed this chain's and escrow's key message, then derive. */
export async function keyFromSignature(
  signature: string,
  chainId: number,
  escrow: string,
  account: string,
): Promise<RequesterKey> {
  const raw = normalized(fromHex(signature))
  const signer = await recoverTypedDataAddress({
    domain: keyDomain(chainId, escrow),
    types: KEY_TYPES,
    primaryType: 'EncryptionKey',
    message: { account: getAddress(account), purpose: PURPOSE },
    signature: toHex(raw),
  })
  if (signer !== getAddress(account)) throw new Error(`the key's signature is not ${getAddress(account)}'s`)
  const privateKey = derivePrivateKey(raw)
  const publicKey = secp256k1.getPublicKey(privateKey, false)
  return {
    chainId,
    escrow: getAddress(escrow),
    account: getAddress(account),
    signature: toHex(raw),
    privateKey,
    publicKey: toHex(publicKey),
    address: getAddress(toHex(keccak_256(publicKey.slice(1)).slice(12))),
  }
}

const keys = new Map<string, RequesterKey>()

function slot(chainId: number, escrow: string, account: string): string {
  return `${chainId}:${escrow.toLowerCase()}:${account.toLowerCase()}`
}

/** The key already unlocked on this page for this account, if any. */
export function cachedKey(chainId: number, escrow: string, account: string): RequesterKey | null {
  return keys.get(slot(chainId, escrow, account)) ?? null
}

/** The requester's key: asks the wallet to sign the key message once per page. */
export async function unlockKey(
  provider: Eip1193Provider,
  chainId: number,
  escrow: string,
  account: string,
): Promise<RequesterKey> {
  const found = cachedKey(chainId, escrow, account)
  if (found !== null) return found
  const typed = keyTypedData(chainId, escrow, account)
  const signature = (await provider.request({
    method: 'eth_signTypedData_v4',
    params: [getAddress(account), JSON.stringify(typed)],
  })) as string
  const key = await keyFromSignature(signature, chainId, escrow, account)
  keys.set(slot(chainId, escrow, account), key)
  return key
}

/** Forget every unlocked key (on disconnecting, or changing accounts). */
export function forgetKeys(): void {
  for (const key of keys.values()) key.privateKey.fill(0)
  keys.clear()
}

/** The export file (JSON) `microtask account import-derived` reads. */
export function keyExport(key: RequesterKey): string {
  return JSON.stringify(
    {
      type: KEY_EXPORT_TYPE,
      version: 1,
      chain_id: key.chainId,
      escrow: key.escrow,
      account: key.account,
      signature: key.signature,
    },
    null,
    2,
  )
}

/** Save the export file through the browser's download (nothing goes to a server). */
export function downloadKeyExport(key: RequesterKey): void {
  const url = URL.createObjectURL(new Blob([keyExport(key)], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = `microtask-key-${key.account.slice(0, 10)}.json`
  link.click()
  URL.revokeObjectURL(url)
}
