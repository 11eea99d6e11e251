"""What the checklist test asks of the notes' own Python programs, outside the Django app:
psycopg2 logins and an hvac certificate login, with the parameters read as JSON from stdin (a
password never on a command line). Prints one JSON line: {"ok": true, ...} or {"ok": false, "error": ...}."""
import json
import sys


def pg_login(p):
    import psycopg2

    kwargs = {k: v for k, v in p["conn"].items() if v is not None}
    with psycopg2.connect(**kwargs) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user")
        return {"user": cur.fetchone()[0]}


def vault_cert_login(p):
    import hvac

    c = hvac.Client(url=p["url"], cert=(p["cert"], p["key"]), verify=p["ca"], timeout=10)
    answer = c.auth.cert.login(name=p["role"], cert_pem=p["cert"], key_pem=p["key"])
    return {"policies": sorted(answer["auth"]["policies"])}


def main():
    p = json.load(sys.stdin)
    try:
        result = {"pg-login": pg_login, "vault-cert-login": vault_cert_login}[p["op"]](p)
        print(json.dumps({"ok": True, **result}))
    except Exception as e:  # the test asserts on the message
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}".strip()}))


main()
