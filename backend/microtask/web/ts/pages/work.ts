// My work: the slots this browser keeps receipts for (IndexedDB) beside what the index
// knows, with "enforce" for a receipt the verifier left unsettled (present it on chain,
// then, after the review period, collect: the wallet pays the gas), "dispute" for a
// rejection (the reason is uploaded, its CID goes on chain), and the receipt files to
// download for the CLI or to import from it.
import { ProblemError, getJson, upload } from '../api'
import { utf8 } from '../bytes'
import { recoverTyped, sendEscrow } from '../chain'
import { cidBytes } from '../cid'
import { chainNow, config, formatTime, t } from '../config'
import { $, announce, busy, clearError, element, must, showError } from '../dom'
import { type SlotRecord, cliFile, parseRecord, records, saveRecord } from '../receipts'
import { RECEIPT_TYPES, type ReceiptJson, domain } from '../typed'
import { WalletError, current, requireWallet, walletMessage } from '../wallet'
import { unzip, zip } from '../zip'
import { toHex } from '../bytes'

interface SlotJson {
  slot: number
  state: string
  worker: string | null
  timestamp: number
}

interface TaskJson {
  task_id: number
  requester: string
  verifier: string
  slots: SlotJson[]
  manifest: { title: string | null }
}

function words(error: unknown): string {
  if (error instanceof ProblemError || error instanceof WalletError) return error.message
  return walletMessage(error)
}

function receiptArgs(receipt: ReceiptJson) {
  return {
    taskId: BigInt(receipt.task_id),
    slot: receipt.slot,
    worker: receipt.worker as `0x${string}`,
    resultDigest: receipt.result_digest as `0x${string}`,
    submittedAt: BigInt(receipt.submitted_at),
    expiry: BigInt(receipt.expiry),
  }
}

interface EnforcementStep {
  action: 'present' | 'finalize' | 'wait' | 'none'
  payable_after: number | null
  state: string
}

/** What enforcing the receipt does next, as the server's client library reads the chain
 * (the same decision as the CLI's `microtask work enforce`). */
function nextStep(record: SlotRecord, worker: string): Promise<EnforcementStep> {
  return getJson<EnforcementStep>(`/my-work/enforcement/${record.task_id}/${record.slot}?worker=${worker}`)
}

/** Present the receipt if the slot is still open on chain, then finalize once the review
 * period has passed: what the CLI's `microtask work enforce` does. */
async function enforce(record: SlotRecord): Promise<string> {
  const connection = requireWallet()
  const receipt = record.receipt!
  let step = await nextStep(record, connection.address)
  if (step.action === 'present') {
    await sendEscrow(connection, {
      abi: (await import('../chain')).ESCROW_ABI,
      functionName: 'presentReceipts',
      args: [[receiptArgs(receipt)], [receipt.signature as `0x${string}`]],
    })
    step = await nextStep(record, connection.address)
  }
  if (step.action === 'finalize') {
    await sendEscrow(connection, {
      abi: (await import('../chain')).ESCROW_ABI,
      functionName: 'finalize',
      args: [BigInt(record.task_id), [record.slot]],
    })
    return t('enforce.paid')
  }
  if (step.action === 'wait' && step.payable_after !== null) {
    return t('enforce.presented', { date: formatTime(step.payable_after) })
  }
  return t('enforce.state', { state: stateWords(step.state) })
}

function stateWords(state: string): string {
  return t(`slot.${state}`) === `slot.${state}` ? state : t(`slot.${state}`)
}

async function renderLocal(): Promise<void> {
  const body = $('#local-receipts tbody')
  const section = $('#local-receipts')
  const connection = current()
  if (body === null || section === null || connection === null) return
  const kept = await records(connection.address)
  const tasks = new Map<number, TaskJson | null>()
  for (const id of new Set(kept.map((r) => r.task_id))) {
    tasks.set(id, await getJson<TaskJson>(`/tasks/${id}`).catch(() => null))
  }
  const rows: HTMLTableRowElement[] = []
  for (const record of kept) {
    const task = tasks.get(record.task_id) ?? null
    const onChain = task?.slots.find((s) => s.slot === record.slot)
    const state = !record.receipt
      ? (record.lease_end ?? 0) > chainNow()
        ? 'reserved'
        : 'lapsed'
      : onChain === undefined || onChain.state === 'open'
        ? 'receipted'
        : onChain.state
    const row = element('tr')
    const title = task?.manifest.title ?? t('work.task_number', { task: record.task_id })
    row.append(
      element('td', {}, element('a', { href: `/task/${record.task_id}` }, title)),
      element('td', {}, String(record.slot)),
      element('td', {}, String(record.item_id ?? '')),
      element('td', {}, record.receipt ? formatTime(record.receipt.submitted_at) : '—'),
      element('td', { 'data-state': state }, stateWords(state)),
    )
    const actions = element('td')
    if (record.receipt && task !== null && ['receipted', 'submitted'].includes(state)) {
      const button = element('button', { type: 'button', class: 'secondary' }, t('enforce.button'))
      button.setAttribute('aria-label', t('enforce.button_for', { task: record.task_id, slot: record.slot }))
      button.addEventListener('click', () => {
        clearError()
        void busy(button, async () => {
          try {
            announce(t('enforce.working'))
            const outcome = await enforce(record)
            announce(outcome)
            must('#work-note').textContent = outcome
            await renderLocal()
          } catch (error) {
            showError(words(error))
          }
        })
      })
      actions.append(button)
    }
    row.append(actions)
    rows.push(row)
  }
  body.replaceChildren(...rows) // at once: two renders racing (load, wallet event) show one list
  section.hidden = false
  must('#local-count').textContent = t('work.kept_count', { count: kept.length })
}

function download(): void {
  const connection = current()
  if (connection === null) return
  void records(connection.address).then((kept) => {
    const files = kept.map(cliFile).map((file) => ({ name: file.name, data: utf8(file.text) }))
    const blob = new Blob([zip(files) as BlobPart], { type: 'application/zip' })
    const link = document.createElement('a')
    link.href = URL.createObjectURL(blob)
    link.download = 'microtask-receipts.zip'
    document.body.append(link)
    link.click()
    link.remove()
    window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
    announce(t('receipts.downloaded', { count: files.length }))
  })
}

async function importFiles(input: HTMLInputElement): Promise<void> {
  clearError()
  const connection = current()
  if (connection === null) {
    showError(t('wallet.needed'))
    return
  }
  const { chainId, escrow } = config()
  let imported = 0
  try {
    for (const file of Array.from(input.files ?? [])) {
      const bytes = new Uint8Array(await file.arrayBuffer())
      const entries = file.name.endsWith('.zip')
        ? unzip(bytes).filter((entry) => entry.name.endsWith('.json'))
        : [{ name: file.name, data: bytes }]
      for (const entry of entries) {
        const record = parseRecord(new TextDecoder().decode(entry.data))
        if (record.worker.toLowerCase() !== connection.address.toLowerCase()) {
          throw new WalletError(t('receipts.not_yours', { file: entry.name }))
        }
        if (record.receipt) {
          const task = await getJson<TaskJson>(`/tasks/${record.task_id}`)
          const signer = recoverTyped(
            { domain: domain(chainId, escrow), types: RECEIPT_TYPES, primaryType: 'Receipt', message: receiptArgs(record.receipt) },
            record.receipt.signature,
          )
          if (![task.verifier, task.requester].map((a) => a.toLowerCase()).includes(signer.toLowerCase())) {
            throw new WalletError(t('receipts.not_this_escrow', { file: entry.name }))
          }
        }
        await saveRecord(record)
        imported++
      }
    }
    announce(t('receipts.imported', { count: imported }))
    must('#work-note').textContent = t('receipts.imported', { count: imported })
    await renderLocal()
  } catch (error) {
    showError(error instanceof SyntaxError ? t('receipts.not_json') : words(error))
  } finally {
    input.value = ''
  }
}

async function dispute(form: HTMLFormElement): Promise<void> {
  clearError()
  const reason = (new FormData(form).get('reason') ?? '').toString().trim()
  const taskId = Number(form.dataset.task)
  const slot = Number(form.dataset.slot)
  if (!reason) {
    showError(t('dispute.say_why'))
    form.querySelector('textarea')?.focus()
    return
  }
  const button = form.querySelector('button')
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      announce(t('dispute.uploading'))
      const cid = await upload(utf8(reason), false)
      await sendEscrow(connection, {
        abi: (await import('../chain')).ESCROW_ABI,
        functionName: 'dispute',
        args: [BigInt(taskId), slot, toHex(cidBytes(cid))],
      })
    })
    const note = t('dispute.sent', { task: taskId, slot })
    form.replaceChildren(element('p', { role: 'status' }, note))
    announce(note)
  } catch (error) {
    showError(words(error))
  }
}

export function setUp(): void {
  $('#download-receipts')?.addEventListener('click', download)
  const input = $('#import-receipts') as HTMLInputElement | null
  input?.addEventListener('change', () => void importFiles(input))
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-dispute]'))) {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void dispute(form)
    })
  }
  document.addEventListener('microtask:wallet', () => void renderLocal())
  void renderLocal()
}
