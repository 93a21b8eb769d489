// The task list: filters are a plain GET form (htmx swaps the list in place, and the page
// works without the script); the list follows the escrow's live feed (/events), refreshed
// a moment after the last change so a burst of events costs one request.
import htmx from 'htmx.org'
import { config, t } from '../config'
import { $, announce } from '../dom'

const SETTLE_MS = 700

export function setUp(): void {
  const list = $('#task-list')
  const form = $('#filters') as HTMLFormElement | null
  if (list === null || form === null || typeof EventSource === 'undefined') return
  const names = (config().data.events ?? []) as string[]
  const feed = new EventSource('/events')
  let pending: number | undefined
  const refresh = () => {
    window.clearTimeout(pending)
    pending = window.setTimeout(() => {
      const query = new URLSearchParams(new FormData(form) as unknown as Record<string, string>).toString()
      void htmx.ajax('get', `/?${query}`, { target: '#task-list', swap: 'outerHTML', select: '#task-list' }).then(() => {
        announce(t('tasks.updated'))
      })
    }, SETTLE_MS)
  }
  for (const name of names) feed.addEventListener(name, refresh)
  feed.addEventListener('reorg', refresh)
  window.addEventListener('pagehide', () => feed.close())
  document.addEventListener('microtask:wallet', refresh)
}
