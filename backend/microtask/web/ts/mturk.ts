// MTurk HITs in the task page (web/pages/mturk.py): the requester's page in its sandboxed
// frame hands its form's fields over (an HTMLQuestion by postMessage from the script the
// server put in it; an ExternalQuestion through the service worker /mturk/sw.js, which
// takes its post to turkSubmitTo/mturk/externalSubmit), and a QuestionForm is read from
// the page's own controls. The fields then go the way of every answer: the task page
// checks, seals, has the wallet sign and hands them in (pages/task.ts).
import type { Problem } from './answers'
import { t } from './config'
import { $, announce } from './dom'

const CHANNEL = 'microtask-mturk'
const MAX_FIELDS = 500
const MAX_TEXT = 100_000

export interface FormField {
  name: string
  text?: string
  selections?: string[]
}

/** The fields a message brings, or null when it is not a well-formed submission. */
function fieldsOf(message: unknown): FormField[] | null {
  if (typeof message !== 'object' || message === null) return null
  const { type, fields } = message as { type?: unknown; fields?: unknown }
  if (type !== 'microtask:mturk-submit' || !Array.isArray(fields) || fields.length > MAX_FIELDS) return null
  const found: FormField[] = []
  for (const field of fields as unknown[]) {
    const { name, text } = (field ?? {}) as { name?: unknown; text?: unknown }
    if (typeof name !== 'string' || !name || name.length > 256 || typeof text !== 'string' || text.length > MAX_TEXT) return null
    found.push({ name, text })
  }
  return found
}

/** The frame of the slot the worker holds (not the preview's). */
function held(): HTMLIFrameElement | null {
  return $('iframe[data-mturk-frame]') as HTMLIFrameElement | null
}

/** Keep the fields in the answer form and hand them in as the Hand in button does (not
 * while a hand-in runs: a page that submits again and again gets one wallet request). */
function handIn(fields: FormField[]): void {
  const kept = $('#mturk-fields') as HTMLInputElement | null
  const form = $('#answer-form') as HTMLFormElement | null
  const button = $('#hand-in') as HTMLButtonElement | null
  if (kept === null || form === null || button === null || button.disabled) return
  kept.value = JSON.stringify(fields)
  announce(t('mturk.received'))
  form.requestSubmit(button)
}

async function serviceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return
  const registration = await navigator.serviceWorker.register('/mturk/sw.js', { scope: '/mturk/' })
  const worker = registration.installing ?? registration.waiting ?? registration.active
  if (worker === null || worker.state === 'activated') return
  await new Promise<void>((done) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated' || worker.state === 'redundant') done()
    })
  })
}

let ready: Promise<void> = Promise.resolve()

/** An external page's frame loads only once the service worker can take its post. */
export async function showFrames(): Promise<void> {
  const frame = held()
  if (frame === null) return
  if (frame.dataset.src) {
    await ready
    frame.src = frame.dataset.src
  }
}

export function setUp(): void {
  if ($('#mturk-preview[data-mturk-format=external]') !== null) ready = serviceWorker().catch(() => undefined)
  window.addEventListener('message', (event) => {
    const frame = held()
    if (frame === null || event.source !== frame.contentWindow || frame.dataset.external !== undefined) return
    const fields = fieldsOf(event.data)
    if (fields !== null) handIn(fields)
  })
  if (typeof BroadcastChannel === 'undefined') return
  new BroadcastChannel(CHANNEL).addEventListener('message', (event) => {
    const frame = held()
    const data = event.data as { assignmentId?: unknown } | null
    if (frame === null || frame.dataset.external === undefined || data?.assignmentId !== frame.dataset.assignmentId) return
    const fields = fieldsOf(event.data)
    if (fields !== null) handIn(fields)
  })
}

function values(form: HTMLFormElement, name: string): string[] {
  return new FormData(form)
    .getAll(name)
    .map(String)
    .filter((v) => v !== '')
}

/** A form task's answer: the fields the frame handed over, or the QuestionForm's controls. */
export function readFormAnswer(form: HTMLFormElement, problems: Problem[]): Record<string, unknown> {
  const kept = form.querySelector<HTMLInputElement>('#mturk-fields')
  if (kept !== null) {
    if (!kept.value) problems.push({ field: held()?.id ?? '', message: t('mturk.use_form') })
    return { kind: 'form', fields: kept.value ? (JSON.parse(kept.value) as FormField[]) : [] }
  }
  const fields: FormField[] = []
  for (const question of Array.from(form.querySelectorAll<HTMLElement>('[data-question]'))) {
    const id = question.dataset.question!
    const label = question.querySelector('legend, label')?.firstChild?.textContent?.trim() ?? id
    const control = question.querySelector<HTMLElement>('input, textarea')?.id ?? ''
    const required = question.dataset.required !== undefined
    if (question.dataset.kind === 'text') {
      const [text] = values(form, `qf:${id}`)
      if (text !== undefined) fields.push({ name: id, text })
      else if (required) problems.push({ field: control, message: t('answer.required', { question: label }) })
      continue
    }
    const [other] = values(form, `qf-other:${id}`)
    const chosen = values(form, `qf:${id}`)
    const [min, max] = [Number(question.dataset.min), Number(question.dataset.max)]
    if (other !== undefined) fields.push({ name: id, text: other })
    else if (chosen.length === 0 && required) problems.push({ field: control, message: t('answer.required', { question: label }) })
    else if (chosen.length > 0 && (chosen.length < min || chosen.length > max)) {
      problems.push({ field: control, message: t('mturk.choose_between', { question: label, min, max }) })
    } else if (chosen.length > 0) fields.push({ name: id, selections: chosen })
  }
  return { kind: 'form', fields }
}
