// The optional `docker:` section: where the engine's socket is and which compose project the
// stack's containers belong to. Both may be left out: bootgate then looks for them itself
// (src/docker/socket-path.ts, src/docker/compose-project.ts), and no socket just turns the
// container features off.
import { isAbsolute } from "node:path";
import { z } from "zod";
import { duration } from "../fields.js";

/** Compose's own rule for project names (lowercase letters, digits, '-' and '_'). */
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export const dockerSection = z
  .strictObject({
    /** A unix socket; BOOTGATE_DOCKER_SOCKET overrides. */
    socket: z
      .string({ error: "expected the absolute path of the Docker engine's unix socket, such as /var/run/docker.sock" })
      .refine((p) => isAbsolute(p), "expected the absolute path of the Docker engine's unix socket, such as /var/run/docker.sock")
      .optional(),
    /** The compose project (`docker compose -p`); else BOOTGATE_COMPOSE_PROJECT, else bootgate's own container's label. */
    project: z
      .string({ error: "expected a compose project name" })
      .regex(PROJECT_NAME, "expected a compose project name: lowercase letters, digits, '-' and '_', starting with a letter or digit")
      .optional(),
    /** Budget of each call to the engine. */
    timeout: duration.prefault("10s"),
  })
  .prefault({});

export type DockerSettings = z.output<typeof dockerSection>;
