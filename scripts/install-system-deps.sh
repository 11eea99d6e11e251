#!/usr/bin/env bash
# Debian packages the real parts need: PostgreSQL, nginx (+ njs), dash for the waiter test,
# uWSGI (+ its python3 plugin) for uwsgi upstreams behind the gateway, Django and psycopg2 for the checklist example,
# rsyslog (+ rsyslog-gnutls) for its log link,
# Prometheus for the agent's scrape and alert test.
# As root it installs what is missing; otherwise it says exactly what to install.
set -euo pipefail
need=()
have_pg() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
have_pg || need+=(postgresql)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_http_js_module.so ] || need+=(libnginx-mod-http-js)
command -v dash >/dev/null 2>&1 || need+=(dash)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1 || need+=(python3-pip)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
command -v uwsgi-core >/dev/null 2>&1 || [ -x /usr/bin/uwsgi-core ] || need+=(uwsgi-core)
[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] || need+=(uwsgi-plugin-python3)
/usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || need+=(python3-psycopg2)
# hvac's one dependency (hvac itself: scripts/install-python-deps.sh).
/usr/bin/python3 -c 'import requests' >/dev/null 2>&1 || need+=(python3-requests)
# rsyslog with its TLS driver: the log shipper and collector of the checklist's log link.
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || [ -e /usr/lib/rsyslog/lmnsd_gtls.so ] || need+=(rsyslog-gnutls)
# A real Prometheus scrapes the agent in the tests (HTTPS against the stack's CA, alert rules).
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need+=(prometheus)
for extra in "$@"; do
  case "$extra" in
    cfssl) command -v cfssl >/dev/null 2>&1 || need+=(golang-cfssl) ;;
    docker)
      # The compose e2e: Debian's engine (its containerd and runc also run the current dockerd that
      # scripts/docker-engine.sh builds; Compose v2 too where missing), debootstrap for the base image.
      command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
      command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap) ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bootgate needs these Debian packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
# The package starts a cluster and an nginx on the default ports; bootgate runs its own.
if [[ " ${need[*]} " == *" postgresql "* ]]; then service postgresql stop >/dev/null 2>&1 || true; fi
if [[ " ${need[*]} " == *" nginx "* ]]; then service nginx stop >/dev/null 2>&1 || true; fi
if [[ " ${need[*]} " == *" rsyslog "* ]]; then service rsyslog stop >/dev/null 2>&1 || true; fi
if [[ " ${need[*]} " == *" prometheus "* ]]; then service prometheus stop >/dev/null 2>&1 || true; fi
