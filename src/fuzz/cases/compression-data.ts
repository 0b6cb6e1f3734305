/**
 * Payload data for categories 12 and 13, generated here (the suite ships
 * files; we make data of the same kinds): JSON records and HTML as UTF-8
 * text, prose sent as binary, an 8-bit image, and incompressible bytes.
 * A fixed seed makes every run send the same octets.
 */
export interface Dataset {
  binary: boolean;
  bytes: Buffer;
  /** Octet offset of each code point of text data, plus the end; null for binary data. */
  codePoints: Int32Array | null;
}

/** mulberry32: a small deterministic PRNG, good enough for test data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['der', 'die', 'das', 'und', 'nicht', 'Geist', 'Welt', 'habe', 'nun', 'ach', 'Philosophie', 'Juristerei', 'Medizin', 'leider', 'auch', 'Theologie', 'durchaus', 'studiert', 'mit', 'heißem', 'Bemühn', 'Da', 'steh', 'ich', 'armer', 'Tor', 'bin', 'so', 'klug', 'als', 'wie', 'zuvor', 'Mephistopheles', 'Faust', 'Gretchen', 'Straße', 'Nacht', 'über', 'Mühe', 'schön'];
const NAMES = ['Zoë', 'Ana', 'Łukasz', 'Søren', 'Mía', 'Kenji', 'Amara', 'José', 'Chloé', 'Dmitri', 'Ngozi', 'Björk'];
const CITIES = ['München', 'Kraków', 'São Paulo', 'Reykjavík', 'Zürich', 'Tokyo', 'Lagos', 'Québec'];

const MIN_CODE_POINTS = 150_000; // above the largest message (131072), as the suite's files are

function jsonText(next: () => number): string {
  const records: string[] = [];
  let size = 0;
  for (let id = 1; size < MIN_CODE_POINTS; id++) {
    const record = JSON.stringify({
      id,
      name: NAMES[Math.floor(next() * NAMES.length)],
      city: CITIES[Math.floor(next() * CITIES.length)],
      score: Math.round(next() * 100000) / 100,
      active: next() < 0.5,
      tags: Array.from({ length: 1 + Math.floor(next() * 4) }, () => WORDS[Math.floor(next() * WORDS.length)]),
      position: { lat: Math.round((next() * 180 - 90) * 1e4) / 1e4, lon: Math.round((next() * 360 - 180) * 1e4) / 1e4 },
    });
    records.push(record);
    size += record.length + 2;
  }
  return `[\n${records.join(',\n')}\n]\n`;
}

function prose(next: () => number): string {
  let text = '';
  while (text.length < MIN_CODE_POINTS) {
    const words = Array.from({ length: 4 + Math.floor(next() * 12) }, () => WORDS[Math.floor(next() * WORDS.length)]);
    text += `${words.join(' ')}${next() < 0.2 ? '!\n' : '.\n'}`;
  }
  return text;
}

function html(next: () => number): string {
  let body = '';
  while (body.length < MIN_CODE_POINTS) {
    const row = Array.from({ length: 5 }, () => `<td class="c${Math.floor(next() * 9)}">${WORDS[Math.floor(next() * WORDS.length)]} ${Math.floor(next() * 1000)}</td>`).join('');
    body += `  <tr id="r${body.length}">${row}</tr>\n`;
    if (next() < 0.05) body += `  <tr><th colspan="5"><a href="/page/${Math.floor(next() * 1e6)}">${CITIES[Math.floor(next() * CITIES.length)]}</a></th></tr>\n`;
  }
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Daten</title></head><body>\n<table>\n${body}</table>\n</body></html>\n`;
}

/** A 512×512 grayscale image: smooth gradients and circles with a little noise. */
function image(next: () => number): Buffer {
  const size = 512;
  const out = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - 256, y - 256);
      const value = 128 + 60 * Math.sin(r / 12) + 40 * Math.cos((x + 2 * y) / 40) + (next() - 0.5) * 16;
      out[y * size + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return out;
}

function noise(next: () => number): Buffer {
  const out = Buffer.alloc(200_000);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

function textDataset(text: string, binary: boolean): Dataset {
  const bytes = Buffer.from(text, 'utf8');
  if (binary) return { binary, bytes, codePoints: null };
  const offsets: number[] = [];
  let at = 0;
  for (const char of text) {
    offsets.push(at);
    at += Buffer.byteLength(char, 'utf8');
  }
  offsets.push(at);
  return { binary, bytes, codePoints: Int32Array.from(offsets) };
}

/** Sub-category titles of 12.1 to 12.5, in the order of `datasets()`. */
export const DATASET_TITLES = [
  'JSON records, generated (UTF-8 text)',
  'A 512x512 8-bit grayscale image, generated (binary)',
  'German-like prose, generated (sent as binary)',
  'HTML markup, generated (UTF-8 text)',
  'Random octets, incompressible (binary)',
];

/** Which of the five datasets go out as binary messages, known before any is made. */
export const DATASET_BINARY = [false, true, true, false, true];

let cache: Dataset[] | null = null;

/** The five datasets of category 12, in order; the first is also category 13's. Made on first use. */
export function datasets(): Dataset[] {
  if (cache === null) {
    const next = random(6455);
    cache = [
      textDataset(jsonText(next), DATASET_BINARY[0]),
      { binary: DATASET_BINARY[1], bytes: image(next), codePoints: null },
      textDataset(prose(next), DATASET_BINARY[2]),
      textDataset(html(next), DATASET_BINARY[3]),
      { binary: DATASET_BINARY[4], bytes: noise(next), codePoints: null },
    ];
  }
  return cache;
}

/** Units in a dataset: code points for text, octets for binary (the suite slices text by characters). */
export const unitCount = (data: Dataset): number => (data.codePoints === null ? data.bytes.length : data.codePoints.length - 1);

/** The octets of `length` units from unit `from`, wrapping around the end. */
export function slice(data: Dataset, from: number, length: number): Buffer {
  const units = unitCount(data);
  const to = (from + length) % units;
  const at = (unit: number) => (data.codePoints === null ? unit : data.codePoints[unit]);
  if (length === 0) return Buffer.alloc(0);
  return to > from ? data.bytes.subarray(at(from), at(to)) : Buffer.concat([data.bytes.subarray(at(from)), data.bytes.subarray(0, at(to))]);
}
