// Disputes: the arbitrator reads both sides and rules from the wallet. Reasons (needed to
// uphold a rejection) are uploaded first; their CID goes on chain, so both sides read them.
import { ProblemError, upload } from '../api'
import { toHex, utf8 } from '../bytes'
import { cidBytes } from '../cid'
import { t } from '../config'
import { announce, busy, clearError, element, showError } from '../dom'
import { sendRoleCall } from '../roles_abi'
import { WalletError, requireWallet, walletMessage } from '../wallet'

async function rule(form: HTMLFormElement): Promise<void> {
  clearError()
  const fields = new FormData(form)
  const choice = String(fields.get('ruling') ?? '')
  const reason = String(fields.get('reason') ?? '').trim()
  const taskId = Number(form.dataset.task)
  const slot = Number(form.dataset.slot)
  if (choice !== 'pay' && choice !== 'uphold') {
    showError(t('rule.choose'))
    form.querySelector<HTMLInputElement>('input[type=radio]')?.focus()
    return
  }
  const pay = choice === 'pay'
  if (!pay && !reason) {
    showError(t('rule.say_why'))
    form.querySelector('textarea')?.focus()
    return
  }
  try {
    const connection = requireWallet()
    await busy(form.querySelector('button'), async () => {
      announce(t('rule.sending'))
      const cid = reason ? toHex(cidBytes(await upload(utf8(reason), false))) : '0x'
      await sendRoleCall(connection, { functionName: 'rule', args: [BigInt(taskId), slot, pay, cid] })
    })
    const note = t(pay ? 'rule.paid' : 'rule.upheld', { task: taskId, slot })
    form.replaceChildren(element('p', { role: 'status', class: 'ok' }, note))
    announce(note)
  } catch (error) {
    showError(error instanceof ProblemError || error instanceof WalletError ? error.message : walletMessage(error))
  }
}

export function setUp(): void {
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-rule]'))) {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void rule(form)
    })
  }
}
