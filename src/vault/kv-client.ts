// The narrow KV interface the stages after secretstore-setup use. The real implementation talks
// to OpenBao through node-vault with TLS verified against the stack's CA; unit tests use a Map.
export interface KvClient {
  /** The latest version's data, or undefined when the key has never been written (404). */
  read(key: string): Promise<Record<string, unknown> | undefined>;
  write(key: string, data: Record<string, unknown>): Promise<void>;
}
