#!/usr/bin/env bash
# Measures the live-capture backends' timestamp accuracy (docs/lab.md, "Choosing the backend").
#
# A sender in its own namespace stamps each UDP packet with CLOCK_REALTIME (ns)
# just before sendto(); flowsig's live capture module (dist/, `npm run build`
# first) captures on the router's ingress and egress veth in another namespace
# and compares, per packet:
#   error   = capture timestamp − send stamp   (how far the timestamp is from the truth)
#   latency = arrival in JavaScript − capture timestamp  (how late the packet reaches the meter)
#   reorder = timestamps going backwards within one interface
# Two phases: 400 packets paced at 2 ms, then a burst of 4000 back to back.
# Needs root, iproute2, python3, tcpdump, dumpcap. Touches only its own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
P=fsm$$
A=$P-a; R=$P-r; B=$P-b
cleanup() {
  for n in "$A" "$R" "$B"; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
for n in "$A" "$R" "$B"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add a0 netns "$A" type veth peer name r0 netns "$R"
ip link add b0 netns "$B" type veth peer name r1 netns "$R"
ip -n "$A" addr add 100.64.1.2/24 dev a0; ip -n "$R" addr add 100.64.1.1/24 dev r0
ip -n "$B" addr add 100.64.2.2/24 dev b0; ip -n "$R" addr add 100.64.2.1/24 dev r1
for x in "$A a0" "$R r0" "$R r1" "$B b0"; do set -- $x; ip -n "$1" link set "$2" up; done
ip -n "$A" route add default via 100.64.1.1; ip -n "$B" route add default via 100.64.2.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
sleep 0.5

for backend in tcpdump dumpcap; do
  ip netns exec "$R" node --input-type=module -e '
import { startLiveCapture } from "./dist/src/capture/live.js";
const backend = process.argv[1];
const err = [[], []], lat = [[], []], last = [0, 0], reorder = [0, 0];
const cap = startLiveCapture({
  packet(buf, off, capLen, wireLen, tsMs, ifIndex) {
    const arrived = Date.now();
    // Ethernet 14 + IPv4 20 + UDP 8: payload "FSM" + 8-byte send time in ns
    const p = off + 42;
    if (capLen < 53 || buf.toString("latin1", p, p + 3) !== "FSM") return;
    const sentNs = buf.readBigUInt64BE(p + 3);
    const sentMs = Number(sentNs / 1000n) / 1000;
    err[ifIndex].push((tsMs - sentMs) * 1000);
    lat[ifIndex].push(arrived - tsMs);
    if (tsMs < last[ifIndex]) reorder[ifIndex]++;
    last[ifIndex] = tsMs;
  },
}, { interfaces: ["r0", "r1"], backend, filter: "udp port 9999", onReady() { process.stdout.write("ready\n"); } });
process.on("SIGUSR1", () => cap.stop());
const s = await cap.done;
const pct = (a, q) => { const x = [...a].sort((m, n) => m - n); return x.length ? x[Math.min(x.length - 1, Math.floor(q * x.length))] : NaN; };
for (const i of [0, 1]) {
  const e = err[i], l = lat[i];
  console.log(`${backend} ${s.interfaces[i].name}: ${e.length} pkts, drops kernel ${s.interfaces[i].kernelDrops} backend ${s.interfaces[i].backendDrops ?? 0}; ts-send error us p0 ${pct(e,0).toFixed(1)} p50 ${pct(e,.5).toFixed(1)} p99 ${pct(e,.99).toFixed(1)} max ${pct(e,1).toFixed(1)}; delivery latency ms p50 ${pct(l,.5).toFixed(2)} p99 ${pct(l,.99).toFixed(2)} max ${pct(l,1).toFixed(2)}; reordered ${reorder[i]}`);
}
' "$backend" > "/tmp/$P-$backend.out" &
  MP=$!
  for _ in $(seq 50); do grep -q ready "/tmp/$P-$backend.out" 2>/dev/null && break; sleep 0.1; done
  ip netns exec "$A" python3 -c '
import socket, time, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send():
    s.sendto(b"FSM" + struct.pack(">Q", time.time_ns()) + bytes(100), ("100.64.2.2", 9999))
for _ in range(400):
    send(); time.sleep(0.002)
for _ in range(4000):
    send()'
  sleep 1
  ip netns exec "$R" kill -USR1 "$MP" 2>/dev/null || kill -USR1 "$MP"
  wait "$MP" || true
  grep -v ready "/tmp/$P-$backend.out"; rm -f "/tmp/$P-$backend.out"
done
