// Operator: the escrow owner's settings, each a transaction from the owner's wallet. The
// page is served only to the owner; the escrow refuses anyone else on its own.
import { getAddress, isAddress } from 'viem'
import { ProblemError } from '../api'
import { config, t } from '../config'
import { announce, busy, clearError, showError } from '../dom'
import { sendRoleCall } from '../roles_abi'
import { WalletError, requireWallet, walletMessage } from '../wallet'
import { parseUnits } from './earnings'

type Call = Parameters<typeof sendRoleCall>[1]

function fail(form: HTMLFormElement, message: string): null {
  const input = form.querySelector<HTMLInputElement>('input')
  showError(message)
  input?.setAttribute('aria-invalid', 'true')
  input?.focus()
  return null
}

/** The call ``form`` asks for, or null (with the error shown) when a field is wrong. */
function callOf(form: HTMLFormElement): Call | null {
  const kind = form.dataset.operator
  const value = (form.querySelector<HTMLInputElement>('input')?.value ?? '').trim()
  if (kind === 'fee') {
    const max = Number(config().data.maxFeeBps ?? 1000)
    const bps = parseUnits(value, 2)
    if (bps === null || bps > BigInt(max)) return fail(form, t('operator.bad_fee', { max: max / 100 }))
    return { functionName: 'setFee', args: [Number(bps)] }
  }
  if (kind === 'minimum-fee') {
    const decimals = Number(form.dataset.decimals)
    const amount = parseUnits(value, decimals)
    if (amount === null || amount >= 2n ** 128n) return fail(form, t('operator.bad_amount', { decimals }))
    return { functionName: 'setMinimumFee', args: [getAddress(form.dataset.token ?? ''), amount] }
  }
  if (kind === 'treasury' || kind === 'arbitrator') {
    if (!isAddress(value)) return fail(form, t('operator.bad_address'))
    return { functionName: kind === 'treasury' ? 'setTreasury' : 'setDefaultArbitrator', args: [getAddress(value)] }
  }
  if (kind === 'pause' || kind === 'unpause') return { functionName: kind }
  return null
}

async function send(form: HTMLFormElement): Promise<void> {
  clearError()
  for (const input of Array.from(form.querySelectorAll('[aria-invalid]'))) input.removeAttribute('aria-invalid')
  const call = callOf(form)
  if (call === null) return
  try {
    const connection = requireWallet()
    await busy(form.querySelector('button'), async () => {
      announce(t('operator.sending'))
      await sendRoleCall(connection, call)
    })
    const url = new URL(location.href)
    url.searchParams.set('done', form.dataset.operator ?? '')
    location.assign(url.toString())
  } catch (error) {
    showError(error instanceof ProblemError || error instanceof WalletError ? error.message : walletMessage(error))
  }
}

export function setUp(): void {
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-operator]'))) {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void send(form)
    })
  }
}
