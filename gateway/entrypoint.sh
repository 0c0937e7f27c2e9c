#!/bin/sh
# Gateway start-up: write the `resolver` line that nginx.conf includes, from the first name
# server in resolv.conf: the DNS server of the container's network (Docker: 127.0.0.11; podman:
# aardvark-dns on the network's gateway address), so nginx looks the backend up again while it
# runs (a restarted backend has a new address). Only the first: podman lists the host's servers
# after it, and nginx asks its servers in turn, taking a "no such name" from those as final.
# Then hand over to the image's own entrypoint.
#   env: RESOLV_CONF (default /etc/resolv.conf), NGINX_RESOLVER_CONF (/etc/nginx/resolver.conf)
# Without a command it only writes the file.
set -eu
resolv_conf=${RESOLV_CONF:-/etc/resolv.conf}
target=${NGINX_RESOLVER_CONF:-/etc/nginx/resolver.conf}
server=$(awk '$1 == "nameserver" { a = $2; if (a ~ /:/) a = "[" a "]"; print a; exit }' \
  "$resolv_conf")
if [ -z "$server" ]; then
  echo "gateway: no nameserver in $resolv_conf; the backend's name cannot be resolved" >&2
  exit 1
fi
echo "resolver $server valid=10s;" > "$target"
if [ "$#" -eq 0 ]; then
  exit 0
fi
exec /docker-entrypoint.sh "$@"
