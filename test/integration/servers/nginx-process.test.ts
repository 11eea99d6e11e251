// The nginx launcher: a real nginx started on a generated config, stopped with its workers.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findNginx, startNginx, testNginxConfig } from "../../../src/servers/nginx-process.js";
import { poll } from "../../../src/util/poll.js";
import { freePort } from "../../support/gateway-upstream.js";

const plainConfig = (dir: string, port: number, body = "return 200 'up';") => `pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {}
http {
    access_log off;
    client_body_temp_path ${dir}/tmp-body;
    proxy_temp_path ${dir}/tmp-proxy;
    fastcgi_temp_path ${dir}/tmp-fcgi;
    uwsgi_temp_path ${dir}/tmp-uwsgi;
    scgi_temp_path ${dir}/tmp-scgi;
    server { listen 127.0.0.1:${port}; location / { ${body} } }
}
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function workersOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

describe("the nginx launcher", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bootgate-nginx-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should say how to get nginx when the binary is missing", async () => {
    await expect(findNginx("/nonexistent/nginx")).rejects.toThrow(/make tools/);
  });

  it("should start nginx, reload it, and stop it together with its workers", async () => {
    const port = await freePort();
    await writeFile(join(dir, "nginx.conf"), plainConfig(dir, port));
    const nginx = await startNginx({ prefixDir: dir });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("up");
    const workers = await workersOf(nginx.pid);
    expect(workers.length).toBeGreaterThan(0);

    await writeFile(join(dir, "nginx.conf"), plainConfig(dir, port, "return 200 'reloaded';"));
    expect((await testNginxConfig(await findNginx(), dir, join(dir, "nginx.conf"))).ok).toBe(true);
    nginx.reload();
    const reloaded = async () => ((await (await fetch(`http://127.0.0.1:${port}/`)).text()) === "reloaded" ? true : undefined);
    await poll(reloaded, { timeoutMs: 5_000, intervalMs: 20, what: "nginx to serve the reloaded config" });

    const all = [nginx.pid, ...(await workersOf(nginx.pid))];
    await nginx.stop();
    expect(all.filter(alive)).toEqual([]);
  });

  it("should report nginx's own message when a config does not pass nginx -t", async () => {
    const bad = join(dir, "bad.conf");
    await writeFile(bad, "events {}\nhttp { server { listen 127.0.0.1:1; bogus_directive on; } }\n");
    const result = await testNginxConfig(await findNginx(), dir, bad);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/unknown directive "bogus_directive"/);
  });

  it("should fail to start, with nginx's message, on a port already taken", async () => {
    const port = await freePort();
    const sub = join(dir, "first");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(sub);
    await writeFile(join(sub, "nginx.conf"), plainConfig(sub, port));
    await using first = await startNginx({ prefixDir: sub });
    expect(first.pid).toBeGreaterThan(0);
    const other = join(dir, "second");
    await mkdir(other);
    await writeFile(join(other, "nginx.conf"), plainConfig(other, port));
    await expect(startNginx({ prefixDir: other })).rejects.toThrow(/exited before it was ready: .*Address already in use/);
  });
});
