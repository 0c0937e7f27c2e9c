#!/bin/sh
# Gateway start-up: write the two files nginx.conf includes, then hand over to the image's own
# entrypoint. Without a command it only writes the files.
#
# 1. The `resolver` line, from the first name server in resolv.conf: the DNS server of the
#    container's network (Docker: 127.0.0.11; podman: aardvark-dns on the network's gateway
#    address), so nginx looks the backend up again while it runs (a restarted backend has a new
#    address). Only the first: podman lists the host's servers after it, and nginx asks its
#    servers in turn, taking a "no such name" from those as final.
# 2. The trusted proxies, from TRUSTED_PROXY_CIDRS (addresses or CIDRs, separated by commas or
#    spaces). Unset, empty or "default" (what compose passes for an empty value, as
#    podman-compose 1.0.3 does not expand `${VAR:-}`): loopback and the private networks, where
#    the host's TLS proxy reaches the gateway from (Docker's bridges are in 172.16.0.0/12,
#    podman's in 10.88.0.0/15).
#    Only these may set the client address (X-Forwarded-For) and the scheme
#    (X-Forwarded-Proto); anything that is not an address is refused, never written into nginx.
#   env: RESOLV_CONF (default /etc/resolv.conf), NGINX_RESOLVER_CONF (/etc/nginx/resolver.conf),
#        TRUSTED_PROXY_CIDRS, NGINX_TRUSTED_PROXIES_CONF (/etc/nginx/trusted_proxies.conf)
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

default_proxies="127.0.0.1/32 ::1/128 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"
proxies=${TRUSTED_PROXY_CIDRS:-default}
if [ "$proxies" = default ]; then
  proxies=$default_proxies
fi
proxies=$(printf '%s' "$proxies" | tr ',' ' ')
ipv4='^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$'
ipv6='^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?$'
real_ip="" trusted=""
set -f  # a "*" is not a file name here
for cidr in $proxies; do
  if ! printf '%s\n' "$cidr" | grep -Eq "$ipv4|$ipv6"; then
    echo "gateway: TRUSTED_PROXY_CIDRS: «$cidr» is not an address or CIDR" >&2
    exit 1
  fi
  real_ip="${real_ip}set_real_ip_from $cidr;
"
  trusted="${trusted}    $cidr 1;
"
done
set +f
# $realip_remote_addr: the peer itself, before X-Forwarded-For replaced $remote_addr
printf '%sgeo $realip_remote_addr $from_trusted_proxy {\n    default 0;\n%s}\n' \
  "$real_ip" "$trusted" > "${NGINX_TRUSTED_PROXIES_CONF:-/etc/nginx/trusted_proxies.conf}"

if [ "$#" -eq 0 ]; then
  exit 0
fi
exec /docker-entrypoint.sh "$@"
