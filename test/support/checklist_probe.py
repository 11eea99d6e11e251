"""What the checklist tests ask of the notes' own Python programs, outside the Django app:
psycopg2 logins (with statements to run, to seed the app's table) and hvac certificate logins
(and a read or write of the role's own KV folder with the token they give), with the parameters
read as JSON from stdin (a password never on a command line). Prints one JSON line:
{"ok": true, ...} or {"ok": false, "error": ...}. The compose test runs it inside the checklist
image's containers (`python3 -c`, its source on argv: no secret in it)."""
import json
import sys


def pg_login(p):
    import psycopg2

    kwargs = {k: v for k, v in p["conn"].items() if v is not None}
    with psycopg2.connect(**kwargs) as conn, conn.cursor() as cur:
        for statement in p.get("sql", []):
            cur.execute(statement["text"], statement.get("params"))
        cur.execute("SELECT current_user")
        return {"user": cur.fetchone()[0]}


def vault_cert_login(p):
    import hvac

    c = hvac.Client(url=p["url"], cert=(p["cert"], p["key"]), verify=p["ca"], timeout=10)
    answer = c.auth.cert.login(name=p["role"], cert_pem=p["cert"], key_pem=p["key"])
    return {"policies": sorted(answer["auth"]["policies"])}


def vault_kv(p):
    """Logs in with the certificate, then reads (or, with "data", writes) <mount>/<role>/<path>."""
    import hvac

    c = hvac.Client(url=p["url"], cert=(p["cert"], p["key"]), verify=p["ca"], timeout=10)
    c.auth.cert.login(name=p["role"], cert_pem=p["cert"], key_pem=p["key"])
    path = f"{p['role']}/{p['path']}"
    if "data" in p:
        c.secrets.kv.v2.create_or_update_secret(path=path, secret=p["data"], mount_point=p.get("mount", "secret"))
        return {}
    answer = c.secrets.kv.v2.read_secret_version(path=path, mount_point=p.get("mount", "secret"), raise_on_deleted_version=True)
    return {"data": answer["data"]["data"]}


def main():
    p = json.load(sys.stdin)
    try:
        result = {"pg-login": pg_login, "vault-cert-login": vault_cert_login, "vault-kv": vault_kv}[p["op"]](p)
        print(json.dumps({"ok": True, **result}))
    except Exception as e:  # the test asserts on the message
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}".strip()}))


main()
