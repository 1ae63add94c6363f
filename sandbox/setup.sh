#!/usr/bin/env bash
# Installs what the sandbox needs beyond Python and npm packages: nginx (the
# ALB's data plane). Uses apt-get when run as root; otherwise says what to do.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx >/dev/null
  # The package starts a system nginx on port 80; the sandbox runs its own.
  (service nginx stop || pkill -x nginx || true) >/dev/null 2>&1
  exit 0
fi
echo "nginx is missing: install it (Debian/Ubuntu: sudo apt-get install nginx)" >&2
exit 1
