// Policy: the form's fields are checked by the server (an error names its field), which
// answers the policy's canonical JSON; this script hashes that JSON itself, has the wallet
// sign the verifier command over the hash, and sends that very JSON to the verifier.
import { ProblemError, postJson } from '../api'
import { keccak_256, toHex, utf8 } from '../bytes'
import { signTyped } from '../chain'
import { config, t } from '../config'
import { announce, busy, clearError, must, showError } from '../dom'
import { domain } from '../typed'
import { WalletError, requireWallet, walletMessage } from '../wallet'

const COMMAND_TYPES = {
  VerifierCommand: [
    { name: 'taskId', type: 'uint256' },
    { name: 'action', type: 'string' },
    { name: 'payloadHash', type: 'bytes32' },
    { name: 'issuedAt', type: 'uint64' },
  ],
} as const

interface Draft {
  canonical: string
  payload_hash: string
  task_id: number
  issued_at: number
}

async function send(form: HTMLFormElement): Promise<void> {
  clearError()
  for (const field of Array.from(form.querySelectorAll('[aria-invalid]'))) field.removeAttribute('aria-invalid')
  const fields = new FormData(form)
  const body = {
    task_id: Number(fields.get('task_id') ?? 0),
    allow: String(fields.get('allow') ?? ''),
    block: String(fields.get('block') ?? ''),
    rule: String(fields.get('rule') ?? ''),
  }
  try {
    const connection = requireWallet()
    await busy(form.querySelector('button'), async () => {
      const draft = await postJson<Draft>('/policy/draft', body)
      const hash = toHex(keccak_256(utf8(draft.canonical)))
      if (hash !== draft.payload_hash) throw new WalletError(t('policy.hash_mismatch'))
      announce(t('policy.signing'))
      const signature = await signTyped(connection, {
        domain: domain(config().chainId, config().escrow),
        types: COMMAND_TYPES,
        primaryType: 'VerifierCommand',
        message: { taskId: BigInt(draft.task_id), action: 'policy', payloadHash: hash, issuedAt: BigInt(draft.issued_at) },
      })
      await postJson('/verifier/policies', {
        requester: connection.address,
        task_id: draft.task_id,
        policy: JSON.parse(draft.canonical) as unknown,
        issued_at: draft.issued_at,
        signature,
      })
    })
    const note = t('policy.sent')
    must('#policy-note').textContent = note
    announce(note)
  } catch (error) {
    if (error instanceof ProblemError) {
      const field = /^body\.(allow|block|rule):/.exec(error.message)?.[1]
      const input = field ? form.querySelector<HTMLElement>(`[name="${field}"]`) : null
      showError(error.message)
      input?.setAttribute('aria-invalid', 'true')
      input?.focus()
      return
    }
    showError(error instanceof WalletError ? error.message : walletMessage(error))
  }
}

export function setUp(): void {
  const form = document.getElementById('policy-form') as HTMLFormElement | null
  form?.addEventListener('submit', (event) => {
    event.preventDefault()
    void send(form)
  })
}
