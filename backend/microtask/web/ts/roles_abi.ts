// The escrow calls of the requester's, the operator's and the arbitrator's pages (the
// worker's are in chain.ts), and the one ERC-20 call a requester's top-up needs. Each is
// sent with `sendEscrowData`: simulated first, so a refusal is named before the wallet asks.
import { type Hex, createClient, custom, encodeFunctionData, getAddress } from 'viem'
import { waitForTransactionReceipt } from 'viem/actions'
import { sendEscrowData } from './chain'
import { config, t } from './config'
import { RECEIPT_TYPES } from './typed'
import { type Connection, WalletError } from './wallet'

export const ROLES_ABI = [
  { type: 'function', name: 'setFee', stateMutability: 'nonpayable', inputs: [{ name: 'newFeeBps', type: 'uint16' }], outputs: [] },
  {
    type: 'function',
    name: 'setMinimumFee',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'token', type: 'address' },
      { name: 'amount', type: 'uint128' },
    ],
    outputs: [],
  },
  { type: 'function', name: 'setTreasury', stateMutability: 'nonpayable', inputs: [{ name: 'newTreasury', type: 'address' }], outputs: [] },
  {
    type: 'function',
    name: 'setDefaultArbitrator',
    stateMutability: 'nonpayable',
    inputs: [{ name: 'newArbitrator', type: 'address' }],
    outputs: [],
  },
  { type: 'function', name: 'pause', stateMutability: 'nonpayable', inputs: [], outputs: [] },
  { type: 'function', name: 'unpause', stateMutability: 'nonpayable', inputs: [], outputs: [] },
  {
    type: 'function',
    name: 'rule',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slot', type: 'uint32' },
      { name: 'pay', type: 'bool' },
      { name: 'reasonCid', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'approve',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slots', type: 'uint32[]' },
      { name: 'workers', type: 'address[]' },
      { name: 'direct', type: 'bool' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'reject',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'slots', type: 'uint32[]' },
      { name: 'workers', type: 'address[]' },
      { name: 'reasonCid', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'rejectReceipts',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      {
        name: 'rejections',
        type: 'tuple[]',
        components: [
          {
            name: 'receipt',
            type: 'tuple',
            components: RECEIPT_TYPES.Receipt, // the receipt's fields, as it is signed
          },
          { name: 'signature', type: 'bytes' },
          { name: 'envelopeHash', type: 'bytes32' },
          { name: 'workerSignature', type: 'bytes' },
        ],
      },
      { name: 'reasonCid', type: 'bytes' },
    ],
    outputs: [],
  },
  { type: 'function', name: 'cancel', stateMutability: 'nonpayable', inputs: [{ name: 'taskId', type: 'uint256' }], outputs: [] },
  {
    type: 'function',
    name: 'reclaimReceiptSlots',
    stateMutability: 'nonpayable',
    inputs: [{ name: 'taskId', type: 'uint256' }],
    outputs: [],
  },
  {
    type: 'function',
    name: 'addSlots',
    stateMutability: 'payable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'count', type: 'uint32' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'extendDeadline',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'deadline', type: 'uint64' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'bonus',
    stateMutability: 'payable',
    inputs: [
      { name: 'taskId', type: 'uint256' },
      { name: 'worker', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [],
  },
] as const

const ERC20_ABI = [
  {
    type: 'function',
    name: 'approve',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'spender', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const

type RolesCall = Parameters<typeof encodeFunctionData<typeof ROLES_ABI>>[0]

/** Send one of `ROLES_ABI`'s calls to the escrow from the wallet (``value`` in wei). */
export async function sendRoleCall(connection: Connection, call: Omit<RolesCall, 'abi'>, value = 0n): Promise<Hex> {
  return sendEscrowData(connection, encodeFunctionData({ abi: ROLES_ABI, ...call } as RolesCall), value)
}

/** Let the escrow take ``amount`` of ``token`` from the wallet (before a top-up in an ERC-20). */
export async function approveEscrow(connection: Connection, token: string, amount: bigint): Promise<void> {
  const data = encodeFunctionData({ abi: ERC20_ABI, functionName: 'approve', args: [config().escrow, amount] })
  const transaction = { from: connection.address, to: getAddress(token), data }
  const hash = (await connection.provider.request({ method: 'eth_sendTransaction', params: [transaction] })) as Hex
  const client = createClient({ transport: custom(connection.provider) })
  const receipt = await waitForTransactionReceipt(client, { hash, pollingInterval: 250 })
  if (receipt.status !== 'success') throw new WalletError(t('tx.reverted', { hash }))
}
