// A part the library already encoded (asn1js or @peculiar/x509), put into a new structure as
// it is instead of being decoded and encoded again. asn1js's own RawData only hands its bytes
// back when encoded on its own; inside a SEQUENCE asn1js passes it the enclosing writer, and
// this writes to it.
import * as asn1js from "asn1js";

const NOTHING = new ArrayBuffer(0);

class Encoded extends asn1js.RawData {
  private readonly der: ArrayBuffer;

  constructor(der: Uint8Array) {
    super();
    this.der = der.byteOffset === 0 && der.byteLength === der.buffer.byteLength ? (der.buffer as ArrayBuffer) : der.slice().buffer;
    this.dataView = new Uint8Array(this.der);
  }

  override toBER(sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    if (!writer) return super.toBER(sizeOnly);
    writer.write(this.der);
    return NOTHING;
  }
}

/** Encoded DER where asn1js's types want a block (asn1js only ever calls toBER on it). */
export const encoded = (der: Uint8Array) => new Encoded(der) as unknown as asn1js.AsnType;

/** A node parsed by asn1js, as the bytes it was parsed from. */
export const asParsed = (node: asn1js.AsnType) => encoded((node as asn1js.BaseBlock).valueBeforeDecodeView);
