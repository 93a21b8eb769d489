// The worker's wallet: any EIP-1193 provider, found with EIP-6963 (window.ethereum as the
// fallback), or on a local development chain one of the node's unlocked accounts. Keys
// never reach this script: it asks the wallet to sign and to send, nothing more.
//
// States the header shows: no wallet, connected, wrong chain (with a switch button),
// locked (the wallet shares no account), and a request the person declined.
import { config, t } from './config'
import { $, announce, must } from './dom'

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>
  on?(event: string, listener: (...args: never[]) => void): void
}

interface ProviderInfo {
  uuid: string
  name: string
  icon: string
  rdns: string
}

interface ProviderDetail {
  info: ProviderInfo
  provider: Eip1193Provider
}

export interface Connection {
  address: `0x${string}`
  provider: Eip1193Provider
  label: string
}

type Choice = { type: 'eip6963'; rdns: string } | { type: 'injected' } | { type: 'dev'; address: string }

type State =
  | { kind: 'disconnected' }
  | { kind: 'connected'; connection: Connection }
  | { kind: 'wrong-chain'; connection: Connection; chainId: number }
  | { kind: 'locked'; label: string }

const CHOICE_KEY = 'microtask.wallet'
const COOKIE = 'mt_worker'
const announced = new Map<string, ProviderDetail>()
let state: State = { kind: 'disconnected' }

/** A wallet refusal, with the person's words for it. */
export class WalletError extends Error {
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message)
  }
}

/** The EIP-1193 error code of ``error`` or of anything in its cause chain. */
export function errorCode(error: unknown): number | null {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'number') return code
    current = (current as { cause?: unknown }).cause
  }
  return null
}

/** What a wallet's refusal means to the person. */
export function walletMessage(error: unknown): string {
  const code = errorCode(error)
  if (code === 4001) return t('wallet.rejected')
  if (code === 4100) return t('wallet.locked')
  if (code === -32002) return t('wallet.pending')
  if (error instanceof Error && error.message) return error.message
  return String(error)
}

function devProvider(rpcUrl: string, address: string | null): Eip1193Provider {
  let id = 0
  return {
    async request({ method, params }) {
      if (address !== null && (method === 'eth_accounts' || method === 'eth_requestAccounts')) {
        return [address]
      }
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
      })
      const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } }
      if (body.error) throw new WalletError(body.error.message, body.error.code)
      return body.result
    },
  }
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`
}

function saveChoice(choice: Choice | null): void {
  if (choice === null) localStorage.removeItem(CHOICE_KEY)
  else localStorage.setItem(CHOICE_KEY, JSON.stringify(choice))
}

function savedChoice(): Choice | null {
  try {
    return JSON.parse(localStorage.getItem(CHOICE_KEY) ?? 'null') as Choice | null
  } catch {
    return null
  }
}

function setCookie(address: string | null): void {
  const secure = location.protocol === 'https:' ? '; Secure' : ''
  if (address === null) document.cookie = `${COOKIE}=; path=/; max-age=0; SameSite=Lax${secure}`
  else document.cookie = `${COOKIE}=${address}; path=/; max-age=31536000; SameSite=Lax${secure}`
}

function providerFor(choice: Choice): { provider: Eip1193Provider; label: string } | null {
  if (choice.type === 'dev') {
    const url = config().rpcUrl
    if (!config().devAccounts || url === null) return null
    return { provider: devProvider(url, choice.address), label: t('wallet.dev_label') }
  }
  if (choice.type === 'eip6963') {
    for (const detail of announced.values()) {
      if (detail.info.rdns === choice.rdns) return { provider: detail.provider, label: detail.info.name }
    }
    return null
  }
  const injected = (window as unknown as { ethereum?: Eip1193Provider }).ethereum
  return injected ? { provider: injected, label: t('wallet.browser_wallet') } : null
}

function render(): void {
  const button = $('#wallet-button') as HTMLButtonElement | null
  const shown = $('#wallet-address')
  const text = $('#wallet-dialog-state')
  const switcher = $('#wallet-switch') as HTMLButtonElement | null
  const disconnect = $('#wallet-disconnect') as HTMLButtonElement | null
  document.documentElement.dataset.wallet = state.kind
  if (button === null || shown === null) return
  if (state.kind === 'connected') {
    button.textContent = short(state.connection.address)
    button.setAttribute('aria-label', t('wallet.connected_as', { address: state.connection.address }))
    shown.textContent = ''
  } else if (state.kind === 'wrong-chain') {
    button.textContent = t('wallet.wrong_chain_short')
    button.removeAttribute('aria-label')
  } else if (state.kind === 'locked') {
    button.textContent = t('wallet.unlock_short')
    button.removeAttribute('aria-label')
  } else {
    button.textContent = t('wallet.connect')
    button.removeAttribute('aria-label')
  }
  if (text !== null) {
    text.textContent =
      state.kind === 'connected'
        ? t('wallet.state_connected', { name: state.connection.label, address: state.connection.address })
        : state.kind === 'wrong-chain'
          ? t('wallet.state_wrong_chain', { chain: config().chainName })
          : state.kind === 'locked'
            ? t('wallet.state_locked', { name: state.label })
            : announced.size === 0 && !hasInjected() && !config().devAccounts
              ? t('wallet.state_none')
              : t('wallet.state_disconnected')
  }
  if (switcher !== null) switcher.hidden = state.kind !== 'wrong-chain'
  if (disconnect !== null) disconnect.hidden = state.kind === 'disconnected'
}

function hasInjected(): boolean {
  return Boolean((window as unknown as { ethereum?: unknown }).ethereum)
}

function renderChoices(): void {
  const list = $('#wallet-choices')
  if (list === null) return
  list.replaceChildren()
  const entries: [string, Choice, string][] = []
  for (const detail of announced.values()) {
    entries.push([detail.info.name, { type: 'eip6963', rdns: detail.info.rdns }, detail.info.icon])
  }
  if (announced.size === 0 && hasInjected()) entries.push([t('wallet.browser_wallet'), { type: 'injected' }, ''])
  for (const [name, choice, icon] of entries) {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'wallet-choice'
    if (icon.startsWith('data:image/')) {
      const image = document.createElement('img')
      image.src = icon
      image.alt = ''
      image.width = 24
      image.height = 24
      button.append(image)
    }
    button.append(name)
    button.addEventListener('click', () => void connect(choice, true))
    item.append(button)
    list.append(item)
  }
  const none = $('#wallet-none')
  if (none !== null) none.hidden = entries.length > 0
}

async function loadDevAccounts(): Promise<void> {
  const section = $('#dev-accounts')
  const url = config().rpcUrl
  if (section === null || !config().devAccounts || url === null) return
  const select = must<HTMLSelectElement>('#dev-account', section)
  try {
    const accounts = (await devProvider(url, null).request({ method: 'eth_accounts' })) as string[]
    select.replaceChildren(
      ...accounts.map((address, index) => {
        const option = document.createElement('option')
        option.value = address
        option.textContent = t('wallet.dev_account', { number: index, address: short(address) })
        return option
      }),
    )
    const suggested = Number(section.dataset.suggested ?? '3')
    if (accounts.length > suggested) select.selectedIndex = suggested
    section.hidden = false
  } catch {
    section.hidden = true
  }
}

async function evaluate(choice: Choice, provider: Eip1193Provider, label: string, ask: boolean): Promise<void> {
  const accounts = (await provider.request({ method: ask ? 'eth_requestAccounts' : 'eth_accounts' })) as string[]
  const first = accounts[0]
  if (!first) {
    state = { kind: 'locked', label }
    setCookie(null)
    render()
    return
  }
  const address = first as `0x${string}`
  const connection = { address, provider, label }
  const chainId = Number(BigInt((await provider.request({ method: 'eth_chainId' })) as string))
  state = chainId === config().chainId ? { kind: 'connected', connection } : { kind: 'wrong-chain', connection, chainId }
  saveChoice(choice)
  render()
  if (state.kind !== 'connected') {
    setCookie(null) // the pages show this worker's view only once the wallet can work here
    return
  }
  const before = document.cookie.match(/(?:^|; )mt_worker=([^;]*)/)?.[1] ?? ''
  setCookie(address)
  document.dispatchEvent(new CustomEvent('microtask:wallet', { detail: current() }))
  const served = document.body.dataset.worker ?? ''
  if (document.body.dataset.workerAware !== undefined && served.toLowerCase() !== address.toLowerCase()) {
    if (before.toLowerCase() !== address.toLowerCase() || served === '') location.reload()
  }
}

async function connect(choice: Choice, ask: boolean): Promise<void> {
  const found = providerFor(choice)
  if (found === null) {
    if (ask) announce(t('wallet.state_none'))
    return
  }
  try {
    await evaluate(choice, found.provider, found.label, ask)
    if (ask && state.kind === 'connected') {
      const dialog = $('#wallet-dialog') as HTMLDialogElement | null
      dialog?.close()
      announce(t('wallet.state_connected', { name: found.label, address: state.connection.address }))
      must<HTMLButtonElement>('#wallet-button').focus()
    }
  } catch (error) {
    const message = walletMessage(error)
    const text = $('#wallet-dialog-state')
    if (text !== null) text.textContent = message
    announce(message)
  }
  found.provider.on?.('accountsChanged', (() => void connect(choice, false)) as never)
  found.provider.on?.('chainChanged', (() => void connect(choice, false)) as never)
}

async function switchChain(): Promise<void> {
  if (state.kind !== 'wrong-chain') return
  const { provider } = state.connection
  const chainId = `0x${config().chainId.toString(16)}`
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] })
  } catch (error) {
    if (errorCode(error) !== 4902 || config().rpcUrl === null) {
      announce(walletMessage(error))
      return
    }
    await provider.request({
      method: 'wallet_addEthereumChain',
      params: [
        {
          chainId,
          chainName: config().chainName,
          rpcUrls: [config().rpcUrl],
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        },
      ],
    })
  }
  const saved = savedChoice()
  if (saved !== null) await connect(saved, false)
}

export function current(): Connection | null {
  return state.kind === 'connected' ? state.connection : null
}

export function openDialog(): void {
  const dialog = $('#wallet-dialog') as HTMLDialogElement | null
  if (dialog === null) return
  render()
  renderChoices()
  if (!dialog.open) dialog.showModal()
}

/** The connected wallet on the right chain, or a `WalletError` (the dialog opens to fix it). */
export function requireWallet(): Connection {
  const connection = current()
  if (connection !== null) return connection
  openDialog()
  throw new WalletError(
    state.kind === 'wrong-chain'
      ? t('wallet.state_wrong_chain', { chain: config().chainName })
      : state.kind === 'locked'
        ? t('wallet.state_locked', { name: state.label })
        : t('wallet.needed'),
  )
}

export function setUpWallet(): void {
  window.addEventListener('eip6963:announceProvider', (event) => {
    const detail = (event as CustomEvent<ProviderDetail>).detail
    if (!detail?.info?.uuid || !detail.provider) return
    announced.set(detail.info.uuid, detail)
    renderChoices()
    const saved = savedChoice()
    if (saved?.type === 'eip6963' && saved.rdns === detail.info.rdns && state.kind === 'disconnected') {
      void connect(saved, false)
    }
  })
  window.dispatchEvent(new Event('eip6963:requestProvider'))
  $('#wallet-button')?.addEventListener('click', openDialog)
  $('#wallet-switch')?.addEventListener('click', () => void switchChain())
  $('#wallet-close')?.addEventListener('click', () => ($('#wallet-dialog') as HTMLDialogElement | null)?.close())
  $('#wallet-disconnect')?.addEventListener('click', () => {
    state = { kind: 'disconnected' }
    saveChoice(null)
    setCookie(null)
    render()
    announce(t('wallet.disconnected'))
    document.dispatchEvent(new CustomEvent('microtask:wallet', { detail: null }))
  })
  $('#dev-use')?.addEventListener('click', () => {
    const address = must<HTMLSelectElement>('#dev-account').value
    void connect({ type: 'dev', address }, true)
  })
  void loadDevAccounts()
  const saved = savedChoice()
  if (saved !== null && saved.type !== 'eip6963') void connect(saved, false)
  render()
}
