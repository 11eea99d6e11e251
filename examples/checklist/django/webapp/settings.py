"""The design notes' Django settings: PostgreSQL over verify-full with the service's client
certificate, the credentials read from Vault after a certificate login, nothing secret in the
environment or on disk outside the service's own folder."""
import ipaddress
import os
import secrets

from webapp import vault

_vault = vault.client()
_db = vault.read(_vault, "database")  # written by bootgate's db-seed


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db["database"],
        "USER": _db["username"],
        "PASSWORD": _db["password"],
        # libpq checks the server's certificate against HOST: the service name; where the record
        # holds an address, it is dialled as hostaddr and the name still decides.
        "HOST": _db["serverName"],
        "PORT": _db["port"],
        "OPTIONS": {
            "sslmode": "verify-full",
            "sslrootcert": vault.CA,
            "sslcert": vault.CERT,
            "sslkey": vault.KEY,
            **({"hostaddr": _db["host"]} if _is_ip(_db["host"]) else {}),
        },
    }
}

# Signs nothing that outlives the process (no sessions, no CSRF forms): a fresh key per start.
# An app with sessions keeps it in Vault (`vault.read(_vault, "django")["secret_key"]`).
SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "gateway,localhost,127.0.0.1").split(",")
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "webapp.urls"
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "handlers": {"console": {"class": "logging.StreamHandler"}}, "root": {"handlers": ["console"], "level": "WARNING"}}
