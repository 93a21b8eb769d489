// What the page tells the script: the deployment, the page's own data, and the few strings
// the script shows, already translated (the server owns every string; see web/i18n.py).
// It arrives as a JSON block (<script type="application/json">), which the CSP allows
// because it is never executed.

export interface TokenInfo {
  symbol: string
  decimals: number
}

export interface PageConfig {
  page: string
  locale: string
  network: string
  chainId: number
  chainName: string
  escrow: `0x${string}`
  rpcUrl: string | null
  devAccounts: boolean
  chainNow: number
  tokens: Record<string, TokenInfo>
  strings: Record<string, string>
  data: Record<string, unknown>
}

let cached: PageConfig | null = null
const loadedAt = Date.now()

export function config(): PageConfig {
  if (cached === null) {
    const block = document.getElementById('microtask-config')
    if (block === null) throw new Error('the page has no #microtask-config block')
    cached = JSON.parse(block.textContent ?? '{}') as PageConfig
  }
  return cached
}

/** The chain's time now, as the verifier and the escrow will see it: the newest block's
 * time as the page saw it (plus the time since), or the wall clock when that block is
 * older (a chain that mines on demand keeps an old head while idle; its next block is
 * stamped with the wall clock). A development chain moved ahead stays ahead. */
export function chainNow(): number {
  const head = config().chainNow + Math.floor((Date.now() - loadedAt) / 1000)
  return Math.max(head, Math.floor(Date.now() / 1000))
}

/** A translated string, with {name} placeholders filled. */
export function t(key: string, values: Record<string, string | number> = {}): string {
  const text = config().strings[key] ?? key
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  )
}

/** A token amount (smallest units) in the token's units, formatted for the page's locale. */
export function formatAmount(amount: bigint, token: string): string {
  const info = config().tokens[token.toLowerCase()]
  const decimals = info?.decimals ?? 0
  const symbol = info?.symbol ?? `${token.slice(0, 6)}…`
  const unit = 10n ** BigInt(decimals)
  const whole = amount / unit
  const fraction = (amount % unit).toString().padStart(decimals, '0').replace(/0+$/, '')
  const locale = config().locale
  const wholeText = new Intl.NumberFormat(locale, { useGrouping: true }).format(whole)
  const separator = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.'
  return `${wholeText}${fraction ? separator + fraction : ''} ${symbol}`
}

/** Chain seconds as a date and time in the page's locale. */
export function formatTime(seconds: number): string {
  return new Intl.DateTimeFormat(config().locale, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(seconds * 1000),
  )
}
