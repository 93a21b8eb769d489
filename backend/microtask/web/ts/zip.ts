// ZIP archives of stored (uncompressed) files: enough to hand the CLI its receipt files
// and take them back, with no library. Each entry carries its CRC-32 as the format asks.
import { concat, utf8 } from './bytes'

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function le(size: 2 | 4, value: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (value >>> (8 * i)) & 0xff
  return out
}

export function zip(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  for (const file of files) {
    const name = utf8(file.name)
    const crc = crc32(file.data)
    const common = concat(
      le(2, 20), le(2, 0x0800), le(2, 0), le(2, 0), le(2, 0x21),
      le(4, crc), le(4, file.data.length), le(4, file.data.length), le(2, name.length), le(2, 0),
    )
    const local = concat(le(4, 0x04034b50), common, name, file.data)
    centrals.push(concat(le(4, 0x02014b50), le(2, 20), common, le(2, 0), le(2, 0), le(2, 0), le(4, 0), le(4, offset), name))
    locals.push(local)
    offset += local.length
  }
  const central = concat(...centrals)
  const end = concat(
    le(4, 0x06054b50), le(2, 0), le(2, 0), le(2, files.length), le(2, files.length),
    le(4, central.length), le(4, offset), le(2, 0),
  )
  return concat(...locals, central, end)
}

/** The files of a ZIP whose entries are stored (as `zip` writes); others are refused. */
export function unzip(archive: Uint8Array): { name: string; data: Uint8Array }[] {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength)
  const files: { name: string; data: Uint8Array }[] = []
  let offset = 0
  while (offset + 30 <= archive.length && view.getUint32(offset, true) === 0x04034b50) {
    const method = view.getUint16(offset + 8, true)
    const size = view.getUint32(offset + 18, true)
    const nameLength = view.getUint16(offset + 26, true)
    const extra = view.getUint16(offset + 28, true)
    const name = new TextDecoder().decode(archive.slice(offset + 30, offset + 30 + nameLength))
    const start = offset + 30 + nameLength + extra
    if (method !== 0) throw new Error(`${name} is compressed; import the .json files instead`)
    files.push({ name, data: archive.slice(start, start + size) })
    offset = start + size
  }
  return files
}
