// What the page asks of the wallet: EIP-712 signatures and a few escrow transactions, with
// viem's client over the wallet's EIP-1193 provider (a `createClient` with a `custom`
// transport and only the actions used, to keep the bundle small). A transaction is first
// simulated, so a refusal names the escrow's custom error before the wallet is asked.
import { secp256k1 } from '@noble/curves/secp256k1'
import {
  type Abi,
  type Hex,
  createClient,
  custom,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  hashTypedData,
} from 'viem'
import { signTypedData, waitForTransactionReceipt } from 'viem/actions'
import { fromHex, keccak_256, toHex } from './bytes'
import { config, t } from './config'
import { RECEIPT_TYPES } from './typed'
import { type Connection, WalletError } from './wallet'

export const ESCROW_ABI = [
  {
    type: 'function',
    name: 'presentReceipts',
    stateMutability: 'nonpayable',
    inputs: [
      {
        name: 'receipts',
        type: 'tuple[]',
        components: RECEIPT_TYPES.Receipt, // the receipt's fields, as it is signed
      },
      { name: 'signatures', type: 'bytes[]' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'claim',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slot', type: 'uint32' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'submit',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slot', type: 'uint32' },
      { name: 'resultCid', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'finalize',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slots', type: 'uint32[]' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'dispute',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slot', type: 'uint32' },
      { name: 'reasonCid', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'withdraw',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'token', type: 'address' },
      { name: 'amount', type: 'uint256' },
      { name: 'to', type: 'address' },
    ],
    outputs: [],
  },
] as const

type EscrowCall = Parameters<typeof encodeFunctionData<typeof ESCROW_ABI>>[0]

function client(connection: Connection) {
  return createClient({ transport: custom(connection.provider) })
}

export async function signTyped(
  connection: Connection,
  definition: { domain: object; types: object; primaryType: string; message: Record<string, unknown> },
): Promise<Hex> {
  return signTypedData(client(connection), {
    account: connection.address,
    ...(definition as Parameters<typeof hashTypedData>[0]),
  })
}

/** Who signed a typed message (secp256k1 recovery over its EIP-712 hash). */
export function recoverTyped(
  definition: { domain: object; types: object; primaryType: string; message: Record<string, unknown> },
  signature: string,
): `0x${string}` {
  const hash = fromHex(hashTypedData(definition as Parameters<typeof hashTypedData>[0]))
  const raw = fromHex(signature)
  if (raw.length !== 65) throw new Error(t('receipt.bad_signature'))
  let v = raw[64] as number
  if (v >= 27) v -= 27
  const point = secp256k1.Signature.fromCompact(raw.slice(0, 64)).addRecoveryBit(v).recoverPublicKey(hash)
  return getAddress(toHex(keccak_256(point.toRawBytes(false).slice(1)).slice(12)))
}

function refusal(data: unknown): string | null {
  const errors = (config().data.escrowErrors ?? []) as Abi
  if (typeof data !== 'string' || !data.startsWith('0x') || data.length < 10) return null
  try {
    const decoded = decodeErrorResult({ abi: errors, data: data as Hex })
    const args = (decoded.args ?? []).map((value) => String(value)).join(', ')
    return t('tx.refused', { error: `${decoded.errorName}(${args})` })
  } catch {
    return null
  }
}

function revertData(error: unknown): unknown {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const data = (current as { data?: unknown }).data
    if (typeof data === 'string') return data
    if (data !== null && typeof data === 'object' && typeof (data as { data?: unknown }).data === 'string') {
      return (data as { data: string }).data
    }
    current = (current as { cause?: unknown }).cause
  }
  return null
}

/** Simulate, then send one escrow call from the wallet and wait until it is mined. */
export async function sendEscrow(connection: Connection, call: EscrowCall): Promise<Hex> {
  return sendEscrowData(connection, encodeFunctionData(call))
}

/** `sendEscrow` for calldata already encoded (with another part of the escrow's ABI), and
 * ``value`` in wei for the payable calls of a task paid in ETH. */
export async function sendEscrowData(connection: Connection, data: Hex, value = 0n): Promise<Hex> {
  const transaction: Record<string, string> = { from: connection.address, to: config().escrow, data }
  if (value > 0n) transaction.value = `0x${value.toString(16)}`
  try {
    await connection.provider.request({ method: 'eth_call', params: [transaction, 'latest'] })
  } catch (error) {
    const words = refusal(revertData(error))
    if (words !== null) throw new WalletError(words)
    throw error
  }
  const hash = (await connection.provider.request({ method: 'eth_sendTransaction', params: [transaction] })) as Hex
  const receipt = await waitForTransactionReceipt(client(connection), { hash, pollingInterval: 250 })
  if (receipt.status !== 'success') throw new WalletError(t('tx.reverted', { hash }))
  return hash
}
