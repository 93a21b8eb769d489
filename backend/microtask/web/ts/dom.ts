// Small DOM helpers: find elements, say things to screen readers, show errors in words.

export function $(selector: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector<HTMLElement>(selector)
}

export function must<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(selector)
  if (found === null) throw new Error(`the page has no ${selector}`)
  return found
}

/** Say ``message`` in the page's status region (role=status: read out politely). */
export function announce(message: string): void {
  const region = document.getElementById('status')
  if (region !== null) {
    region.textContent = ''
    region.textContent = message
  }
}

/** Show an error in the page's alert region (role=alert) and move focus there. */
export function showError(message: string): void {
  const region = document.getElementById('error')
  if (region === null) return
  region.hidden = false
  const text = region.querySelector<HTMLElement>('[data-error-text]') ?? region
  text.textContent = message
  region.focus()
}

export function clearError(): void {
  const region = document.getElementById('error')
  if (region !== null) region.hidden = true
}

/** Disable a button while ``work`` runs, so a second press cannot send twice. */
export async function busy<T>(button: HTMLButtonElement | null, work: () => Promise<T>): Promise<T> {
  if (button !== null) {
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
  }
  try {
    return await work()
  } finally {
    if (button !== null) {
      button.disabled = false
      button.removeAttribute('aria-busy')
    }
  }
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value)
  made.append(...children)
  return made
}
