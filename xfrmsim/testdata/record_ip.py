#!/usr/bin/env python3
"""Records the host's `ip xfrm` behaviour as golden fixtures.

Run as root: python3 record_ip.py NLTAP_SO > ip_host.jsonl
Each case runs in a fresh network namespace (unshare -n); each `ip` line
of a case is captured with the nltap LD_PRELOAD tap, so a record holds the
argv, the datagrams ip sent, the datagrams it received, its stdout, stderr
and exit code. The tests feed the same argv to `xfrmsim ip` (request bytes
must match) and the same replies to its printer (text must match).
"""
import json, os, shlex, subprocess, sys, tempfile

CASES = [
    ["xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 dir out tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel reqid 5",
     "xfrm policy list", "-s xfrm policy list", "-d xfrm policy list", "-s -s xfrm policy list",
     "xfrm policy count", "-s xfrm policy count", "xfrm policy get src 10.0.0.0/24 dst 10.0.1.0/24 dir out",
     "-s xfrm policy get src 10.0.0.0/24 dst 10.0.1.0/24 dir out",
     "xfrm policy delete src 10.0.0.0/24 dst 10.0.1.0/24 dir out", "xfrm policy list",
     "xfrm policy delete src 10.0.0.0/24 dst 10.0.1.0/24 dir out"],
    ["xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp sport 80 dir in action block priority 7 mark 5 mask 0xff if_id 3 flag localok icmp limit time-soft 10 tmpl src 1.1.1.1 dst 2.2.2.2 proto ah mode transport level use",
     "xfrm policy list", "-s xfrm policy list", "xfrm policy list dir in", "xfrm policy list dir out",
     "xfrm policy get index 8 dir in mark 5 mask 0xff if_id 3"],
    ["xfrm policy add dir fwd", "xfrm policy add src 192.168.0.1 dst 192.168.0.2 dir out priority 100 ptype main",
     "xfrm policy add src 192.168.0.1 dst 192.168.0.2 dir out", "xfrm policy update src 192.168.0.1 dst 192.168.0.2 dir out priority 200",
     "xfrm policy add src 192.168.0.1 dst 192.168.0.2 dir in ptype sub",
     "xfrm policy list", "xfrm policy list ptype sub", "xfrm policy count", "xfrm policy flush ptype sub",
     "xfrm policy list", "xfrm policy flush", "xfrm policy list", "xfrm policy count"],
    ["xfrm policy add src 2001:db8::/64 dst 2001:db8:1::/64 proto udp dport 500 dir out tmpl src 2001:db8::1 dst 2001:db8:1::1 proto esp mode tunnel reqid 0x10",
     "xfrm policy add src 2001:db8::1/128 dst ::/0 proto ipv6-icmp type 135 dir in",
     "xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto icmp type 8 code 0 dir out tmpl proto esp tmpl proto ah",
     "xfrm policy add src 10.3.0.0/16 dst 10.4.0.0/16 proto gre key 1.2.3.4 dir out",
     "xfrm policy add src 10.5.0.0/16 dst 10.6.0.0/16 proto 99 dir out limit byte-soft 1000 limit packet-hard 50 limit time-use-hard 60",
     "xfrm policy list", "-s xfrm policy list", "xfrm policy list src 10.1.0.0/16",
     "xfrm policy deleteall dir in", "xfrm policy list"],
    ["xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir out index 17", "-s xfrm policy list",
     "xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir out",
     "xfrm policy get src 10.0.0.9 dst 10.0.0.2 dir out",
     "xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir out index 18",
     "xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir sideways",
     "xfrm policy add src 10.0.0.1 dst 10.0.0.2",
     "xfrm policy get dir in",
     "xfrm policy bogus"],
    ["xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp min 0x100 max 0x100",
     "xfrm state allocspi src 1.1.1.1 dst 2.2.2.3 proto ah mode tunnel reqid 7 min 0x200 max 0x200",
     "xfrm state allocspi src 2001:db8::1 dst 2001:db8::2 proto esp mode tunnel reqid 9 mark 7 min 0x300 max 0x300",
     "xfrm state list", "-s xfrm state list", "-d xfrm state list", "xfrm state count", "-s xfrm state count",
     "xfrm state get src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x100",
     "xfrm state delete src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x100",
     "xfrm state get src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x100",
     "xfrm state list", "xfrm state flush proto ah", "xfrm state list", "xfrm state flush", "xfrm state list"],
    ["xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000 reqid 1 mode tunnel enc cbc(aes) 0x00112233445566778899aabbccddeeff auth hmac(sha1) 0x0011223344556677889900112233445566778899",
     "xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 mode transport aead rfc4106(gcm(aes)) 0x0011223344556677889900112233445566778899 128 replay-window 32 flag noecn af-unspec sel src 10.0.0.1 dst 10.0.0.2",
     "xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1002 auth-trunc hmac(sha256) 0x00112233445566778899001122334455667788990011223344556677889900aa 128 enc cbc(aes) 0x00112233445566778899aabbccddeeff encap espinudp 4500 4500 0.0.0.0 limit time-hard 100 mark 3 if_id 9",
     "xfrm state update src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x1003 auth hmac(md5) 0x00112233445566778899aabbccddeeff",
     "xfrm state add src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x1004 comp deflate",
     "xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1005 enc cbc(aes) nothex",
     "xfrm state add src 10.0.0.1 dst 10.0.0.2 spi 0x1005",
     "xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp reqid 3 seq 5",
     "xfrm state allocspi src 1.1.1.1 dst 2.2.2.2 proto esp min 0x400 max 0x300",
     "xfrm state deleteall proto esp", "xfrm state list", "xfrm state get src 1.1.1.1 dst 2.2.2.2 proto esp",
     "xfrm state"],
    ["xfrm policy add src 10.9.0.0/16 dst 10.8.0.0/16 dir out", "-s -s xfrm policy count",
     "xfrm policy list nosock", "xfrm policy list action allow priority 0", "xfrm policy list index 1",
     "xfrm policy list flag localok", "xfrm monitor bogus", "xfrm state list nokeys", "xfrm policy help",
     "xfrm policy getdefault", "xfrm policy setdefault in block out accept", "xfrm policy getdefault",
     "xfrm policy setdefault fwd block", "-s xfrm policy getdefault",
     "xfrm policy set hthresh4 24 16 hthresh6 64 48", "-s -s xfrm policy count", "xfrm policy set hthresh4 33 0",
     "xfrm policy setdefault sideways block", "xfrm policy setdefault in maybe", "xfrm policy setdefault in"],
    ["@nobody xfrm policy list", "@nobody xfrm state list", "@nobody xfrm policy add dir out",
     "@nobody xfrm state count", "@nobody xfrm policy deleteall"],
]


def tap_calls(path):
    sent, got = [], []
    if not os.path.exists(path):
        return sent, got
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            call = r.get("call", "")
            if call.startswith("send") and r.get("data") is not None and r.get("ret", -1) > 0:
                sent.append(r["data"])
            elif call.startswith("recv") and r.get("data") and r.get("ret", -1) > 0 and not (r.get("flags", 0) & 2):
                got.append(r["data"][: 2 * r["ret"]])
    return sent, got


def main():
    so = sys.argv[1]
    out = sys.stdout
    for ci, case in enumerate(CASES):
        with tempfile.TemporaryDirectory() as d:
            script = []
            for li, line in enumerate(case):
                tap = os.path.join(d, f"{li}.tap")
                o, e, rc = (os.path.join(d, f"{li}.{x}") for x in ("out", "err", "rc"))
                words = line.split()
                # "@nobody ..." runs the command without privileges.
                pre = "setpriv --reuid=65534 --regid=65534 --clear-groups " if words[0] == "@nobody" else ""
                words = words[1:] if pre else words
                script.append(f"{pre}env NLTAP_LOG={tap} LD_PRELOAD={so} ip {' '.join(shlex.quote(a) for a in words)} >{o} 2>{e}; echo $? >{rc}")
            os.chmod(d, 0o777)
            subprocess.run(["unshare", "-n", "sh", "-c", "\n".join(script)], check=True, env={**os.environ, "TZ": "UTC"})
            for li, line in enumerate(case):
                sent, got = tap_calls(os.path.join(d, f"{li}.tap"))
                rd = lambda x: open(os.path.join(d, f"{li}.{x}")).read()
                out.write(json.dumps({"case": ci, "line": line, "sent": sent, "replies": got,
                                      "stdout": rd("out"), "stderr": rd("err"), "rc": int(rd("rc"))}) + "\n")


main()
