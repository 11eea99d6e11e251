import { AsnSerializer } from "@peculiar/asn1-schema";
import { GeneralName } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { ipBytes, unsignedInteger } from "../../../src/pki/der.js";

describe("hand-written DER", () => {
  it("should encode IP addresses as @peculiar/x509 does", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "255.255.255.255",
      "::1",
      "::",
      "fd00::1",
      "2001:db8::",
      "fe80::1:2:3",
      "2001:db8:0:0:1:0:0:1",
      "1:2:3:4:5:6:7:8",
    ]) {
      // The library's GeneralName [7]: tag, length, the address.
      const byLibrary = Buffer.from(AsnSerializer.serialize(new GeneralName({ iPAddress: ip }))).subarray(2);
      expect(Buffer.from(ipBytes(ip)).toString("hex"), ip).toBe(byLibrary.toString("hex"));
    }
  });

  it("should read an IPv4 tail of an IPv6 address as its last four bytes", () => {
    expect(Buffer.from(ipBytes("::ffff:10.0.0.1")).toString("hex")).toBe("00000000000000000000ffff0a000001");
    expect(Buffer.from(ipBytes("::10.0.0.1")).toString("hex")).toBe("0000000000000000000000000a000001");
    expect(() => ipBytes("1::2::3")).toThrow();
    expect(() => ipBytes("1:2:3")).toThrow();
  });

  it("should write INTEGERs in their minimal positive form", () => {
    expect(unsignedInteger(Uint8Array.of(0x7f)).toString("hex")).toBe("02017f");
    expect(unsignedInteger(Uint8Array.of(0x80)).toString("hex")).toBe("02020080");
    expect(unsignedInteger(Uint8Array.of(0, 0, 0x01)).toString("hex")).toBe("020101");
    expect(unsignedInteger(Uint8Array.of(0, 0x80)).toString("hex")).toBe("02020080");
  });
});
