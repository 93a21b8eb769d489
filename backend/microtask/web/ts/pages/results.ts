// Results: unlock the requester's reading key (one signature), open the published result
// set in the browser, show it with each item's confidence, and save it as CSV, JSON Lines
// or Label Studio's import format (tasks with the aggregate as a scored prediction).
import { getJson } from '../api'
import { config, t } from '../config'
import { announce, busy, clearError, element, must, showError } from '../dom'
import { unlockKey } from '../requester_key'
import { NotARecipient, type SealedResultSet, openResults } from '../unseal'
import { WalletError, requireWallet, walletMessage } from '../wallet'

interface Row {
  item_id: string
  value: string
  answer: Record<string, unknown> | null
  confidence: number | null
  method: string | null
  answers: number
  agreeing: number
  status: string
}

let opened: { jsonl: string; csv: string; rows: Row[] } | null = null

/** Label Studio tasks: each item's data, the aggregate as a prediction scored by its confidence. */
export function labelStudioTasks(rows: Row[], items: Record<string, Record<string, unknown>>, kind: string | null): unknown[] {
  return rows.map((row) => {
    const data = { item_id: row.item_id, ...(items[row.item_id] ?? {}) }
    const answer = row.answer ?? {}
    let result: unknown[] = []
    if (row.answer !== null && (kind === 'classification' || kind === 'multi_label')) {
      const labels = 'label' in answer ? [answer.label] : 'labels' in answer ? (answer.labels as unknown[]) : []
      result = [{ from_name: 'label', to_name: 'text', type: 'choices', value: { choices: labels } }]
    } else if (row.answer !== null && row.value) {
      result = [{ from_name: 'answer', to_name: 'text', type: 'textarea', value: { text: [row.value] } }]
    }
    const prediction = { model_version: `microtask ${row.method ?? 'aggregate'}`, score: row.confidence ?? 0, result }
    return { data, predictions: row.answer === null ? [] : [prediction] }
  })
}

function save(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = element('a', { href: url, download: name })
  document.body.append(link)
  link.click()
  link.remove()
  URL.revokeObjectURL(url)
}

function render(rows: Row[]): void {
  const body = must('#results-rows')
  const percent = new Intl.NumberFormat(config().locale, { style: 'percent', maximumFractionDigits: 1 })
  body.replaceChildren(
    ...rows.map((row) =>
      element(
        'tr',
        { 'data-item': row.item_id },
        element('th', { scope: 'row', dir: 'auto' }, row.item_id),
        element('td', { dir: 'auto', 'data-value': '' }, row.value),
        element('td', { 'data-confidence': String(row.confidence ?? '') }, row.confidence === null ? '—' : percent.format(row.confidence)),
        element('td', {}, String(row.answers)),
        element('td', {}, String(row.agreeing)),
        element('td', {}, t(`results.status_${row.status}`)),
      ),
    ),
  )
}

async function read(button: HTMLButtonElement): Promise<void> {
  clearError()
  const taskId = Number(config().data.taskId)
  try {
    const connection = requireWallet()
    await busy(button, async () => {
      announce(t('results.signing'))
      const key = await unlockKey(connection.provider, config().chainId, config().escrow, connection.address)
      const summary = await getJson<{ cid: string }>(`/tasks/${taskId}/results`)
      const sealed = await getJson<SealedResultSet>(`/content/${summary.cid}`)
      if (sealed.task_id !== taskId || sealed.escrow.toLowerCase() !== config().escrow.toLowerCase()) {
        throw new WalletError(t('results.not_this_task'))
      }
      const { jsonl, csv } = openResults(sealed, key)
      const rows = jsonl
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Row)
      opened = { jsonl, csv, rows }
      render(rows)
    })
    must('#results').hidden = false
    const note = t('results.opened', { count: opened?.rows.length ?? 0 })
    must('#results-note').textContent = note
    announce(note)
  } catch (error) {
    if (error instanceof NotARecipient) showError(t('results.other_key'))
    else showError(error instanceof Error && !(error as { code?: unknown }).code ? error.message : walletMessage(error))
  }
}

export function setUp(): void {
  const button = document.getElementById('read-results') as HTMLButtonElement | null
  button?.addEventListener('click', () => void read(button))
  for (const target of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-download]'))) {
    target.addEventListener('click', () => {
      if (opened === null) return
      const task = String(config().data.taskId)
      const kind = target.dataset.download
      if (kind === 'csv') save(`task-${task}-results.csv`, opened.csv, 'text/csv')
      else if (kind === 'jsonl') save(`task-${task}-results.jsonl`, opened.jsonl, 'application/jsonl')
      else {
        const items = (config().data.items ?? {}) as Record<string, Record<string, unknown>>
        const tasks = labelStudioTasks(opened.rows, items, (config().data.kind as string | null) ?? null)
        save(`task-${task}-label-studio.json`, JSON.stringify(tasks, null, 2), 'application/json')
      }
    })
  }
}
