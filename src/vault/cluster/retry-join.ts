// The `retry_join` blocks of one raft node: one per OTHER node, each verified by that node's own
// name against the stack's CA, so a node joins only a peer whose leaf pki-init issued for it.
export interface ClusterPeer {
  /** The node's name: its raft node_id, its service (folder, leaf) and the SAN it is verified by. */
  name: string;
  /** Its API address, e.g. https://127.0.0.1:8210 or https://vault-1:8200. */
  apiAddr: string;
}

export function retryJoinHcl(self: string, peers: readonly ClusterPeer[], caFile: string): string {
  const q = JSON.stringify;
  return peers
    .filter((p) => p.name !== self)
    .map(
      (p) => `  retry_join {
    leader_api_addr = ${q(p.apiAddr)}
    leader_tls_servername = ${q(p.name)}
    leader_ca_cert_file = ${q(caFile)}
  }
`,
    )
    .join("");
}
