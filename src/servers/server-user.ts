// The Unix account a server that refuses root (PostgreSQL) runs as, read from /etc/passwd:
// Node has no getpwnam, and spawning `id` for it would add a process per start.
import { readFile } from "node:fs/promises";

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export async function serverUserFor(name: string, passwdFile = "/etc/passwd"): Promise<ServerUser> {
  const text = await readFile(passwdFile, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [user, , uid, gid, , home] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid), home: home || "/" };
    }
  }
  throw new Error(`no \`${name}\` user in ${passwdFile}: PostgreSQL will not run as root; install Debian's postgresql (run \`make tools\`), which creates it`);
}
