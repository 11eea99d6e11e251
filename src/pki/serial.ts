// Random 128-bit serials: 16 bytes, top bit clear so DER keeps them positive without a pad
// byte, first byte non-zero so they stay 16 bytes long.
import { randomBytes } from "node:crypto";

export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString("hex");
}
