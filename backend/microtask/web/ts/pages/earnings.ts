// Earnings: withdraw any amount of a token's balance to any address, from the wallet
// (the one transaction a worker ever needs to pay gas for).
import { sendEscrow, ESCROW_ABI } from '../chain'
import { config, t } from '../config'
import { announce, busy, clearError, showError } from '../dom'
import { ProblemError } from '../api'
import { WalletError, requireWallet, walletMessage } from '../wallet'
import { getAddress, isAddress } from 'viem'

/** A decimal amount in a token's units as its smallest units, or null if it is not one. */
export function parseUnits(text: string, decimals: number): bigint | null {
  const normalised = text.trim().replace(',', '.')
  const match = /^(\d+)(?:\.(\d*))?$/.exec(normalised)
  if (match === null) return null
  const fraction = match[2] ?? ''
  if (fraction.length > decimals) return null
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

async function withdraw(form: HTMLFormElement): Promise<void> {
  clearError()
  const fields = new FormData(form)
  const token = String(fields.get('token'))
  const decimals = Number(form.dataset.decimals)
  const balance = BigInt(form.dataset.balance ?? '0')
  const amount = parseUnits(String(fields.get('amount') ?? ''), decimals)
  const to = String(fields.get('to') ?? '').trim()
  if (amount === null || amount <= 0n) return fail(form, 'amount', t('withdraw.bad_amount', { decimals }))
  if (amount > balance) return fail(form, 'amount', t('withdraw.too_much'))
  if (to && !isAddress(to)) return fail(form, 'to', t('withdraw.bad_address'))
  try {
    const connection = requireWallet()
    await busy(form.querySelector('button'), async () => {
      announce(t('withdraw.working'))
      await sendEscrow(connection, {
        abi: ESCROW_ABI,
        functionName: 'withdraw',
        args: [getAddress(token), amount, getAddress(to || connection.address)],
      })
    })
    announce(t('withdraw.done'))
    const url = new URL(location.href)
    url.searchParams.set('withdrawn', token)
    location.assign(url.toString())
  } catch (error) {
    showError(error instanceof ProblemError || error instanceof WalletError ? error.message : walletMessage(error))
  }
}

function fail(form: HTMLFormElement, name: string, message: string): void {
  const input = form.querySelector<HTMLInputElement>(`[name="${name}"]`)
  showError(message)
  input?.setAttribute('aria-invalid', 'true')
  input?.focus()
}

export function setUp(): void {
  void config()
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-withdraw]'))) {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void withdraw(form)
    })
  }
}
