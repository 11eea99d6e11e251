#!/usr/bin/env node
// The `init` container: prepares what a deployment's operator would otherwise bring, then runs
// the whole boot (`bootgate run`) and exits with its code.
// - the keyring's IKM: a 0600 file on the keyring volume, made on the first boot only
//   (production: a `vault.ikm.command` hook instead);
// - the PostgreSQL admin password: derived from the IKM (HKDF, its own label) and written to
//   the postgres service's folder on the tmpfs secrets volume (0600, its uid) before anything
//   starts, so the postgres container finds it for initdb and db-seed for its admin connection.
//   Never on argv or in the image;
// - the roles that log in to PostgreSQL with their certificate too (`client-cert-roles`, beside
//   that password), so the postgres container's pg_hba follows bootgate.yaml.
// Runs as root with only CHOWN, DAC_OVERRIDE and FOWNER: it gives each service its own files.
import {
  ALL_STAGES,
  applyVolumeOwners,
  ensureDir,
  ensureLocalIkm,
  exitCodeFor,
  loadConfig,
  main,
  messageFor,
  parseVolumeOwners,
  preflightStages,
  writeClientCertRoles,
  writeDerivedAdminPassword,
} from "bootgate/entry/init";

const configFile = process.env.BOOTGATE_CONFIG ?? "/etc/bootgate/bootgate.yaml";
try {
  // Bad input (the config, the route map, imported material) stops here, before anything is
  // written: exit 2 naming the file and field, as `bootgate run` would.
  const config = await loadConfig({ file: configFile });
  await preflightStages(ALL_STAGES, config);
  // Public images: the data volumes' roots go to their services (compose/public-images.yml).
  const volumeOwners = parseVolumeOwners(process.env.BOOTGATE_VOLUME_OWNERS ?? "", config);
  // The keyring volume is init's alone.
  await ensureDir(config.stateDir, { mode: 0o700 });
  const ikm = await ensureLocalIkm(config);
  if (ikm === "created") console.log(`init: made the keyring's input key material on the keyring volume (0600)`);
  await writeDerivedAdminPassword(config);
  // The roles PostgreSQL must also ask for a certificate (database.clientCert), for the postgres
  // container's pg_hba: it has no config of its own.
  await writeClientCertRoles(config);
  await applyVolumeOwners(volumeOwners);
} catch (error) {
  console.error(`bootgate init: ${messageFor(error)}`);
  process.exit(exitCodeFor(error));
}

// The boot itself, in this process: `bootgate run`'s own code, messages and exit codes. As the
// container's PID 1, node gets no default action for TERM and INT: without these handlers
// `docker stop` would wait out its timeout and SIGKILL. A boot cut here is safe (every file is
// written atomically and no gate opens early); the next boot converges.
process.on("SIGTERM", () => process.exit(143));
process.on("SIGINT", () => process.exit(130));
process.exit(await main(["run", "--config", configFile]));
