// Post a task: the form is kept in localStorage as it is typed (nothing typed is lost on
// an error or a reload); the server builds the manifest and the draft from the fields
// (POST /requester/new/draft, a problem+json naming each wrong field otherwise) and says
// the cost in words; only then is the wallet asked: an EIP-2612 permit signature (or an
// approve) and createTask. Items files are read here; images go to the content store.
import { type Abi, type Hex, createClient, custom, encodeFunctionData, getAddress, parseSignature } from 'viem'
import { waitForTransactionReceipt } from 'viem/actions'
import { upload } from '../api'
import { config, t } from '../config'
import { announce, busy, clearError, element, must, showError } from '../dom'
import { downloadKeyExport, forgetKeys, unlockKey } from '../requester_key'
import { type Connection, WalletError, requireWallet, walletMessage } from '../wallet'

const DRAFT_KEY = 'microtask.create-draft'
const LIST_FIELDS = new Set(['labels', 'qualifications'])
const NUMBER_FIELDS = new Set(['redundancy', 'deadline_days', 'review_days', 'lease_minutes', 'time_estimate_seconds'])
const ERC20_APPROVE = [
  {
    type: 'function',
    name: 'approve',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'spender', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
    outputs: [],
  },
] as const

interface Items {
  name: string
  text: string
  images: { name: string; cid: string }[]
}

interface Funding {
  manifest_cid: string
  params: Record<string, string>
  token: string
  total: string
  value: string
  permit: { domain: object; types: object; primaryType: string; message: Record<string, unknown> } | null
  permit_deadline: string
  needs_approval: boolean
}

interface Drafted {
  cost: string
  warnings: string[]
  funding: Funding
}

interface FieldProblem {
  field: string
  detail: string
}

let items: Items = { name: '', text: '', images: [] }
let drafted: Drafted | null = null

function form(): HTMLFormElement {
  return must<HTMLFormElement>('#create-form')
}

function controls(): (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement)[] {
  return Array.from(form().querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('[name]')).filter(
    (control) => control.type !== 'file',
  )
}

function saveDraft(): void {
  const values: Record<string, string> = {}
  for (const control of controls()) values[control.name] = control.value
  try {
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ values, items }))
  } catch {
    // storage full (a large items file): the typed fields are small, keep them at least
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ values, items: { name: '', text: '', images: [] } }))
  }
}

function restoreDraft(): void {
  const saved = localStorage.getItem(DRAFT_KEY)
  if (saved === null) return
  try {
    const draft = JSON.parse(saved) as { values: Record<string, string>; items: Items }
    for (const control of controls()) {
      const value = draft.values[control.name]
      if (value !== undefined) control.value = value
    }
    items = draft.items ?? items
    summarise()
  } catch {
    localStorage.removeItem(DRAFT_KEY)
  }
}

function summarise(): void {
  const lines = items.text.split('\n').filter((line) => line.trim()).length
  const csv = must<HTMLSelectElement>('#items_format').value === 'csv'
  const count = items.images.length || Math.max(0, csv ? lines - 1 : lines)
  must('#items-summary').textContent = items.name ? t('create.items_read', { name: items.name, count }) : ''
}

function showKind(): void {
  const kind = must<HTMLSelectElement>('#kind').value
  must('#labels-field').hidden = kind === 'free_text'
}

async function readItems(input: HTMLInputElement): Promise<void> {
  const files = Array.from(input.files ?? [])
  if (files.length === 0) return
  const format = must<HTMLSelectElement>('#items_format').value
  if (format === 'images') {
    const images = []
    for (const file of files) {
      announce(t('create.uploading', { name: file.name }))
      images.push({ name: file.name, cid: await upload(new Uint8Array(await file.arrayBuffer()), false) })
    }
    items = { name: files.map((file) => file.name).join(', '), text: '', images }
  } else {
    const file = files[0] as File
    items = { name: file.name, text: await file.text(), images: [] }
  }
  summarise()
  saveDraft()
}

function body(connection: Connection, publicKey: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const control of controls()) {
    const value = control.value
    if (LIST_FIELDS.has(control.name)) fields[control.name] = value.split('\n').filter((line) => line.trim())
    else if (NUMBER_FIELDS.has(control.name)) fields[control.name] = value.trim() === '' ? null : Number(value)
    else fields[control.name] = value
  }
  if (fields.kind === 'free_text') fields.labels = []
  return {
    ...fields,
    requester: connection.address,
    requester_public_key: publicKey,
    items_text: items.text,
    images: items.images,
    language: config().locale,
  }
}

function clearProblems(): void {
  for (const shown of Array.from(document.querySelectorAll<HTMLElement>('[data-error-for]'))) {
    shown.hidden = true
    shown.textContent = ''
  }
  for (const control of Array.from(form().querySelectorAll('[aria-invalid]'))) control.removeAttribute('aria-invalid')
}

function showProblems(problems: FieldProblem[]): void {
  let first: HTMLElement | null = null
  for (const problem of problems) {
    const name = problem.field === 'items' ? 'items_file' : problem.field
    const shown = document.querySelector<HTMLElement>(`[data-error-for="${problem.field}"]`)
    const control = form().querySelector<HTMLElement>(`[name="${name}"]`)
    if (shown === null || control === null) continue
    shown.textContent = shown.textContent ? `${shown.textContent} ${problem.detail}` : problem.detail
    shown.hidden = false
    control.setAttribute('aria-invalid', 'true')
    first ??= control
  }
  showError(t('create.fix_fields', { count: problems.length }))
  first?.focus()
}

async function review(): Promise<void> {
  clearError()
  clearProblems()
  must('#cost').hidden = true
  drafted = null
  const connection = requireWallet()
  const { chainId, escrow } = config()
  announce(t('create.key_signing'))
  const key = await unlockKey(connection.provider, chainId, escrow, connection.address)
  const response = await fetch('/requester/new/draft', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' },
    body: JSON.stringify(body(connection, key.publicKey)),
  })
  const answer = (await response.json()) as Drafted & { errors?: FieldProblem[]; detail?: string }
  if (!response.ok) {
    if (answer.errors?.length) return showProblems(answer.errors)
    throw new WalletError(answer.detail ?? `${response.status} ${response.statusText}`)
  }
  drafted = answer
  must('#cost-words').textContent = answer.cost
  must('#cost-warnings').replaceChildren(...answer.warnings.map((warning) => element('li', { class: 'warning' }, warning)))
  const section = must('#cost')
  section.hidden = false
  section.focus()
}

function structOf(params: Record<string, string>): Record<string, unknown> {
  const abi = config().data.escrowAbi as { name: string; inputs: { components: { name: string; type: string }[] }[] }[]
  const components = abi.find((entry) => entry.name === 'createTask')?.inputs[0]?.components ?? []
  return Object.fromEntries(
    components.map((part) => [part.name, part.type.startsWith('uint') ? BigInt(params[part.name] ?? '0') : params[part.name]]),
  )
}

async function send(connection: Connection, to: string, data: Hex, value: bigint): Promise<Hex[]> {
  const transaction = { from: connection.address, to: getAddress(to), data, value: `0x${value.toString(16)}` }
  await connection.provider.request({ method: 'eth_call', params: [transaction, 'latest'] })
  const hash = (await connection.provider.request({ method: 'eth_sendTransaction', params: [transaction] })) as Hex
  const client = createClient({ transport: custom(connection.provider) })
  const receipt = await waitForTransactionReceipt(client, { hash, pollingInterval: 250 })
  if (receipt.status !== 'success') throw new WalletError(t('tx.reverted', { hash }))
  const topic = String(config().data.taskCreatedTopic).toLowerCase()
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === config().escrow.toLowerCase() && log.topics[0]?.toLowerCase() === topic)
    .map((log) => log.topics[1] as Hex)
}

async function pay(): Promise<void> {
  clearError()
  if (drafted === null) return
  const connection = requireWallet()
  const funding = drafted.funding
  const abi = config().data.escrowAbi as Abi
  const params = structOf(funding.params)
  let data: Hex
  if (funding.permit !== null) {
    announce(t('create.permit_signing'))
    const signature = (await connection.provider.request({
      method: 'eth_signTypedData_v4',
      params: [connection.address, JSON.stringify(funding.permit)],
    })) as Hex
    const { v, r, s, yParity } = parseSignature(signature)
    const recovery = v !== undefined ? Number(v) : 27 + yParity
    data = encodeFunctionData({
      abi,
      functionName: 'createTaskWithPermit',
      args: [params, BigInt(funding.permit_deadline), recovery, r, s],
    })
  } else {
    if (funding.needs_approval) {
      announce(t('create.approving'))
      const approval = encodeFunctionData({
        abi: ERC20_APPROVE,
        functionName: 'approve',
        args: [config().escrow, BigInt(funding.total)],
      })
      await send(connection, funding.token, approval, 0n)
    }
    data = encodeFunctionData({ abi, functionName: 'createTask', args: [params] })
  }
  announce(t('create.sending'))
  const created = await send(connection, config().escrow, data, BigInt(funding.value))
  const taskId = created.length ? BigInt(created[0] as Hex).toString() : null
  localStorage.removeItem(DRAFT_KEY)
  must('#cost').hidden = true
  const link = must<HTMLAnchorElement>('#created-link')
  if (taskId !== null) link.href = `/task/${taskId}`
  link.dataset.taskId = taskId ?? ''
  const section = must('#created')
  section.hidden = false
  section.focus()
  announce(t('create.created', { task: taskId ?? '?' }))
}

function guarded(button: HTMLButtonElement, work: () => Promise<void>): void {
  void busy(button, work).catch((error: unknown) => {
    showError(error instanceof WalletError ? error.message : walletMessage(error))
  })
}

export function setUp(): void {
  restoreDraft()
  showKind()
  form().addEventListener('input', saveDraft)
  form().addEventListener('change', saveDraft)
  must('#kind').addEventListener('change', showKind)
  must<HTMLInputElement>('#items_file').addEventListener('change', (event) => {
    void readItems(event.target as HTMLInputElement).catch((error: unknown) => showError(walletMessage(error)))
  })
  form().addEventListener('submit', (event) => {
    event.preventDefault()
    guarded(must<HTMLButtonElement>('#review-cost'), review)
  })
  must<HTMLButtonElement>('#pay').addEventListener('click', (event) =>
    guarded(event.currentTarget as HTMLButtonElement, pay),
  )
  must<HTMLButtonElement>('#preview-button').addEventListener('click', (event) =>
    guarded(event.currentTarget as HTMLButtonElement, async () => {
      const response = await fetch('/requester/new/preview', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ markdown: must<HTMLTextAreaElement>('#instructions').value }),
      })
      const preview = must('#preview')
      preview.innerHTML = ((await response.json()) as { html: string }).html // sanitised by the server
      preview.hidden = false
    }),
  )
  must<HTMLButtonElement>('#export-key').addEventListener('click', (event) =>
    guarded(event.currentTarget as HTMLButtonElement, async () => {
      const connection = requireWallet()
      const { chainId, escrow } = config()
      downloadKeyExport(await unlockKey(connection.provider, chainId, escrow, connection.address))
      announce(t('create.key_exported'))
    }),
  )
  must<HTMLButtonElement>('#forget-draft').addEventListener('click', () => {
    localStorage.removeItem(DRAFT_KEY)
    items = { name: '', text: '', images: [] }
    form().reset()
    summarise()
    showKind()
  })
  document.addEventListener('microtask:wallet', () => forgetKeys())
}
