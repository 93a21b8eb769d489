// One item's answer, read from the server-rendered form of its task kind and checked
// against the manifest's answer schema before anything is sealed (the same rules as
// manifests/answers.py `check_answer`, so the verifier never refuses what passed here).
import { t } from './config'
import { readFormAnswer } from './mturk'

interface Label {
  id: string
  text: string
}

interface Question {
  id: string
  prompt: string
  type: 'single_choice' | 'multiple_choice' | 'text' | 'number' | 'rating'
  options?: Label[]
  required?: boolean
  minimum?: number | null
  maximum?: number | null
  max_length?: number
}

export interface AnswerSchema {
  kind: string
  labels?: Label[]
  min_selected?: number
  max_selected?: number | null
  min_length?: number
  max_length?: number
  min_boxes?: number
  max_boxes?: number
  questions?: Question[]
  fields?: string[]
  allow_corrections?: boolean
}

export interface Problem {
  field: string
  message: string
}

export class AnswerInvalid extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => p.message).join('; '))
  }
}

function values(form: HTMLFormElement, name: string): string[] {
  return new FormData(form).getAll(name).map(String)
}

function value(form: HTMLFormElement, name: string): string {
  return values(form, name)[0] ?? ''
}

/** The id of the first control called ``name`` (error summaries link to it). */
function idOf(form: HTMLFormElement, name: string): string {
  return form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`)?.id ?? ''
}

function chars(text: string): number {
  return Array.from(text).length
}

/** The answer the form holds, or `AnswerInvalid` naming each field to fix. */
export function readAnswer(form: HTMLFormElement, schema: AnswerSchema): Record<string, unknown> {
  const problems: Problem[] = []
  const fail = (name: string, message: string) => problems.push({ field: idOf(form, name), message })
  let answer: Record<string, unknown>
  switch (schema.kind) {
    case 'classification': {
      const label = value(form, 'label')
      if (!label) fail('label', t('answer.choose_one'))
      answer = { kind: 'classification', label }
      break
    }
    case 'multi_label': {
      const labels = values(form, 'labels')
      const upper = schema.max_selected ?? schema.labels?.length ?? 0
      const lower = schema.min_selected ?? 0
      if (labels.length < lower || labels.length > upper) {
        fail('labels', t('answer.choose_between', { min: lower, max: upper }))
      }
      answer = { kind: 'multi_label', labels }
      break
    }
    case 'free_text': {
      const text = value(form, 'text')
      const lower = schema.min_length ?? 1
      const upper = schema.max_length ?? 2000
      if (chars(text) < lower || chars(text) > upper) fail('text', t('answer.text_length', { min: lower, max: upper }))
      answer = { kind: 'free_text', text }
      break
    }
    case 'transcription': {
      const text = value(form, 'text')
      const upper = schema.max_length ?? 10000
      if (chars(text) > upper) fail('text', t('answer.text_length', { min: 0, max: upper }))
      if (!text.trim()) fail('text', t('answer.write_something'))
      answer = { kind: 'transcription', text }
      break
    }
    case 'bounding_boxes': {
      const boxes = JSON.parse(value(form, 'boxes') || '[]') as unknown[]
      const lower = schema.min_boxes ?? 0
      const upper = schema.max_boxes ?? 100
      if (boxes.length < lower || boxes.length > upper) {
        problems.push({
          field: form.querySelector<HTMLElement>('[data-boxes-canvas]')?.id ?? '',
          message: t('answer.boxes_between', { min: lower, max: upper }),
        })
      }
      answer = { kind: 'bounding_boxes', boxes }
      break
    }
    case 'survey': {
      const responses: Record<string, unknown> = {}
      for (const question of schema.questions ?? []) {
        const name = `q:${question.id}`
        const given = values(form, name).filter((v) => v !== '')
        let response: unknown = null
        if (question.type === 'multiple_choice') response = given.length ? given : null
        else if (question.type === 'number' || question.type === 'rating') {
          response = given.length ? Number(given[0]) : null
          if (response !== null && !Number.isFinite(response)) {
            fail(name, t('answer.number', { question: question.prompt }))
            continue
          }
          const low = question.minimum ?? -Infinity
          const high = question.maximum ?? Infinity
          if (typeof response === 'number' && (response < low || response > high)) {
            fail(name, t('answer.number_range', { question: question.prompt, min: low, max: high }))
          }
        } else response = given[0] ?? null
        if (response === null) {
          if (question.required !== false) fail(name, t('answer.required', { question: question.prompt }))
          continue
        }
        responses[question.id] = response
      }
      answer = { kind: 'survey', responses }
      break
    }
    case 'data_check': {
      const verdict = value(form, 'verdict')
      if (!['valid', 'invalid', 'unsure'].includes(verdict)) fail('verdict', t('answer.choose_one'))
      const corrections: Record<string, string> = {}
      if (schema.allow_corrections !== false) {
        for (const name of schema.fields ?? []) {
          const corrected = value(form, `c:${name}`)
          if (corrected.trim()) corrections[name] = corrected
        }
      }
      answer = { kind: 'data_check', verdict, corrections }
      break
    }
    case 'form':
      answer = readFormAnswer(form, problems)
      break
    default:
      throw new Error(`no form for answers of kind ${schema.kind}`)
  }
  if (problems.length) throw new AnswerInvalid(problems)
  return answer
}

/** Everything typed in the form, to keep until the receipt arrives. */
export function formDraft(form: HTMLFormElement): Record<string, string[]> {
  const draft: Record<string, string[]> = {}
  for (const [name, entry] of new FormData(form)) (draft[name] ??= []).push(String(entry))
  return draft
}

export function restoreDraft(form: HTMLFormElement, draft: Record<string, string[]>): void {
  for (const control of Array.from(form.elements)) {
    if (!(control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement || control instanceof HTMLSelectElement)) {
      continue
    }
    const kept = draft[control.name]
    if (kept === undefined) continue
    if (control instanceof HTMLInputElement && (control.type === 'radio' || control.type === 'checkbox')) {
      control.checked = kept.includes(control.value)
    } else {
      control.value = kept[0] ?? ''
    }
    control.dispatchEvent(new Event('change', { bubbles: true }))
  }
}

/** Show the problems above the form, each linking to its field (GOV.UK's error summary). */
export function showProblems(form: HTMLFormElement, problems: Problem[]): void {
  const summary = form.querySelector<HTMLElement>('[data-error-summary]')
  if (summary === null) return
  const list = summary.querySelector('ul')
  list?.replaceChildren(
    ...problems.map((problem) => {
      const item = document.createElement('li')
      const link = document.createElement('a')
      link.href = `#${problem.field}`
      link.textContent = problem.message
      item.append(link)
      return item
    }),
  )
  summary.hidden = false
  summary.focus()
}

export function clearProblems(form: HTMLFormElement): void {
  const summary = form.querySelector<HTMLElement>('[data-error-summary]')
  if (summary !== null) summary.hidden = true
}

/** Number keys pick labels (1 is the first), as on Toloka and MTurk's classification HITs. */
export function numberKeys(form: HTMLFormElement): void {
  form.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement
    if (target.matches('textarea, input[type=text], input[type=number], select')) return
    if (event.altKey || event.ctrlKey || event.metaKey || !/^[1-9]$/.test(event.key)) return
    const choices = form.querySelectorAll<HTMLInputElement>('input[data-key]')
    const chosen = choices[Number(event.key) - 1]
    if (chosen === undefined) return
    event.preventDefault()
    if (chosen.type === 'checkbox') chosen.checked = !chosen.checked
    else chosen.checked = true
    chosen.focus()
    chosen.dispatchEvent(new Event('change', { bubbles: true }))
  })
}
