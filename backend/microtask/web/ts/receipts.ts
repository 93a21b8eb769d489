// The worker's slots and receipts, kept in this browser's IndexedDB: one record per slot,
// in the very shape the CLI keeps as DATA_DIR/receipts/<network>/<escrow>/<worker>/
// task-T-slot-S.json, so "download my receipts" gives files `microtask work enforce` reads
// and "import receipts" takes the CLI's files back. A receipt is the worker's claim on the
// escrow: it survives reloads, and losing contact with the verifier loses nothing.
import { config } from './config'
import { type ReceiptJson } from './typed'

/** What the CLI keeps for one gasless slot. */
export interface SlotRecord {
  task_id: number
  slot: number
  item_index?: number
  item_id?: string
  worker: string
  reserved_at?: number
  lease_end?: number
  replayed?: boolean
  request?: Record<string, unknown>
  receipt?: ReceiptJson
}

interface Stored {
  key: string
  owner: string
  record: SlotRecord
}

const DB = 'microtask'
const STORE = 'slots'

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1)
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'key' })
      store.createIndex('owner', 'owner')
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function owner(worker: string): string {
  const { chainId, escrow } = config()
  return `${chainId}/${escrow.toLowerCase()}/${worker.toLowerCase()}`
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
  return (await open()).transaction(STORE, mode).objectStore(STORE)
}

export async function saveRecord(record: SlotRecord): Promise<void> {
  const key = `${owner(record.worker)}/${record.task_id}/${record.slot}`
  await done((await store('readwrite')).put({ key, owner: owner(record.worker), record } satisfies Stored))
}

export async function loadRecord(worker: string, taskId: number, slot: number): Promise<SlotRecord | null> {
  const found = (await done((await store('readonly')).get(`${owner(worker)}/${taskId}/${slot}`))) as Stored | undefined
  return found?.record ?? null
}

export async function records(worker: string): Promise<SlotRecord[]> {
  const all = (await done((await store('readonly')).index('owner').getAll(owner(worker)))) as Stored[]
  return all.map((s) => s.record).sort((a, b) => a.task_id - b.task_id || a.slot - b.slot)
}

/** The file name and JSON the CLI uses for a record (sorted keys, two-space indent). */
export function cliFile(record: SlotRecord): { name: string; text: string } {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, v]) => [k, sorted(v)]),
          )
        : value
  const { network, escrow } = config()
  return {
    name: `receipts/${network}/${escrow.toLowerCase()}/${record.worker.toLowerCase()}/task-${record.task_id}-slot-${record.slot}.json`,
    text: `${JSON.stringify(sorted(record), null, 2)}\n`,
  }
}

/** A record from a CLI file, or an error naming what is missing. */
export function parseRecord(text: string): SlotRecord {
  const data = JSON.parse(text) as Partial<SlotRecord>
  if (typeof data.task_id !== 'number' || typeof data.slot !== 'number' || typeof data.worker !== 'string') {
    throw new Error('not a receipt file: task_id, slot and worker are missing')
  }
  return data as SlotRecord
}

// Answers typed but not yet receipted: kept until the receipt arrives, so nothing a worker
// typed is lost to an error or a reload.
const DRAFTS = 'microtask.drafts'

function drafts(): Record<string, unknown> {
  try {
    return JSON.parse(localStorage.getItem(DRAFTS) ?? '{}') as Record<string, unknown>
  } catch {
    return {}
  }
}

export function saveDraft(key: string, value: unknown): void {
  localStorage.setItem(DRAFTS, JSON.stringify({ ...drafts(), [key]: value }))
}

export function loadDraft(key: string): unknown {
  return drafts()[key] ?? null
}

export function dropDraft(key: string): void {
  const all = drafts()
  delete all[key]
  localStorage.setItem(DRAFTS, JSON.stringify(all))
}
