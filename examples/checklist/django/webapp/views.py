"""One view: who the gateway says is asking, a row read from PostgreSQL (with what the server
saw of the connection's TLS), and a value read from Vault with a fresh certificate login."""
from django.db import connection
from django.http import JsonResponse

from webapp import vault


def index(request, rest=""):
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, s.ssl, s.client_dn FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()")
        user, ssl, client_dn = cur.fetchone()
        cur.execute("SELECT note FROM notes ORDER BY id LIMIT 1")
        row = cur.fetchone()
    greeting = vault.read(vault.client(), "greeting").get("text")
    return JsonResponse(
        {
            "path": request.path,
            "user": request.headers.get("X-Authenticated-User"),
            "db": {"user": user, "ssl": ssl, "clientDn": client_dn},
            "note": row[0] if row else None,
            "greeting": greeting,
        }
    )
