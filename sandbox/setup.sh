#!/usr/bin/env bash
# Installs what the sandbox needs beyond Python and npm packages: nginx (the
# ALB's data plane). Uses apt-get when run as root; otherwise says what to do.
#
# A good neighbour: it stops nothing, and never an nginx someone else runs.
# Debian's package would start its own nginx service while it installs; a
# policy-rc.d that answers 101 ("action forbidden", invoke-rc.d(8)) keeps it
# from starting. One that is there already (Docker images have one) is left
# as it is; ours is removed when this script ends, however it ends.
# SANDBOX_SETUP_NGINX and SANDBOX_SETUP_POLICY_RC_D stand in for the two
# paths in tests/unit/test_sandbox_setup.py.
set -euo pipefail
nginx_path=${SANDBOX_SETUP_NGINX:-/usr/sbin/nginx}
policy=${SANDBOX_SETUP_POLICY_RC_D:-/usr/sbin/policy-rc.d}
if command -v nginx >/dev/null 2>&1 || [ -x "$nginx_path" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  ours=""
  trap 'if [ -n "$ours" ]; then rm -f "$policy"; fi' EXIT
  trap 'exit 130' INT TERM HUP  # the EXIT trap cleans up then too
  # noclobber: never write over a policy-rc.d that appeared in the meantime
  if [ ! -e "$policy" ] && [ ! -L "$policy" ] &&
     (set -C; printf '#!/bin/sh\n# milvus-layer7 sandbox/setup.sh: no service starts while nginx installs\nexit 101\n' >"$policy") 2>/dev/null; then
    ours=1
    chmod 0755 "$policy"
  fi
  apt-get install -y -qq --no-install-recommends nginx >/dev/null
  exit 0
fi
echo "nginx is missing: install it (Debian/Ubuntu: sudo apt-get install nginx)" >&2
exit 1
