// Text from PostgreSQL (error messages, details) may echo parts of a statement. Anything that
// looks like a SCRAM verifier, and every secret in play, is cut out before it reaches a message.
const VERIFIER_LIKE = /SCRAM-SHA-256\$[^\s'"]*/g;

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(VERIFIER_LIKE, "[redacted]");
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}
