// The little DER that pki-init writes per leaf, by hand: a TLV reader for what it takes apart
// (a reference leaf, an EC key's SEC1 export) and a writer for what it puts together. asn1js
// builds an object per node and encodes it twice (size, then bytes); for 200 leaves that, and
// its garbage, was most of pki-init's main-thread time. The leaf-template and ec-key-der tests
// keep the output byte-identical to @peculiar/x509's and node:crypto's own.

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  sequence: 0x30,
  set: 0x31,
} as const;

/** One element: its tag, where its content starts and where it ends (header included before). */
export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** The element at `pos` (single-byte tags, definite lengths: DER). */
export function readTlv(der: Uint8Array, pos: number): Tlv {
  const tag = der[pos]!;
  let len = der[pos + 1]!;
  let contentStart = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("DER: unsupported length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[contentStart + i]!;
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > der.length) throw new Error("DER: element runs past its buffer");
  return { tag, start: pos, contentStart, end };
}

/** The elements inside a constructed one. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.contentStart; pos < parent.end;) {
    const child = readTlv(der, pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export const bytesOf = (der: Uint8Array, t: Tlv) => der.subarray(t.start, t.end);
export const contentOf = (der: Uint8Array, t: Tlv) => der.subarray(t.contentStart, t.end);

function header(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [tag, 0x80 | bytes.length, ...bytes];
}

/** An element of `tag` around the parts, in order. */
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const head = header(tag, length);
  const out = Buffer.allocUnsafe(head.length + length);
  out.set(head, 0);
  let pos = head.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export const sequence = (...parts: Uint8Array[]) => tlv(TAG.sequence, ...parts);

/** A non-negative INTEGER from big-endian bytes, in its minimal DER form. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let from = 0;
  while (from < bytes.length - 1 && bytes[from] === 0 && bytes[from + 1]! < 0x80) from++;
  const body = bytes.subarray(from);
  return body[0]! & 0x80 ? tlv(TAG.integer, Uint8Array.of(0), body) : tlv(TAG.integer, body);
}

/** A BIT STRING of whole bytes. */
export const bitString = (bytes: Uint8Array) => tlv(TAG.bitString, Uint8Array.of(0), bytes);

/** An IP address as a SAN's iPAddress carries it: 4 or 16 bytes. */
export function ipBytes(ip: string): Uint8Array {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return Uint8Array.from(ip.split(".").map(octet));
  let text = ip;
  let tail: number[] = [];
  // An IPv4 tail (::ffff:10.0.0.1) is its last 4 bytes.
  const dotted = /^(.*:)(\d{1,3}(\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    tail = dotted[2]!.split(".").map(octet);
    text = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const groupsWanted = 8 - tail.length / 2;
  const halves = text.split("::");
  if (halves.length > 2) throw new Error(`not an IP address: ${ip}`);
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  const left = split(halves[0]!);
  const right = halves.length === 2 ? split(halves[1]!) : [];
  const missing = groupsWanted - left.length - right.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) throw new Error(`not an IP address: ${ip}`);
  const groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`not an IP address: ${ip}`);
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  out.set(tail, 12);
  return out;
}

function octet(part: string): number {
  const n = Number(part);
  if (!(n >= 0 && n <= 255)) throw new Error(`not an IPv4 octet: ${part}`);
  return n;
}
