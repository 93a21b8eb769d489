// microtask's EIP-712 messages, as backend/microtask/manifests/typed_data.py,
// verifier/typed_data.py and chain/typed_data.py define them: one domain (name
// "microtask", version "1", the chain id, the TaskEscrow address), so a signature is good
// for one escrow on one chain only. Field names are what the wallet shows the person.

export const ANY_SLOT = 2 ** 32 - 1

export function domain(chainId: number, escrow: `0x${string}`) {
  return { name: 'microtask', version: '1', chainId, verifyingContract: escrow } as const
}

export const SLOT_REQUEST_TYPES = {
  SlotRequest: [
    { name: 'taskId', type: 'uint256' },
    { name: 'slot', type: 'uint32' },
    { name: 'worker', type: 'address' },
    { name: 'nonce', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const

export const SUBMISSION_TYPES = {
  Submission: [
    { name: 'taskId', type: 'uint256' },
    { name: 'slot', type: 'uint256' },
    { name: 'worker', type: 'address' },
    { name: 'envelopeHash', type: 'bytes32' },
  ],
} as const

export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'taskId', type: 'uint256' },
    { name: 'slot', type: 'uint32' },
    { name: 'worker', type: 'address' },
    { name: 'resultDigest', type: 'bytes32' },
    { name: 'submittedAt', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const

/** A receipt as the verifier's routes answer it (and as the CLI keeps it). */
export interface ReceiptJson {
  task_id: number
  slot: number
  worker: string
  result_digest: string
  submitted_at: number
  expiry: number
  signature: string
  envelope_cid: string
  verifier: string
}

/** A reserved receipt slot, as ``POST /verifier/claims`` answers. */
export interface GrantJson {
  task_id: number
  slot: number
  item_index: number
  item_id: string
  worker: string
  reserved_at: number
  lease_end: number
  replayed: boolean
}
