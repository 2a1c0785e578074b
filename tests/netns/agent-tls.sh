#!/bin/sh
# shellcheck shell=dash
# twilld and etcd over TLS with client certificates (a CA, etcd's server
# certificate and a client certificate made here with openssl), and
# failover: the first endpoint given does not answer.  An agent with the
# client certificate claims a subnet; one without it is refused, says why,
# and takes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

command -v openssl >/dev/null 2>&1 || skip "no openssl"
C=$TW_TMP/pki
ETCD=https://192.0.2.99:2379
ETCD_TLS="--cacert $C/ca.crt --cert $C/client.crt --key $C/client.key"
. "$(dirname "$0")/agentlib.sh"

step "certificates: a CA, etcd's (IP 192.0.2.99), a client's"
mkdir -p "$C"
printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$C/openssl.cnf"
export OPENSSL_CONF="$C/openssl.cnf"
ossl() { openssl "$@" >>"$C/log" 2>&1 || { cat "$C/log"; t_fail "openssl $1"; }; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.crt" \
	-days 1 -subj /CN=twill-test-ca
ossl req -newkey rsa:2048 -nodes -keyout "$C/server.key" -out "$C/server.csr" -subj /CN=etcd
printf 'subjectAltName = IP:192.0.2.99\n' >"$C/server.ext"
ossl x509 -req -in "$C/server.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" \
	-CAcreateserial -out "$C/server.crt" -days 1 -extfile "$C/server.ext"
ossl req -newkey rsa:2048 -nodes -keyout "$C/client.key" -out "$C/client.csr" -subj /CN=twilld
ossl x509 -req -in "$C/client.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" \
	-CAcreateserial -out "$C/client.crt" -days 1

step "etcd with TLS and client certificate authentication"
topo_hosts hostA hostB hostS
etcd_start --cert-file "$C/server.crt" --key-file "$C/server.key" \
	--client-cert-auth --trusted-ca-file "$C/ca.crt"
ctl put "$P/config" '{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}' >/dev/null

step "hostA's agent, with the client certificate, through the second endpoint"
# nothing listens on 192.0.2.98: each request fails over to the second URL
agent hostA --etcd-endpoints "https://192.0.2.98:2379,$ETCD" \
	--etcd-cafile "$C/ca.crt" --etcd-certfile "$C/client.crt" \
	--etcd-keyfile "$C/client.key"
wait_subnet hostA
check_eq "$(leases)" 1 "one lease"

step "hostB's agent, without a client certificate: refused, nothing taken"
agent hostB --etcd-cafile "$C/ca.crt"
sleep 5
[ ! -e "$TW_TMP/hostB/subnet.env" ] || t_fail "hostB got a subnet without a client certificate"
check_contains "$(cat "$TW_TMP/hostB/log")" "retrying" "hostB says it cannot reach etcd"
check_eq "$(leases)" 1 "still one lease"

AGENT_PASSED=1
echo "PASS: agent-tls"
