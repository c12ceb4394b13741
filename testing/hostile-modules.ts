import { encodeUnsignedLeb128 } from '../libs/analysis/index.js';

/**
 * Valid modules a hostile publisher could send to make the analysis report,
 * and all derived from it, huge (issue 11): each is built byte by byte, fast
 * enough for tests at full size. V8 accepts all three.
 */

const HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const leb128 = (value: number): Buffer => Buffer.from(encodeUnsignedLeb128(value));
const name = (text: string | Buffer): Buffer => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([leb128(bytes.length), bytes]);
};
const section = (id: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([id]), leb128(payload.length), payload]);

/** One function that returns nothing, so that the module has code (and is not refused as empty). */
const ONE_FUNCTION = Buffer.concat([
  section(1, Buffer.from([0x01, 0x60, 0x00, 0x00])), // type 0: () -> ()
  section(3, Buffer.from([0x01, 0x00])), // one function of type 0
  section(10, Buffer.from([0x01, 0x02, 0x00, 0x0b])), // its body: no locals, end
]);

/**
 * A module whose `producers` section names one language whose name is
 * `languageLength` bytes of "a" (the issue: a 20 MiB module, a 20 MiB string).
 */
export function producersBombModule(languageLength: number): Buffer {
  const payload = Buffer.concat([name('producers'), leb128(1), name('language'), leb128(1), name(Buffer.alloc(languageLength, 0x61)), name('1.0')]);
  return Buffer.concat([HEADER, ONE_FUNCTION, section(0, payload)]);
}

/** A module with `count` empty custom sections named "x", 4 bytes each (the issue: 1,000,000 in 4 MB). */
export function customSectionFloodModule(count: number): Buffer {
  const one = section(0, name('x'));
  return Buffer.concat([HEADER, ONE_FUNCTION, Buffer.alloc(count * one.length).fill(one)]);
}

/**
 * A Proxy-Wasm-looking module importing `count` functions `env.proxy_made_up_<n>`
 * no host provides, so each is an unknown import (the issue: 100,000 imports
 * in 1.6 MB gave a 7 MB report; with proxy_ names each also made a finding).
 */
export function manyImportsModule(count: number): Buffer {
  const entries: Buffer[] = [leb128(count)];
  for (let i = 0; i < count; i++) entries.push(name('env'), name(`proxy_made_up_${i}`), Buffer.from([0x00, 0x00]));
  const types = section(1, Buffer.from([0x01, 0x60, 0x00, 0x00]));
  const functions = section(3, Buffer.from([0x01, 0x00]));
  const code = section(10, Buffer.from([0x01, 0x02, 0x00, 0x0b]));
  return Buffer.concat([HEADER, types, section(2, Buffer.concat(entries)), functions, code]);
}

/** The smallest valid module: the 8-byte header alone, no code at all. */
export const EMPTY_MODULE = HEADER;
