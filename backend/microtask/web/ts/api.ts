// Calls to the platform's HTTP API, same origin. A refusal is an RFC 9457 problem: its
// `detail` is what the person reads, so it becomes the error's message.

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail)
  }
}

async function answer<T>(response: Response): Promise<T> {
  if (response.ok) return (await response.json()) as T
  let title = response.statusText
  let detail = `${response.status} ${response.statusText}`
  try {
    const problem = (await response.json()) as { title?: string; detail?: string }
    title = problem.title ?? title
    detail = problem.detail ?? problem.title ?? detail
  } catch {
    // not a problem document: keep the status line
  }
  throw new ProblemError(response.status, title, detail)
}

export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { Accept: 'application/json' } }))
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
}

/** Upload bytes to the content store; the CID it answers. */
export async function upload(bytes: Uint8Array, json: boolean): Promise<string> {
  const created = await answer<{ cid: string }>(
    await fetch('/content', {
      method: 'POST',
      headers: { 'Content-Type': json ? 'application/json' : 'application/octet-stream' },
      body: bytes as BodyInit,
    }),
  )
  return created.cid
}
