// Review: open each submission in the browser with the requester's derived key (and the
// crowd's aggregate from the published result set, when there is one), then approve or
// reject the selected slots from the wallet; a rejection cites a review batch the server
// builds with the client library and this script uploads. Slots handed in without gas and
// never presented are rejected with `rejectReceipts` and the proofs the server builds.
import { ProblemError, getJson, postJson, upload } from '../api'
import { toHex, utf8 } from '../bytes'
import { cidBytes } from '../cid'
import { config, t } from '../config'
import { announce, busy, clearError, must, showError } from '../dom'
import { type RequesterKey, unlockKey } from '../requester_key'
import { canonicalJson } from '../seal'
import { sendRoleCall } from '../roles_abi'
import { type Envelope, NotARecipient, type SealedResultSet, openEnvelope, openResults } from '../unseal'
import { WalletError, requireWallet, walletMessage } from '../wallet'
import { type Hex, getAddress } from 'viem'

/** A receipt slot's rejection proof as the server gives it (numbers as decimal strings). */
interface ProofJson {
  receipt: { taskId: string; slot: number; worker: string; resultDigest: Hex; submittedAt: string; expiry: string }
  signature: Hex
  envelopeHash: Hex
  workerSignature: Hex
}

function proofArgument(proof: ProofJson) {
  const r = proof.receipt
  return {
    receipt: {
      taskId: BigInt(r.taskId),
      slot: r.slot,
      worker: getAddress(r.worker),
      resultDigest: r.resultDigest,
      submittedAt: BigInt(r.submittedAt),
      expiry: BigInt(r.expiry),
    },
    signature: proof.signature,
    envelopeHash: proof.envelopeHash,
    workerSignature: proof.workerSignature,
  }
}

interface ItemAnswerJson {
  item_id: string
  answer: Record<string, unknown>
}

function flat(answer: Record<string, unknown>): string {
  for (const name of ['label', 'verdict', 'text']) if (typeof answer[name] === 'string') return answer[name] as string
  if (Array.isArray(answer.labels)) return (answer.labels as string[]).join('; ')
  return canonicalJson(answer)
}

function words(error: unknown): string {
  if (error instanceof NotARecipient) return t('review.other_key')
  if (error instanceof ProblemError || error instanceof WalletError) return error.message
  return walletMessage(error)
}

async function aggregates(key: RequesterKey, taskId: number): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  try {
    const summary = await getJson<{ cid: string }>(`/tasks/${taskId}/results`)
    const sealed = await getJson<SealedResultSet>(`/content/${summary.cid}`)
    for (const line of openResults(sealed, key).jsonl.split('\n')) {
      if (!line.trim()) continue
      const row = JSON.parse(line) as { item_id: string; value: string; confidence: number | null }
      found.set(row.item_id, row.confidence === null ? row.value : `${row.value} (${Math.round(row.confidence * 100)}%)`)
    }
  } catch {
    // no published result set (a task without a verifier): nothing to show beside
  }
  return found
}

async function openAll(button: HTMLButtonElement): Promise<void> {
  clearError()
  const taskId = Number(config().data.taskId)
  const envelopes = (config().data.envelopes ?? {}) as Record<string, string>
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      announce(t('review.signing'))
      const key = await unlockKey(connection.provider, config().chainId, config().escrow, connection.address)
      const crowd = await aggregates(key, taskId)
      for (const [slot, cid] of Object.entries(envelopes)) {
        const row = must(`tr[data-review-slot="${slot}"]`)
        const envelope = await getJson<Envelope>(`/content/${cid}`)
        const opened = openEnvelope(envelope, key) as { answers: ItemAnswerJson[] }
        must('[data-answer]', row).textContent = opened.answers.map((a) => `${a.item_id}: ${flat(a.answer)}`).join(' · ')
        must('[data-aggregate]', row).textContent =
          opened.answers.map((a) => (crowd.has(a.item_id) ? `${a.item_id}: ${crowd.get(a.item_id)}` : '—')).join(' · ')
      }
    })
    const note = t('review.opened', { count: Object.keys(envelopes).length })
    must('#review-note').textContent = note
    announce(note)
  } catch (error) {
    showError(words(error))
  }
}

function selected(): number[] {
  return Array.from(document.querySelectorAll<HTMLInputElement>('input[name=slot]:checked')).map((box) => Number(box.value))
}

async function decide(button: HTMLButtonElement, approve: boolean): Promise<void> {
  clearError()
  const taskId = BigInt(String(config().data.taskId))
  const workers = (config().data.workers ?? {}) as Record<string, string>
  const slots = selected()
  if (slots.length === 0) {
    showError(t('review.select'))
    document.querySelector<HTMLInputElement>('input[name=slot]')?.focus()
    return
  }
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      const pairs = slots.map((slot) => getAddress(workers[String(slot)] ?? ''))
      if (approve) {
        announce(t('requester.sending'))
        await sendRoleCall(connection, { functionName: 'approve', args: [taskId, slots, pairs, false] })
        return
      }
      const form = must<HTMLFormElement>('#review-form')
      const fields = new FormData(form)
      const made = await postJson<{ batch: unknown; proofs: ProofJson[] }>(`/my-tasks/${taskId}/review/batch`, {
        slots,
        reason: String(fields.get('reason') ?? ''),
        detail: String(fields.get('detail') ?? ''),
      })
      announce(t('review.uploading'))
      const cid = await upload(utf8(canonicalJson(made.batch)), true)
      const reasonCid = toHex(cidBytes(cid))
      const proven = new Set(made.proofs.map((proof) => proof.receipt.slot))
      if (made.proofs.length > 0) {
        const rejections = made.proofs.map(proofArgument)
        await sendRoleCall(connection, { functionName: 'rejectReceipts', args: [taskId, rejections, reasonCid] })
      }
      const plain = slots.filter((slot) => !proven.has(slot))
      if (plain.length > 0) {
        const workersOf = plain.map((slot) => getAddress(workers[String(slot)] ?? ''))
        await sendRoleCall(connection, { functionName: 'reject', args: [taskId, plain, workersOf, reasonCid] })
      }
    })
    for (const slot of slots) document.querySelector(`tr[data-review-slot="${slot}"]`)?.remove()
    const note = t(approve ? 'review.approved' : 'review.rejected', { count: slots.length })
    must('#review-note').textContent = note
    announce(note)
  } catch (error) {
    showError(words(error))
  }
}

export function setUp(): void {
  const open = document.getElementById('open-submissions') as HTMLButtonElement | null
  open?.addEventListener('click', () => void openAll(open))
  const approve = document.getElementById('approve-selected') as HTMLButtonElement | null
  approve?.addEventListener('click', () => void decide(approve, true))
  const reject = document.getElementById('reject-selected') as HTMLButtonElement | null
  reject?.addEventListener('click', () => void decide(reject, false))
}
