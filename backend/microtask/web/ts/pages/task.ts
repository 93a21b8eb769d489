// The task page: accept (the wallet signs a SlotRequest, the verifier reserves a slot) or,
// on a task without receipt slots, claim a slot on chain (the wallet sends `claim`), answer
// the slot's item, hand it in (checked, sealed to the requester and verifier, signed,
// uploaded, then receipted by the verifier or submitted on chain by the wallet) and go on
// to the next item without a page load. Every step that can fail leaves the page as it
// was: answers stay in the form (and in a draft kept until the receipt or the submission
// is in), and a declined wallet request changes nothing.
import htmx from 'htmx.org'
import { AnswerInvalid, type AnswerSchema, clearProblems, formDraft, numberKeys, readAnswer, restoreDraft, showProblems } from '../answers'
import { ProblemError, getJson, postJson, upload } from '../api'
import { setUpBoxes } from '../boxes'
import { equal, toHex, utf8 } from '../bytes'
import { recoverTyped, sendEscrow, signTyped } from '../chain'
import { cidBytes, cidDigest, cidOf } from '../cid'
import { chainNow, config, formatTime, t } from '../config'
import { $, announce, busy, clearError, must, showError } from '../dom'
import { setUp as setUpMturk, showFrames } from '../mturk'
import { dropDraft, loadDraft, records, saveDraft, saveRecord, type SlotRecord } from '../receipts'
import { type Recipient, seal } from '../seal'
import { ANY_SLOT, type GrantJson, RECEIPT_TYPES, type ReceiptJson, SLOT_REQUEST_TYPES, SUBMISSION_TYPES, domain } from '../typed'
import { type Connection, WalletError, current, requireWallet, walletMessage } from '../wallet'

interface TaskData {
  taskId: number
  manifestCid: string
  answerSchema: AnswerSchema
  recipients: Recipient[]
  requester: string
  verifier: string
  cidVersion: 0 | 1
  itemUrl: string
  claimed?: OnChainSlot | null
}

/** A slot claimed on chain: the item to answer and the lease, as the page shows them. */
interface OnChainSlot {
  slot: number
  item_index: number
  item_id: string
  worker: string
  lease_end: number
  reserved_at: number
}

/** What the page works on: a receipt slot the verifier reserved, or a slot claimed on chain. */
type Held = (GrantJson & { onchain?: false }) | (OnChainSlot & { task_id: number; onchain: true })

const REQUEST_LIFETIME = 600
let slot: Held | null = null
let timer: number | undefined

function data(): TaskData {
  return config().data as unknown as TaskData
}

function draftKey(grant: Held): string {
  return `${config().escrow.toLowerCase()}/${grant.worker.toLowerCase()}/${grant.task_id}/${grant.slot}`
}

function randomNonce(): number {
  const words = crypto.getRandomValues(new Uint32Array(2))
  return (words[0]! & 0x1fffff) * 2 ** 32 + words[1]!
}

/** Any error in the person's words; a declined wallet request says so. */
function words(error: unknown): string {
  if (error instanceof ProblemError || error instanceof WalletError) return error.message
  return walletMessage(error)
}

async function requestSlot(connection: Connection): Promise<GrantJson> {
  const { chainId, escrow } = config()
  const request = {
    task_id: data().taskId,
    slot: ANY_SLOT,
    worker: connection.address,
    nonce: randomNonce(),
    expiry: chainNow() + REQUEST_LIFETIME,
  }
  const signature = await signTyped(connection, {
    domain: domain(chainId, escrow),
    types: SLOT_REQUEST_TYPES,
    primaryType: 'SlotRequest',
    message: {
      taskId: BigInt(request.task_id),
      slot: request.slot,
      worker: request.worker,
      nonce: BigInt(request.nonce),
      expiry: BigInt(request.expiry),
    },
  })
  const body = { ...request, signature }
  const grant = await postJson<GrantJson>('/verifier/claims', body)
  await saveRecord({ ...grant, request: body })
  return grant
}

function showLease(grant: Held): void {
  const lease = must('#lease')
  window.clearInterval(timer)
  let warned = false
  const tick = () => {
    const left = grant.lease_end - chainNow()
    if (left <= 0) {
      lease.textContent = t('lease.over')
      lease.classList.add('warn')
      window.clearInterval(timer)
      return
    }
    const minutes = Math.floor(left / 60)
    const seconds = String(left % 60).padStart(2, '0')
    lease.textContent = t('lease.left', { time: `${minutes}:${seconds}`, end: formatTime(grant.lease_end) })
    const total = grant.lease_end - grant.reserved_at
    if (!warned && (left <= 60 || left <= total / 5)) {
      warned = true
      lease.classList.add('warn')
      announce(t('lease.warning', { time: `${minutes}:${seconds}` }))
    }
  }
  tick()
  timer = window.setInterval(tick, 1000)
}

async function showItem(grant: Held): Promise<void> {
  slot = grant
  const form = must<HTMLFormElement>('#answer-form')
  clearProblems(form)
  await htmx.ajax('get', `${data().itemUrl}${grant.item_index}?slot=${grant.slot}`, { target: '#item', swap: 'innerHTML' })
  const boxes = $('[data-boxes]', form)
  if (boxes !== null) setUpBoxes(boxes)
  await showFrames()
  const kept = loadDraft(draftKey(grant))
  if (kept !== null) restoreDraft(form, kept as Record<string, string[]>)
  must('#work').hidden = false
  must('#accept-area').hidden = true
  showLease(grant)
  must('#slot-heading').textContent = t('work.slot_heading', { slot: grant.slot, item: grant.item_id })
  const first = form.querySelector<HTMLElement>('input, textarea, [data-boxes-canvas]')
  first?.focus()
}

async function accept(button: HTMLButtonElement | null): Promise<void> {
  clearError()
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      announce(t('accept.signing'))
      const grant = await requestSlot(connection)
      await showItem(grant)
      announce(t('accept.reserved', { item: grant.item_id, end: formatTime(grant.lease_end) }))
    })
  } catch (error) {
    if (error instanceof ProblemError && error.status === 409 && /no slot|no receipt slot|left/i.test(error.message)) {
      finish(t('accept.none_left'))
      return
    }
    showError(words(error))
  }
}

interface SlotView {
  slot: number
  state: string
  worker: string
  timestamp: number
}

/** Claim the first claimable slot on chain (the server's client library finds it), then
 * read the lease back from the chain. Another worker may win the race for the same slot:
 * the escrow refuses the second claim in the simulation, and the person is told to retry. */
async function claimOnChain(button: HTMLButtonElement | null): Promise<void> {
  clearError()
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      const { taskId } = data()
      const found = await getJson<{ slot: number; item_index: number; item_id: string }>(
        `/task/${taskId}/claimable?worker=${connection.address}`,
      )
      announce(t('claim.sending', { slot: found.slot }))
      await sendEscrow(connection, {
        abi: (await import('../chain')).ESCROW_ABI,
        functionName: 'claim',
        args: [BigInt(taskId), found.slot],
      })
      const view = await getJson<SlotView>(`/task/${taskId}/slot/${found.slot}`)
      if (view.state !== 'claimed' || view.worker.toLowerCase() !== connection.address.toLowerCase()) {
        throw new WalletError(t('claim.taken', { slot: found.slot }))
      }
      const held: Held = { ...found, task_id: taskId, worker: connection.address, lease_end: view.timestamp, reserved_at: chainNow(), onchain: true }
      await showItem(held)
      announce(t('claim.claimed', { slot: found.slot, item: found.item_id, end: formatTime(view.timestamp) }))
    })
  } catch (error) {
    if (error instanceof ProblemError && error.status === 409) {
      finish(t('claim.none_left'))
      return
    }
    showError(words(error))
  }
}

/** Check a receipt before keeping it: signed by the task's verifier or requester, for
 * this slot, this worker and this very envelope. */
function checkReceipt(receipt: ReceiptJson, grant: Held, cid: string): void {
  const { chainId, escrow } = config()
  const signer = recoverTyped(
    {
      domain: domain(chainId, escrow),
      types: RECEIPT_TYPES,
      primaryType: 'Receipt',
      message: {
        taskId: BigInt(receipt.task_id),
        slot: receipt.slot,
        worker: receipt.worker,
        resultDigest: receipt.result_digest,
        submittedAt: BigInt(receipt.submitted_at),
        expiry: BigInt(receipt.expiry),
      },
    },
    receipt.signature,
  )
  const parties = [data().verifier, data().requester].map((a) => a.toLowerCase())
  if (!parties.includes(signer.toLowerCase())) throw new WalletError(t('receipt.wrong_signer', { signer }))
  if (receipt.task_id !== grant.task_id || receipt.slot !== grant.slot) throw new WalletError(t('receipt.wrong_slot'))
  if (receipt.worker.toLowerCase() !== grant.worker.toLowerCase()) throw new WalletError(t('receipt.wrong_worker'))
  if (receipt.envelope_cid !== cid || receipt.result_digest.toLowerCase() !== `0x${[...cidDigest(cid)].map((b) => b.toString(16).padStart(2, '0')).join('')}`) {
    throw new WalletError(t('receipt.wrong_envelope'))
  }
}

async function handIn(button: HTMLButtonElement | null): Promise<void> {
  const form = must<HTMLFormElement>('#answer-form')
  const grant = slot
  if (grant === null) return
  clearError()
  clearProblems(form)
  saveDraft(draftKey(grant), formDraft(form))
  let answer: Record<string, unknown>
  try {
    answer = readAnswer(form, data().answerSchema)
  } catch (error) {
    if (error instanceof AnswerInvalid) {
      showProblems(form, error.problems)
      return
    }
    throw error
  }
  try {
    const connection = requireWallet()
    if (connection.address.toLowerCase() !== grant.worker.toLowerCase()) {
      throw new WalletError(t('work.other_account', { address: grant.worker }))
    }
    await busy(button, async () => {
      const { chainId, escrow } = config()
      announce(t('submit.sealing'))
      performance.mark('microtask:seal-start')
      const answers = { type: 'microtask/submission-answers', schema_version: 1, answers: [{ item_id: grant.item_id, answer }] }
      const { envelope, envelopeHash } = seal(
        answers,
        { chainId, escrow, taskId: grant.task_id, slot: grant.slot, manifestCid: data().manifestCid, worker: connection.address },
        data().recipients,
        Math.floor(Date.now() / 1000),
      )
      performance.measure('microtask:seal', 'microtask:seal-start') // for bench/web.py
      const signature = await signTyped(connection, {
        domain: domain(chainId, escrow),
        types: SUBMISSION_TYPES,
        primaryType: 'Submission',
        message: { taskId: BigInt(grant.task_id), slot: BigInt(grant.slot), worker: connection.address, envelopeHash },
      })
      performance.measure('microtask:seal-and-sign', 'microtask:seal-start')
      const bytes = utf8(JSON.stringify({ ...envelope, signature }))
      const expected = cidOf(bytes, data().cidVersion)
      announce(t('submit.uploading'))
      const cid = await upload(bytes, true)
      if (cid !== expected) throw new WalletError(t('receipt.wrong_cid', { cid, expected }))
      if (grant.onchain) {
        announce(t('submit.sending'))
        await sendEscrow(connection, {
          abi: (await import('../chain')).ESCROW_ABI,
          functionName: 'submit',
          args: [BigInt(grant.task_id), grant.slot, toHex(cidBytes(cid))],
        })
        dropDraft(draftKey(grant))
        doneOnChain(grant)
        return
      }
      const receipt = await postJson<ReceiptJson>('/verifier/submissions', { task_id: grant.task_id, slot: grant.slot, envelope_cid: cid })
      checkReceipt(receipt, grant, cid)
      const record = (await records(connection.address)).find((r) => r.task_id === grant.task_id && r.slot === grant.slot)
      await saveRecord({ ...(record ?? grant), task_id: grant.task_id, slot: grant.slot, item_id: grant.item_id, worker: grant.worker, receipt } as SlotRecord)
      dropDraft(draftKey(grant))
      done(grant, receipt)
    })
  } catch (error) {
    showError(words(error))
    return
  }
  slot = null
  const next = must<HTMLInputElement>('#auto-next').checked
  must('#item').replaceChildren()
  clearProblems(form)
  if (next) {
    await (grant.onchain ? claimOnChain(null) : accept(null))
  } else {
    must('#work').hidden = true
    must('#accept-area').hidden = false
    ;($('#accept') ?? $('#claim'))?.focus()
  }
}

function doneOnChain(grant: Held): void {
  const note = t('submit.onchain_done', { slot: grant.slot, item: grant.item_id })
  const list = must('#done-list')
  list.append(Object.assign(document.createElement('li'), { textContent: note }))
  must('#done').hidden = false
  announce(note)
}

function done(grant: Held, receipt: ReceiptJson): void {
  const list = must('#done-list')
  const item = document.createElement('li')
  item.textContent = t('receipt.kept', { slot: grant.slot, item: grant.item_id, time: formatTime(receipt.submitted_at) })
  list.append(item)
  must('#done').hidden = false
  announce(t('receipt.kept', { slot: grant.slot, item: grant.item_id, time: formatTime(receipt.submitted_at) }))
}

function finish(message: string): void {
  window.clearInterval(timer)
  must('#work').hidden = true
  must('#accept-area').hidden = false
  const note = must('#accept-note')
  note.textContent = message
  note.hidden = false
  announce(message)
  note.focus()
}

/** A slot reserved before a reload (its lease still running) is taken up again. */
async function resume(): Promise<void> {
  const connection = current()
  if (connection === null || slot !== null) return
  const claimed = data().claimed
  if (claimed && claimed.worker.toLowerCase() === connection.address.toLowerCase() && claimed.lease_end > chainNow()) {
    await showItem({ ...claimed, task_id: data().taskId, onchain: true })
    announce(t('work.resumed', { item: claimed.item_id }))
    return
  }
  const open = (await records(connection.address)).find(
    (r) => r.task_id === data().taskId && !r.receipt && (r.lease_end ?? 0) > chainNow() && r.item_index !== undefined,
  )
  if (open !== undefined) {
    await showItem(open as unknown as GrantJson)
    announce(t('work.resumed', { item: String(open.item_id) }))
  }
}

export function setUp(): void {
  const form = $('#answer-form') as HTMLFormElement | null
  if (form === null) return // the manifest is not available yet: nothing to answer
  numberKeys(form)
  setUpMturk()
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    void handIn(must<HTMLButtonElement>('#hand-in'))
  })
  form.addEventListener('change', () => {
    if (slot !== null) saveDraft(draftKey(slot), formDraft(form))
  })
  const accepter = $('#accept') as HTMLButtonElement | null
  accepter?.addEventListener('click', () => void accept(accepter))
  const claimer = $('#claim') as HTMLButtonElement | null
  claimer?.addEventListener('click', () => void claimOnChain(claimer))
  document.addEventListener('microtask:wallet', () => void resume())
  void resume()
}
