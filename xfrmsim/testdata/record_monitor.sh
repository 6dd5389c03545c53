# Records `ip xfrm monitor` on the host into monitor_host.json: the
# datagrams the monitor received (nltap) and what it printed. Run as root:
#   unshare -n sh record_monitor.sh /tmp/nltap.so
set -e
rm -f /tmp/mon.tap /tmp/mon.out
sysctl -qw net.core.xfrm_acq_expires=1 || true
NLTAP_LOG=/tmp/mon.tap LD_PRELOAD=$1 TZ=UTC ip xfrm monitor > /tmp/mon.out 2>&1 &
MP=$!
sleep 0.5
ip xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp dport 80 dir out priority 5 tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel reqid 3
ip xfrm policy update src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp dport 80 dir out priority 6
ip xfrm policy add src 10.0.2.0/24 dst 10.0.3.0/24 dir in ptype sub action block
ip xfrm policy delete src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp dport 80 dir out
ip xfrm policy flush ptype sub
ip xfrm policy add src 10.0.4.0/24 dst 10.0.5.0/24 dir fwd
ip xfrm policy flush
ip xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp min 0x100 max 0x100
sleep 2.5
ip xfrm state allocspi src 1.1.1.1 dst 2.2.2.3 proto ah min 0x200 max 0x200
ip xfrm state delete src 1.1.1.1 dst 2.2.2.3 proto ah spi 0x200
ip xfrm state allocspi src 1.1.1.1 dst 2.2.2.4 proto esp min 0x300 max 0x300
ip xfrm state flush
sleep 0.5
kill $MP
python3 - <<'PY'
import json
got = []
for l in open('/tmp/mon.tap'):
    r = json.loads(l)
    if r.get('call', '').startswith('recv') and r.get('data') and r.get('ret', -1) > 0 and not (r.get('flags', 0) & 2):
        got.append(r['data'][:2 * r['ret']])
json.dump({"replies": got, "stdout": open('/tmp/mon.out').read()}, open('monitor_host.json', 'w'))
PY
