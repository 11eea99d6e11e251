// What compose/entry/postgres.mjs uses, declared in package.json `exports` as
// `bootgate/entry/postgres` (see ./init.ts for why by name).
export { startPostgres } from "../servers/postgres-process.js";
export { readClientCertRoles } from "../db/client-cert-roles-file.js";
