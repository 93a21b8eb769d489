// My tasks: the requester's figures follow the escrow's live feed (refreshed a moment
// after the last event, as the task list does), and each task's forms are transactions
// from the wallet: add slots and bonuses pay in (an ERC-20 is approved first), cancel,
// extend, reclaim unused receipt slots; refunds are withdrawn as earnings are.
import htmx from 'htmx.org'
import { getAddress, isAddress } from 'viem'
import { ProblemError } from '../api'
import { config, formatAmount, t } from '../config'
import { announce, busy, clearError, showError } from '../dom'
import { approveEscrow, sendRoleCall } from '../roles_abi'
import { WalletError, requireWallet, walletMessage } from '../wallet'
import { parseUnits, setUp as setUpWithdraw } from './earnings'

const SETTLE_MS = 700
const ETH = '0x0000000000000000000000000000000000000000'

type Call = Parameters<typeof sendRoleCall>[1]

interface Plan {
  call: Call
  pays: bigint
}

function fail(form: HTMLFormElement, name: string, message: string): null {
  const input = form.querySelector<HTMLInputElement>(`[name="${name}"]`)
  showError(message)
  input?.setAttribute('aria-invalid', 'true')
  input?.focus()
  return null
}

function planOf(form: HTMLFormElement, card: HTMLElement): Plan | null {
  const taskId = BigInt(card.dataset.requesterTask ?? '0')
  const fields = new FormData(form)
  const text = (name: string) => String(fields.get(name) ?? '').trim()
  const decimals = Number(card.dataset.decimals)
  switch (form.dataset.requester) {
    case 'cancel':
      return { call: { functionName: 'cancel', args: [taskId] }, pays: 0n }
    case 'reclaim':
      return { call: { functionName: 'reclaimReceiptSlots', args: [taskId] }, pays: 0n }
    case 'add-slots': {
      if (!/^\d+$/.test(text('count')) || Number(text('count')) < 1 || Number(text('count')) > 2 ** 32 - 1) {
        return fail(form, 'count', t('requester.bad_count'))
      }
      const count = Number(text('count'))
      return { call: { functionName: 'addSlots', args: [taskId, count] }, pays: BigInt(count) * BigInt(card.dataset.perSlot ?? '0') }
    }
    case 'extend': {
      const chosen = Math.floor(new Date(text('deadline')).getTime() / 1000)
      if (!Number.isFinite(chosen) || chosen <= Number(card.dataset.deadline)) return fail(form, 'deadline', t('requester.bad_date'))
      return { call: { functionName: 'extendDeadline', args: [taskId, BigInt(chosen)] }, pays: 0n }
    }
    case 'bonus': {
      const worker = text('worker')
      if (!isAddress(worker)) return fail(form, 'worker', t('requester.bad_address'))
      const amount = parseUnits(text('amount'), decimals)
      if (amount === null || amount <= 0n) return fail(form, 'amount', t('requester.bad_amount', { decimals }))
      return { call: { functionName: 'bonus', args: [taskId, getAddress(worker), amount] }, pays: amount }
    }
    default:
      return null
  }
}

async function send(form: HTMLFormElement, card: HTMLElement): Promise<void> {
  clearError()
  for (const input of Array.from(form.querySelectorAll('[aria-invalid]'))) input.removeAttribute('aria-invalid')
  if (form.dataset.requester === 'cancel' && !window.confirm(t('requester.confirm_cancel', { task: card.dataset.requesterTask ?? '' }))) return
  const plan = planOf(form, card)
  if (plan === null) return
  const token = (card.dataset.token ?? ETH).toLowerCase()
  try {
    const connection = requireWallet()
    await busy(form.querySelector('button'), async () => {
      if (plan.pays > 0n && token !== ETH) {
        announce(t('requester.approving', { amount: formatAmount(plan.pays, token) }))
        await approveEscrow(connection, token, plan.pays)
      }
      announce(t('requester.sending'))
      await sendRoleCall(connection, plan.call, token === ETH ? plan.pays : 0n)
    })
    form.reset()
    const note = t('requester.done')
    document.getElementById('requests-note')!.textContent = note
    announce(note)
  } catch (error) {
    showError(error instanceof ProblemError || error instanceof WalletError ? error.message : walletMessage(error))
  }
}

function follow(): void {
  if (typeof EventSource === 'undefined' || document.getElementById('task-figures') === null) return
  const names = (config().data.events ?? []) as string[]
  const feed = new EventSource('/events')
  let pending: number | undefined
  const refresh = () => {
    window.clearTimeout(pending)
    pending = window.setTimeout(() => {
      void htmx.ajax('get', '/my-tasks', { target: '#task-figures', swap: 'outerHTML', select: '#task-figures' }).then(() => {
        announce(t('requester.updated'))
      })
    }, SETTLE_MS)
  }
  for (const name of names) feed.addEventListener(name, refresh)
  feed.addEventListener('reorg', refresh)
  window.addEventListener('pagehide', () => feed.close())
}

export function setUp(): void {
  setUpWithdraw()
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-requester]'))) {
    const card = form.closest<HTMLElement>('[data-requester-task]')
    if (card === null) continue
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void send(form, card)
    })
  }
  follow()
}
