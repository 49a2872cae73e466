# DS-Lite scenario for scripts/lab (sourced by it; uses its variables and functions).
#
#   client = B4 (IPv6-only link, IPv4 only inside the softwire)      box = AFTR + NAT44
#   TUN dslite 192.0.0.2 ── 4in6 ── c0 2001:db8:64:1::2 ─── b6 2001:db8:64:1::6 (AFTR) ── TUN aftr 192.0.0.1
#                                                                nft: oifname b4 ip saddr 192.0.0.0/29 masquerade → 100.64.0.1
#
# The kernel here has no ip6tnl (CONFIG_IPV6_TUNNEL unset, no loadable modules: `ip -6 tunnel add
# … mode ipip6` says "add tunnel "ip6tnl0" failed: No such device"), so both softwire endpoints
# are scripts/lab-dslite-softwire.py: a TUN device plus a raw IPv6 socket for next header 4, i.e.
# real RFC 2473 IPv4-in-IPv6 on the wire, as ip6tnl would send it.
#
# good: curl http://100.64.0.10:8080/ (an IPv4 literal) from the B4 through the softwire, NAT44 on the AFTR.
# bad:  the AFTR's softwire endpoint is not running (its address still answers on the link, its TUN
#       exists): the B4's encapsulated SYNs reach the box and are answered with ICMPv6 parameter
#       problem (unknown next header 4); nothing reaches the IPv4 side, curl times out.

AFTR_V6=2001:db8:64:1::6
B4_V4=192.0.0.2
AFTR_V4=192.0.0.1

setup_dslite() {
  CAP_IFACES="b6 aftr b4"
  README_HOSTS="Hosts: client as DS-Lite B4 (IPv6-only link $CLI_V6, IPv4 $B4_V4 inside the softwire), box as AFTR ($AFTR_V6, softwire TUN aftr $AFTR_V4, NAT44 masquerade to $BOX_V4), IPv4-only server $SRV_V4. Captured by \`flowsig flows -i b6 -i aftr -i b4\` on the box (interfaces 0 IPv6 link, 1 the AFTR's softwire TUN raw IPv4, 2 IPv4 link)"
  ip -n "$BOX" addr add "$AFTR_V6/64" dev b6 nodad
  # the AFTR's TUN exists in both runs (the capture opens it); the softwire process only in --good
  ip -n "$BOX" tuntap add dev aftr mode tun
  ip -n "$BOX" link set aftr mtu 1460 up
  ip -n "$BOX" addr add "$AFTR_V4/32" dev aftr
  ip -n "$BOX" route add "$B4_V4/32" dev aftr
  in_ns "$BOX" nft add rule ip flowsig_lab postrouting oifname "b4" ip saddr 192.0.0.0/29 masquerade
  if [ "$LABEL" = good ]; then
    in_ns "$BOX" "$PY" "$ROOT/scripts/lab-dslite-softwire.py" --tun aftr --local "$AFTR_V6" --remote "$CLI_V6" \
      >"$STATE/aftr.log" 2>&1 &
  fi
  # the B4 on the client
  ip -n "$CLI" tuntap add dev dslite mode tun
  in_ns "$CLI" "$PY" "$ROOT/scripts/lab-dslite-softwire.py" --tun dslite --local "$CLI_V6" --remote "$AFTR_V6" \
    >"$STATE/b4.log" 2>&1 &
  ip -n "$CLI" link set dslite mtu 1460 up
  ip -n "$CLI" addr add "$B4_V4/32" dev dslite
  ip -n "$CLI" route add "$AFTR_V4/32" dev dslite
  ip -n "$CLI" route add default dev dslite src "$B4_V4"
  for _ in $(seq 50); do grep -q softwire "$STATE/b4.log" 2>/dev/null && break; sleep 0.1; done
  [ "$LABEL" != good ] || { for _ in $(seq 50); do grep -q softwire "$STATE/aftr.log" 2>/dev/null && break; sleep 0.1; done; }
  sleep 0.3
}

scenario_dslite() {
  local out rc=0
  out=$(in_ns "$CLI" curl -sS -o /dev/null -w '%{http_code}' --max-time 4 "http://$SRV_V4:8080/" 2>&1) || rc=$?
  if [ "$LABEL" = good ]; then
    RESULT="curl http://$SRV_V4:8080/ (IPv4 application on the B4, source $B4_V4) through the DS-Lite softwire (IPv4-in-IPv6 from $CLI_V6 to the AFTR $AFTR_V6) and the AFTR's NAT44 (masquerade to $BOX_V4): HTTP $out"
    [ "$out" = 200 ]
  else
    RESULT="curl http://$SRV_V4:8080/ on the B4 with the AFTR's softwire endpoint down: the SYNs leave the B4 encapsulated (4in6 to $AFTR_V6), the box answers each with ICMPv6 parameter problem (unknown next header), nothing reaches the IPv4 side; curl times out (exit $rc)"
    [ "$rc" -ne 0 ]
  fi
}
