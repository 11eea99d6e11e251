"""The app's only way into Vault: a TLS certificate login with its own cert.pem and key.pem.

No token is handed to it: a token it lost (a restart, an expired period) is replaced by logging
in again with the certificate the stack gave it. Vault is verified against the stack's CA by
the name in VAULT_ADDR (the `vault` service's certificate carries it).
"""
import os

import hvac

SERVICE = os.environ.get("BOOTGATE_SERVICE", "web-app")
SERVICE_DIR = os.environ.get("BOOTGATE_SERVICE_DIR", os.path.join("/secrets", SERVICE))
CERT = os.path.join(SERVICE_DIR, "cert.pem")
KEY = os.path.join(SERVICE_DIR, "key.pem")
CA = os.path.join(SERVICE_DIR, "ca.pem")
KV_MOUNT = os.environ.get("VAULT_KV_MOUNT", "secret")


def client():
    c = hvac.Client(url=os.environ.get("VAULT_ADDR", "https://vault:8200"), cert=(CERT, KEY), verify=CA, timeout=10)
    c.auth.cert.login(name=SERVICE, cert_pem=CERT, key_pem=KEY)
    return c


def read(c, path):
    """A KV v2 record under the service's own folder (`<service>/<path>`), its data only."""
    answer = c.secrets.kv.v2.read_secret_version(path=f"{SERVICE}/{path}", mount_point=KV_MOUNT, raise_on_deleted_version=True)
    return answer["data"]["data"]
