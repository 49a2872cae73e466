# OpenVPN scenario for scripts/lab (sourced by it; uses its variables and functions).
#
# OpenVPN 2.6 (Debian openvpn) in static-key mode, UDP 1194: the server on the IPv4-only server
# (100.64.0.10), the client on the IPv6-only client. The key is made at run time into the lab's
# state directory (/run/flowsig-lab/NAME/, removed with the lab); nothing is committed.
# Tunnel addresses 10.8.0.1 (server) / 10.8.0.2 (client) exist only inside the lab's namespaces.
#
# good: `remote vpn.lab.example 1194` (vpn IN A 100.64.0.10 in the lab's auth-zone) — DNS64 synthesizes AAAA 64:ff9b::6440:a, the client's UDP
#       goes through NAT64 (TAYGA + masquerade) and the tunnel comes up; 3 pings through it.
# bad:  `remote 100.64.0.10 1194` (an IPv4 literal) on the IPv6-only client without CLAT: every
#       sendto() fails on the host with "Network is unreachable" — nothing on the wire, as in the
#       literal scenario.

VPN_SRV_TUN=10.8.0.1
VPN_CLI_TUN=10.8.0.2

setup_openvpn() {
  command -v openvpn >/dev/null || die "missing program: openvpn (bash scripts/setup installs it)"
  openvpn --genkey secret "$STATE/vpn.key" >/dev/null
  chmod 600 "$STATE/vpn.key"
  in_ns "$SRV" openvpn --dev tun --dev-type tun --proto udp4 --local "$SRV_V4" --lport 1194 \
    --ifconfig "$VPN_SRV_TUN" "$VPN_CLI_TUN" --secret "$STATE/vpn.key" 0 --cipher AES-256-CBC --auth SHA256 \
    --verb 3 --log "$STATE/openvpn-server.log" --writepid "$STATE/openvpn-server.pid" 2>/dev/null &
  wait_for "$SRV" "ss -lun" ":1194" || die "openvpn server did not come up (see $STATE/openvpn-server.log)"
}

scenario_openvpn() {
  local remote rc=0 out=
  if [ "$LABEL" = good ]; then remote=vpn.lab.example; else remote=$SRV_V4; fi
  in_ns "$CLI" openvpn --dev tun --dev-type tun --proto udp --remote "$remote" 1194 --nobind \
    --ifconfig "$VPN_CLI_TUN" "$VPN_SRV_TUN" --secret "$STATE/vpn.key" 1 --cipher AES-256-CBC --auth SHA256 \
    --verb 3 --log "$STATE/openvpn-client.log" --writepid "$STATE/openvpn-client.pid" 2>/dev/null &
  local vpn=$!
  for _ in $(seq 50); do grep -q 'Initialization Sequence Completed' "$STATE/openvpn-client.log" 2>/dev/null && break; sleep 0.1; done
  out=$(in_ns "$CLI" ping -n -c 3 -i 0.3 -W 2 "$VPN_SRV_TUN" 2>&1) || rc=$?
  sleep 0.5
  kill "$vpn" 2>/dev/null || true; wait "$vpn" 2>/dev/null || true
  local got errs
  got=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p'); got=${got:-0}
  errs=$(grep -c 'Network is unreachable' "$STATE/openvpn-client.log" || true)
  if [ "$LABEL" = good ]; then
    RESULT="OpenVPN 2.6 (static key, UDP 1194) from the IPv6-only client to \`remote vpn.lab.example\`: DNS64 gives AAAA $SRV_VIA_NAT64, the UDP goes through NAT64 to the server's OpenVPN on $SRV_V4:1194; tunnel up, $got of 3 pings to $VPN_SRV_TUN answered through it"
    [ "$got" = 3 ]
  else
    RESULT="OpenVPN 2.6 (static key, UDP 1194) from the IPv6-only client to \`remote $SRV_V4\` (IPv4 literal) without CLAT: every send fails on the host (openvpn logs \"write UDPv4 []: Network is unreachable\" $errs times), the tunnel never carries a packet ($got of 3 pings answered), nothing on the wire"
    [ "$got" = 0 ] && [ "$errs" -gt 0 ]
  fi
}
