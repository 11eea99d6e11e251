// The one entry to @peculiar/x509: its dependency injection (tsyringe) needs reflect-metadata
// loaded first, and it must sign with Node's own webcrypto (Ed25519 included).
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;

// The project compiles without the DOM library; these are Node's own webcrypto types.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type Algorithm = webcrypto.Algorithm;
export type EcdsaParams = webcrypto.EcdsaParams;
export type EcKeyGenParams = webcrypto.EcKeyGenParams;
export type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
export type EcKeyImportParams = webcrypto.EcKeyImportParams;
export type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
