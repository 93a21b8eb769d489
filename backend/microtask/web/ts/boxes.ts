// Drawing labelled boxes on an image, three ways (WCAG 2.5.7: dragging is never the only
// way): drag with the pointer; click one corner, then the opposite one; or with the
// keyboard, move the cross with the arrow keys (Shift: ten steps) and press Enter at each
// corner. Coordinates are fractions of the image's width and height, as the answer schema
// says. The boxes live in a hidden input named "boxes" (JSON), so drafts keep them.
import { announce } from './dom'
import { t } from './config'

interface Box {
  label: string
  x: number
  y: number
  width: number
  height: number
}

const STEP = 0.01

function round(value: number): number {
  return Math.round(value * 10000) / 10000
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value))
}

export function setUpBoxes(root: HTMLElement): void {
  const canvas = root.querySelector<HTMLElement>('[data-boxes-canvas]')
  const input = root.querySelector<HTMLInputElement>('input[name="boxes"]')
  const list = root.querySelector<HTMLElement>('[data-boxes-list]')
  if (canvas === null || input === null || list === null) return
  const cursor = document.createElement('div')
  cursor.className = 'boxes-cursor'
  cursor.hidden = true
  const pendingMark = document.createElement('div')
  pendingMark.className = 'boxes-pending'
  pendingMark.hidden = true
  canvas.append(cursor, pendingMark)
  let boxes: Box[] = JSON.parse(input.value || '[]') as Box[]
  let pending: [number, number] | null = null
  let position: [number, number] = [0.5, 0.5]
  let down: [number, number] | null = null

  const label = (): string =>
    root.querySelector<HTMLInputElement>('input[name="box-label"]:checked')?.value ??
    root.querySelector<HTMLInputElement>('input[name="box-label"]')?.value ??
    ''
  const labelText = (id: string): string =>
    root.querySelector<HTMLElement>(`[data-label-text="${CSS.escape(id)}"]`)?.textContent ?? id

  function place(element: HTMLElement, x: number, y: number, width = 0, height = 0): void {
    element.style.left = `${x * 100}%`
    element.style.top = `${y * 100}%`
    if (width || height) {
      element.style.width = `${width * 100}%`
      element.style.height = `${height * 100}%`
    }
  }

  function draw(): void {
    input!.value = JSON.stringify(boxes)
    input!.dispatchEvent(new Event('change', { bubbles: true }))
    canvas!.querySelectorAll('.boxes-box').forEach((old) => old.remove())
    list!.replaceChildren()
    boxes.forEach((box, index) => {
      const shown = document.createElement('div')
      shown.className = 'boxes-box'
      place(shown, box.x, box.y, box.width, box.height)
      shown.textContent = String(index + 1)
      canvas!.append(shown)
      const item = document.createElement('li')
      const words = t('boxes.box', {
        number: index + 1,
        label: labelText(box.label),
        x: Math.round(box.x * 100),
        y: Math.round(box.y * 100),
        width: Math.round(box.width * 100),
        height: Math.round(box.height * 100),
      })
      const remove = document.createElement('button')
      remove.type = 'button'
      remove.className = 'secondary'
      remove.textContent = t('boxes.remove')
      remove.setAttribute('aria-label', t('boxes.remove_box', { number: index + 1 }))
      remove.addEventListener('click', () => {
        boxes = boxes.filter((_, i) => i !== index)
        draw()
        announce(t('boxes.removed', { number: index + 1 }))
        canvas!.focus()
      })
      item.append(words, ' ', remove)
      list!.append(item)
    })
  }

  function corner(x: number, y: number): void {
    if (pending === null) {
      pending = [x, y]
      pendingMark.hidden = false
      place(pendingMark, x, y)
      announce(t('boxes.first_corner', { x: Math.round(x * 100), y: Math.round(y * 100) }))
      return
    }
    const [px, py] = pending
    pending = null
    pendingMark.hidden = true
    const left = Math.min(px, x)
    const top = Math.min(py, y)
    const width = round(Math.abs(x - px))
    const height = round(Math.abs(y - py))
    if (width <= 0 || height <= 0) {
      announce(t('boxes.too_small'))
      return
    }
    boxes = [...boxes, { label: label(), x: round(left), y: round(top), width: Math.min(width, round(1 - left)), height: Math.min(height, round(1 - top)) }]
    draw()
    announce(t('boxes.added', { number: boxes.length, label: labelText(label()) }))
  }

  function fraction(event: PointerEvent): [number, number] {
    const rect = canvas!.getBoundingClientRect()
    return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)]
  }

  canvas.addEventListener('pointerdown', (event) => {
    down = fraction(event)
    canvas.setPointerCapture(event.pointerId)
  })
  canvas.addEventListener('pointerup', (event) => {
    const start = down
    down = null
    if (start === null) return
    const end = fraction(event)
    if (Math.abs(end[0] - start[0]) > STEP && Math.abs(end[1] - start[1]) > STEP && pending === null) {
      corner(start[0], start[1])
      corner(end[0], end[1])
    } else {
      corner(end[0], end[1])
    }
  })
  canvas.addEventListener('focus', () => {
    cursor.hidden = false
    place(cursor, position[0], position[1])
  })
  canvas.addEventListener('blur', () => {
    cursor.hidden = true
  })
  canvas.addEventListener('keydown', (event) => {
    const step = event.shiftKey ? STEP * 10 : STEP
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    }
    const move = moves[event.key]
    if (move !== undefined) {
      event.preventDefault()
      position = [round(clamp(position[0] + move[0])), round(clamp(position[1] + move[1]))]
      place(cursor, position[0], position[1])
      const shown = root.querySelector<HTMLElement>('[data-boxes-position]')
      if (shown !== null) {
        shown.textContent = t('boxes.position', { x: Math.round(position[0] * 100), y: Math.round(position[1] * 100) })
      }
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      corner(position[0], position[1])
    } else if (event.key === 'Escape' && pending !== null) {
      pending = null
      pendingMark.hidden = true
      announce(t('boxes.cancelled'))
    }
  })
  draw()
}
