// Put first in an HTMLQuestion's document (web/pages/mturk.py): the requester's form is
// never posted anywhere; its fields go to the task page around this sandboxed frame, which
// seals them and has the worker's wallet sign. A form submitted by its button, by
// requestSubmit() or by submit(), and Crowd HTML Elements' <crowd-form> (whose answers
// MTurk gave as one FreeText field, taskAnswers: a JSON list of one object), all arrive the
// same way. The script has no powers the requester's own script lacks: the frame's origin
// is opaque, so everything it can do is post a message, which the page checks.
;(() => {
  const label = (document.currentScript && document.currentScript.dataset.submitLabel) || 'Submit'
  const GROUP = '__crowd_group_'
  const post = (fields) => window.parent.postMessage({ type: 'microtask:mturk-submit', fields }, '*')

  function crowdAnswers(form) {
    const answers = {}
    for (const field of form.querySelectorAll('[data-crowd-name]')) {
      const name = field.dataset.crowdName
      if (name) answers[name] = field.type === 'checkbox' || field.type === 'radio' ? { on: field.checked } : field.value
    }
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string' && name !== 'assignmentId' && !name.startsWith(GROUP)) answers[name] = value
    }
    return [{ name: 'taskAnswers', text: JSON.stringify([answers]) }]
  }

  function send(form) {
    if (form.hasAttribute('data-crowd-form')) {
      post(crowdAnswers(form))
      return
    }
    const fields = []
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string' && name !== 'assignmentId') fields.push({ name, text: value })
    }
    post(fields)
  }

  // The page's own handlers run first: a submission they cancel is not sent.
  window.addEventListener('submit', (event) => {
    if (event.defaultPrevented) return
    event.preventDefault()
    send(event.target)
  })
  HTMLFormElement.prototype.submit = function submit() {
    send(this)
  }

  function control(element, tag) {
    const field = document.createElement(tag)
    const name = element.getAttribute('name') || ''
    field.dataset.crowdName = name
    const text = element.getAttribute('label') || element.getAttribute('placeholder') || element.textContent.trim() || name
    element.replaceChildren()
    if (tag === 'input') field.type = element.getAttribute('type') || 'text'
    if (field.type !== 'checkbox' && field.type !== 'radio') {
      field.placeholder = element.getAttribute('placeholder') || ''
      field.value = element.getAttribute('value') || ''
    } else {
      field.checked = element.hasAttribute('checked')
    }
    field.required = element.hasAttribute('required')
    const wrapper = document.createElement('label')
    wrapper.append(text, ' ', field)
    element.append(wrapper)
  }

  // <crowd-form> and its elements, drawn with plain controls (MTurk loaded them from
  // assets.crowd.aws, which a moved task no longer can).
  function crowd() {
    for (const element of document.querySelectorAll('crowd-form')) {
      const form = document.createElement('form')
      form.setAttribute('data-crowd-form', '')
      while (element.firstChild) form.append(element.firstChild)
      element.append(form)
      for (const input of form.querySelectorAll('crowd-input')) control(input, 'input')
      for (const area of form.querySelectorAll('crowd-text-area')) control(area, 'textarea')
      for (const box of form.querySelectorAll('crowd-checkbox')) {
        box.setAttribute('type', 'checkbox')
        control(box, 'input')
      }
      form.querySelectorAll('crowd-radio-group').forEach((group, index) => {
        for (const radio of group.querySelectorAll('crowd-radio-button')) {
          radio.setAttribute('type', 'radio')
          control(radio, 'input')
          radio.querySelector('input').name = `${GROUP}${index}`
        }
      })
      for (const button of form.querySelectorAll('crowd-button')) {
        const real = document.createElement('button')
        real.type = button.getAttribute('form-action') === 'submit' ? 'submit' : 'button'
        real.textContent = button.textContent
        button.replaceWith(real)
      }
      if (!form.querySelector('button[type=submit], input[type=submit]')) {
        const submit = document.createElement('button')
        submit.type = 'submit'
        submit.textContent = label
        form.append(submit)
      }
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', crowd)
  else crowd()
})()
