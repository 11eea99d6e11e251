// Names of bootgate's identity in Vault: the JWT auth mount and its role, the policy, and the
// token role service tokens are made through.
export const IDENTITY_MOUNT = "bootgate";
export const IDENTITY_ROLE = "bootgate";
export const IDENTITY_POLICY = "bootgate";
export const SERVICE_TOKEN_ROLE = "bootgate-services";
