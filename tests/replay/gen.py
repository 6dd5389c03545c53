#!/usr/bin/env python3
"""Writes the NETLINK_XFRM differential scripts (replay protocol) of this
folder.  Requests are built with the oracle's nlxfrm.py builders, which are
byte-identical to iproute2's for the same command.

    python3 gen.py [ORACLE_DIR]      # default: ../../../shared/oracle

Then record each script twice on the host kernel (root, fresh netns):
    unshare -n python3 ORACLE/replay/replay_kernel.py < X.jsonl > X.kernel1.jsonl
    unshare -n python3 ORACLE/replay/replay_kernel.py < X.jsonl > X.kernel2.jsonl
(record.sh does both for every script).
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', '..', 'shared', 'oracle')
sys.path.insert(0, ORACLE)
import nlxfrm as X  # noqa: E402

SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 1, 11, 10
ALL_GROUPS = 0xff  # XFRMNLGRP_ACQUIRE .. XFRMNLGRP_MAPPING as a bind mask


class Script:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.seq = 0

    def add(self, **kw):
        self.lines.append(kw)

    def open(self, name, **kw):
        self.add(open=name, **kw)

    def bind(self, name, pid=0, groups=0):
        self.add(bind=name, pid=pid, groups=groups)

    def opt(self, name, opt, val, level=SOL_NETLINK):
        self.add(setsockopt=name, level=level, name=opt, int=val)

    def send(self, sock, *msgs):
        """Sends one datagram holding the messages; a message built with
        seq 0 gets the next sequence number."""
        data = b''
        for m in msgs:
            if struct.unpack_from('<I', m, 8)[0] == 0:
                self.seq += 1
                m = m[:8] + struct.pack('<I', self.seq) + m[12:]
            data += m
        self.add(send=sock, hex=data.hex())

    def raw(self, sock, data):
        self.add(send=sock, hex=data.hex())

    def write(self):
        with open(os.path.join(HERE, self.name + '.jsonl'), 'w') as f:
            for l in self.lines:
                f.write(json.dumps(l, separators=(',', ':')) + '\n')


def std(name, listener=True):
    """Requester A (port 1000, extended ACKs like iproute2) and a listener L
    on every XFRM group (port 2000)."""
    s = Script(name)
    s.open('A')
    s.bind('A', pid=1000)
    s.opt('A', NETLINK_EXT_ACK, 1)
    if listener:
        s.open('L')
        s.bind('L', pid=2000, groups=ALL_GROUPS)
    return s


ACK = X.NLM_F_REQUEST | X.NLM_F_ACK
REQ = X.NLM_F_REQUEST


def tmpl4(**kw):
    kw.setdefault('dst', '192.0.2.2')
    kw.setdefault('src', '192.0.2.1')
    return X.user_tmpl(**kw)


def tmpl6(**kw):
    kw.setdefault('dst', '2001:db8::2')
    kw.setdefault('src', '2001:db8::1')
    return X.user_tmpl(**kw)


def policies():
    s = std('policy_ops')
    P = X.newpolicy
    # v4: plain, ports/proto, templates, priorities, actions
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))
    s.send('A', P(src='10.0.1.0/24', dst='10.0.0.0/24', dir='in', priority=100))
    s.send('A', P(src='10.0.1.0/24', dst='10.0.0.0/24', dir='fwd', action='block'))
    s.send('A', P(src='10.1.0.1/32', dst='10.2.0.1/32', dir='out', proto='tcp', sport=1234, dport=80,
                  tmpls=[tmpl4(mode='tunnel', reqid=7)]))
    s.send('A', P(src='10.1.0.2/32', dst='10.2.0.2/32', dir='out', priority=0xfffffff0,
                  tmpls=[tmpl4(proto='comp', mode='tunnel'),
                         tmpl4(proto='ah', mode='transport', dst='0.0.0.0', src='0.0.0.0'),
                         tmpl4(proto='esp', mode='transport', dst='0.0.0.0', src='0.0.0.0', reqid=3)]))
    s.send('A', P(src='10.1.0.3/32', dst='10.2.0.3/32', dir='in', proto='udp', dport=4500,
                  tmpls=[tmpl4(mode='tunnel', optional=1, reqid=0x1234)]))
    # v6
    s.send('A', P(src='2001:db8:1::/48', dst='2001:db8:2::/48', dir='out',
                  tmpls=[tmpl6(mode='tunnel', reqid=9)]))
    s.send('A', P(src='2001:db8:2::/48', dst='2001:db8:1::/48', dir='in', priority=5))
    s.send('A', P(src='::/0', dst='2001:db8::5/128', dir='fwd', proto='ipv6-icmp'))
    s.send('A', P(src='2001:db8::1/128', dst='2001:db8::2/128', dir='out', tmpls=[tmpl6(mode='beet')]))
    # sub policies, marks, if_id
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', ptype='sub'))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(2, 0xff)))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(0x102, 0xff)))  # EEXIST
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(0x1ff02, 0xffff)))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', if_id=42))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', if_id=42, mark=(7, 0xffffffff)))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))  # EEXIST
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', priority=9))  # EEXIST
    # explicit indexes
    s.send('A', P(src='10.9.0.0/16', dst='10.8.0.0/16', dir='in', index=0x100))
    s.send('A', P(src='10.9.0.0/16', dst='10.8.0.0/16', dir='fwd', index=0x100 + 2))
    s.send('A', P(src='10.9.0.0/16', dst='10.8.0.0/16', dir='out', index=0x200 + 1))
    s.send('A', P(src='10.9.1.0/24', dst='10.8.1.0/24', dir='out', index=0x200 + 1))  # taken: generated
    # gets: by selector, by index, with marks, with ACK flag, sub type
    G = X.getpolicy
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', nlflags=ACK))
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(2, 0xff)))
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(0x102, 0xff)))  # ENOENT
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', ptype='sub'))
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', if_id=42))
    s.send('A', G(src='10.0.0.0/24', dst='10.0.1.0/24', dir='in'))  # ENOENT
    s.send('A', G(index=1, dir='out'))
    s.send('A', G(index=8, dir='in'))
    s.send('A', G(index=0x100, dir='in'))
    s.send('A', G(index=0x999, dir='out'))  # ENOENT
    s.send('A', G(src='2001:db8:1::/48', dst='2001:db8:2::/48', dir='out'))
    s.send('A', X.dump_policy())
    # update: existing (keeps index, moves to the front), new (creates)
    U = X.updpolicy
    s.send('A', U(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', priority=77, action='block'))
    s.send('A', U(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', if_id=42, priority=5,
                  tmpls=[tmpl4(mode='tunnel')]))
    s.send('A', U(src='10.5.0.0/24', dst='10.6.0.0/24', dir='in', priority=3))
    s.send('A', U(src='2001:db8:2::/48', dst='2001:db8:1::/48', dir='in', ptype='sub'))
    s.send('A', X.dump_policy())
    # delete: by selector, by index, marks, sub, missing
    D = X.delpolicy
    s.send('A', D(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(2, 0xff)))
    s.send('A', D(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', mark=(2, 0xff)))  # ENOENT
    s.send('A', D(index=8, dir='in'))
    s.send('A', D(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', ptype='sub'))
    s.send('A', D(src='2001:db8::1/128', dst='2001:db8::2/128', dir='out'))
    s.send('A', D(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', nlflags=REQ))
    s.send('A', D(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', nlflags=REQ))  # ENOENT, no ACK flag
    s.send('A', X.dump_policy())
    # flush: sub only, then main, then empty (ACK, no notification)
    s.send('A', X.flushpolicy(ptype='sub'))
    s.send('A', X.dump_policy())
    s.send('A', X.flushpolicy())
    s.send('A', X.dump_policy())
    s.send('A', X.flushpolicy())
    # several requests in one datagram, and a small receive buffer for a dump
    s.send('A', P(src='10.7.0.1/32', dst='10.7.0.2/32', dir='out'),
           P(src='10.7.0.1/32', dst='10.7.0.2/32', dir='out'),
           P(src='10.7.0.2/32', dst='10.7.0.1/32', dir='in', nlflags=REQ),
           G(src='10.7.0.2/32', dst='10.7.0.1/32', dir='in'))
    s.open('S', recvsize=100)
    s.bind('S', pid=3000)
    s.send('S', X.dump_policy())
    s.send('S', X.dump_policy(seq=77, pid=3000))
    s.send('A', X.flushpolicy())
    return s


def dump_big(n=2100):
    s = std('policy_dump_2k', listener=False)
    batch = []
    for i in range(n):
        # exact (hashed) and prefix (inexact) selectors, v4 and v6, all dirs
        d = ('out', 'in', 'fwd')[i % 3]
        if i % 4 == 3:
            m = X.newpolicy(src='2001:db8:%x::/48' % i, dst='2001:db9::%x/128' % i, dir=d,
                            priority=i, nlflags=REQ)
        elif i % 2:
            m = X.newpolicy(src='10.%d.%d.0/24' % (i >> 8, i & 255), dst='172.16.0.0/12', dir=d,
                            priority=i, nlflags=REQ)
        else:
            m = X.newpolicy(src='10.%d.%d.1/32' % (i >> 8, i & 255), dst='192.168.0.1/32', dir=d,
                            priority=i, tmpls=[tmpl4(reqid=i)] if i % 10 == 0 else (), nlflags=REQ)
        batch.append(m)
        if len(batch) == 100:
            s.send('A', *batch)
            batch = []
    if batch:
        s.send('A', *batch)
    s.send('A', X.getspdinfo())
    s.send('A', X.dump_policy())
    # a second reader with 16 KiB reads, a third with 4 KiB
    s.open('B', recvsize=16384)
    s.bind('B', pid=1001)
    s.send('B', X.dump_policy())
    s.open('C', recvsize=4096)
    s.bind('C', pid=1002)
    s.send('C', X.getspdinfo())
    s.send('C', X.dump_policy())
    s.send('A', X.delpolicy(src='10.0.1.0/24', dst='172.16.0.0/12', dir='in'))
    s.send('A', X.delpolicy(src='10.0.2.1/32', dst='192.168.0.1/32', dir='fwd'))
    s.send('A', X.flushpolicy())
    s.send('A', X.getspdinfo())
    s.send('A', X.dump_policy())
    return s


def larval():
    s = std('sa_larval')
    A = X.allocspi
    s.send('A', A(src='1.1.1.1', dst='2.2.2.2', min=0x1000, max=0x1000))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.2', min=0x1000, max=0x1000))  # ENOENT, leaves an SPI-0 state
    s.send('A', A(src='1.1.1.1', dst='2.2.2.2', min=0x1001, max=0x1001))  # reuses it
    s.send('A', A(src='1.1.1.1', dst='2.2.2.3', min=0x1001, max=0x1001))  # SPI taken in the netns
    s.send('A', A(src='1.1.1.1', dst='2.2.2.3', min=0x1001, max=0x1001, proto='ah'))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.4', min=1, max=1, proto='comp', mode='tunnel'))
    s.send('A', A(src='2001:db8::1', dst='2001:db8::2', min=0x2000, max=0x2000, reqid=5))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.5', min=0x3000, max=0x3000, mark=(5, 0xff), if_id=9))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.6', min=0x4000, max=0x4000, nlflags=ACK))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.7', min=0, max=0))  # ENOENT
    s.send('A', A(src='1.1.1.1', dst='2.2.2.8', min=0x5000, max=0x5fff))  # random SPI
    s.send('A', A(src='1.1.1.1', dst='2.2.2.11', min=0x6002, max=0x6002, seq_=1234, reqid=77))
    G = X.getsa
    s.send('A', G(dst='2.2.2.2', spi=0x1000))
    s.send('A', G(dst='2.2.2.2', spi=0x1001, nlflags=ACK))
    s.send('A', G(dst='2.2.2.3', spi=0x1001, proto='ah'))
    s.send('A', G(dst='2.2.2.3', spi=0x1001))  # ESRCH
    s.send('A', G(dst='2.2.2.4', spi=1, proto='comp'))
    s.send('A', G(dst='2001:db8::2', spi=0x2000))
    s.send('A', G(dst='2.2.2.5', spi=0x3000))  # ESRCH: mark needed
    s.send('A', G(dst='2.2.2.5', spi=0x3000, mark=(5, 0xff)))
    s.send('A', G(dst='2.2.2.2', spi=0x1000, family=99))  # ESRCH
    s.send('A', G(dst='9.9.9.9', spi=0x1000))  # ESRCH
    s.send('A', G(dst='2.2.2.2', spi=0x1000, proto='tcp'))  # EINVAL
    s.send('A', X.dump_sa())
    s.send('A', X.getsadinfo())
    D = X.delsa
    s.send('A', D(dst='2.2.2.2', spi=0x1000))
    s.send('A', D(dst='2.2.2.2', spi=0x1000))  # ESRCH
    s.send('A', D(dst='2.2.2.3', spi=0x1001, proto='ah', nlflags=REQ))
    s.send('A', D(dst='2.2.2.5', spi=0x3000, mark=(5, 0xff)))
    s.send('A', D(dst='2001:db8::2', spi=0x2000))
    s.send('A', X.dump_sa())
    s.send('A', X.flushsa(proto='ah'))  # nothing of AH left: ACK, no notification
    s.send('A', X.flushsa(proto='comp'))
    s.send('A', X.dump_sa())
    s.send('A', X.getsadinfo())
    s.send('A', X.flushsa())
    s.send('A', X.flushsa())
    s.send('A', X.dump_sa())
    s.send('A', X.getsadinfo())
    return s


def larval_odd():
    """ALLOCSPI accepts family 99 and mode 9 (README); the larval state of
    an unknown family keeps no addresses (__find_acq_core copies them per
    family only)."""
    s = std('sa_larval_odd')
    A, G = X.allocspi, X.getsa
    s.send('A', A(src='1.1.1.1', dst='2.2.2.9', min=0x6000, max=0x6000, family=99))
    s.send('A', A(src='1.1.1.1', dst='2.2.2.10', min=0x6001, max=0x6001, mode=9))
    s.send('A', G(dst='2.2.2.9', spi=0x6000, family=99))
    s.send('A', G(dst='0.0.0.0', spi=0x6000, family=99))
    s.send('A', G(dst='2.2.2.10', spi=0x6001))
    s.send('A', X.dump_sa())
    s.send('A', X.delsa(dst='0.0.0.0', spi=0x6000, family=99))
    s.send('A', X.flushsa())
    s.send('A', X.dump_sa())
    return s


def info():
    s = std('spd_sad_info')
    s.send('A', X.getspdinfo())
    s.send('A', X.getsadinfo())
    s.send('A', X.getspdinfo(nlflags=ACK))
    s.send('A', X.getsadinfo(nlflags=X.NLM_F_REQUEST | X.NLM_F_DUMP))
    s.send('A', X.newspdinfo(v4=(24, 16)))
    s.send('A', X.getspdinfo())
    s.send('A', X.newspdinfo(v6=(64, 48)))
    s.send('A', X.newspdinfo(v4=(32, 32), v6=(128, 128)))
    s.send('A', X.getspdinfo())
    s.send('A', X.newspdinfo(v4=(33, 0)))  # EINVAL
    s.send('A', X.newspdinfo(v6=(0, 129)))  # EINVAL
    s.send('A', X.newspdinfo(v4=(0, 0), v6=(0, 0)))
    s.send('A', X.newspdinfo())
    for i, d in enumerate(('out', 'in', 'fwd', 'out', 'in')):
        s.send('A', X.newpolicy(src='10.3.%d.0/24' % i, dst='10.4.0.0/16', dir=d, nlflags=REQ))
    s.send('A', X.newpolicy(src='10.3.9.1/32', dst='10.4.0.1/32', dir='out', nlflags=REQ))
    s.send('A', X.newpolicy(src='2001:db8::/64', dst='2001:db8:1::/64', dir='in', nlflags=REQ))
    s.send('A', X.newpolicy(src='10.3.9.1/32', dst='10.4.0.1/32', dir='out', ptype='sub', nlflags=REQ))
    s.send('A', X.getspdinfo())
    s.send('A', X.newspdinfo(v4=(8, 8)))  # rehash with policies present
    s.send('A', X.getspdinfo())
    for i in range(3):
        s.send('A', X.allocspi(dst='3.3.3.%d' % i, min=0x700 + i, max=0x700 + i))
    s.send('A', X.getsadinfo())
    s.send('A', X.getdefault())
    s.send('A', X.setdefault(in_=1, fwd=2, out=2))
    s.send('A', X.getdefault())
    s.send('A', X.setdefault(in_=3))
    s.send('A', X.getdefault())
    s.send('A', X.setdefault(in_=2, fwd=2, out=2))
    s.send('A', X.flushpolicy())
    s.send('A', X.flushsa())
    s.send('A', X.getspdinfo())
    s.send('A', X.getsadinfo())
    return s


def notify():
    s = std('notify')
    # a listener joined by setsockopt, one on the policy group only, one in
    # another netns, and the requester listening on its own notifications
    s.open('M')
    s.bind('M', pid=2001)
    s.opt('M', NETLINK_ADD_MEMBERSHIP, X.XFRMNLGRP_SA)
    s.open('P')
    s.bind('P', pid=2002, groups=1 << (X.XFRMNLGRP_POLICY - 1))
    s.open('O', netns='other')
    s.bind('O', pid=2000, groups=ALL_GROUPS)
    s.open('R')
    s.bind('R', pid=1500, groups=ALL_GROUPS)
    P = X.newpolicy
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', tmpls=[tmpl4(mode='tunnel')]))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='in', nlflags=REQ, seq=55, pid=4321))
    s.send('A', X.updpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', priority=3))
    s.send('A', X.updpolicy(src='10.0.2.0/24', dst='10.0.3.0/24', dir='fwd'))
    s.send('R', P(src='10.0.4.0/24', dst='10.0.5.0/24', dir='out', mark=(1, 1), if_id=3))
    s.send('A', P(src='10.0.4.0/24', dst='10.0.5.0/24', dir='out', mark=(1, 1), if_id=3))  # EEXIST: none
    s.send('A', X.getpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))  # no notification
    s.send('A', X.delpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='in'))
    s.send('A', X.delpolicy(index=1, dir='out', seq=900, pid=0))
    s.send('A', P(src='2001:db8::/64', dst='2001:db8:1::/64', dir='in', ptype='sub'))
    s.send('A', X.flushpolicy(ptype='sub'))
    s.send('A', X.flushpolicy())
    s.send('A', X.flushpolicy())  # empty: no notification
    s.send('A', X.allocspi(dst='4.4.4.4', min=0x900, max=0x900))  # no notification
    s.send('A', X.allocspi(dst='4.4.4.5', min=0x901, max=0x901, proto='ah'))
    s.send('A', X.getsa(dst='4.4.4.4', spi=0x900))
    s.send('A', X.delsa(dst='4.4.4.4', spi=0x900))
    s.send('A', X.delsa(dst='4.4.4.4', spi=0x900))  # ESRCH: none
    s.send('A', X.flushsa(proto='esp'))  # empty of ESP: none
    s.send('A', X.flushsa())
    s.send('A', X.newspdinfo(v4=(20, 20)))  # no notification
    s.send('A', X.setdefault(in_=1, fwd=1, out=2))
    s.send('A', X.setdefault(in_=1, fwd=1, out=2))  # unchanged: notifies again
    s.send('A', X.setdefault(in_=2, fwd=2, out=2))
    # membership changes
    s.add(setsockopt='P', level=SOL_NETLINK, name=2, int=X.XFRMNLGRP_POLICY)  # DROP_MEMBERSHIP
    s.send('A', P(src='10.0.6.0/24', dst='10.0.7.0/24', dir='out'))
    s.close_ = None
    s.add(close='L')
    s.send('A', X.delpolicy(src='10.0.6.0/24', dst='10.0.7.0/24', dir='out'))
    # the other namespace gets its own
    s.open('Z', netns='other')
    s.bind('Z', pid=1000)
    s.send('Z', P(src='10.0.8.0/24', dst='10.0.9.0/24', dir='out'))
    s.send('Z', X.flushpolicy())
    return s


def larval_expiry():
    """A larval state expires after xfrm_acq_expires (30 s) with a hard
    EXPIRE on XFRMNLGRP_EXPIRE."""
    s = std('larval_expiry')
    s.send('A', X.allocspi(dst='4.4.4.6', min=0x902, max=0x902))
    s.add(advance_ms=29500)
    s.send('A', X.getsa(dst='4.4.4.6', spi=0x902))
    s.add(advance_ms=1500)
    s.send('A', X.getsa(dst='4.4.4.6', spi=0x902))
    s.send('A', X.dump_sa())
    return s


def unprivileged():
    s = std('unprivileged')
    s.open('U', privileged=False)
    s.bind('U', pid=5000)
    s.bind('U', pid=5000, groups=ALL_GROUPS)  # EPERM
    s.opt('U', NETLINK_ADD_MEMBERSHIP, X.XFRMNLGRP_POLICY)  # EPERM
    s.opt('U', NETLINK_EXT_ACK, 1)
    s.send('A', X.newpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))
    s.send('A', X.allocspi(dst='5.5.5.5', min=0x100, max=0x100))
    s.send('U', X.newpolicy(src='10.1.0.0/24', dst='10.1.1.0/24', dir='out'))
    s.send('U', X.getpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))
    s.send('U', X.getpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', nlflags=ACK))
    s.send('U', X.dump_policy())
    s.send('U', X.dump_sa())
    s.send('U', X.getsa(dst='5.5.5.5', spi=0x100))
    s.send('U', X.allocspi(dst='5.5.5.6', min=0x101, max=0x101))
    s.send('U', X.delpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out'))
    s.send('U', X.flushpolicy())
    s.send('U', X.flushsa())
    s.send('U', X.getsadinfo())
    s.send('U', X.getspdinfo())
    s.send('U', X.newspdinfo(v4=(1, 1)))
    s.send('U', X.getdefault())
    s.send('U', X.setdefault(in_=1))
    s.send('U', X.nlmsg(0x30, b'\0' * 8))  # above XFRM_MSG_MAX: EINVAL before the capability check
    s.send('U', X.nlmsg(0x29))
    s.send('U', X.nlmsg(0x05))  # control type: ignored, ACKed
    s.send('U', X.nlmsg(X.XFRM_MSG_GETPOLICY, b'\0' * 4))  # short: EPERM first
    s.add(setsockopt='U', level=SOL_NETLINK, name=NETLINK_CAP_ACK, int=1)
    s.send('U', X.newpolicy(src='10.1.0.0/24', dst='10.1.1.0/24', dir='out'))
    # another namespace: unprivileged there too; the privileged one works
    s.open('V', netns='n2', privileged=False)
    s.bind('V', pid=5001)
    s.send('V', X.dump_policy())
    s.open('W', netns='n2')
    s.bind('W', pid=5002)
    s.send('W', X.newpolicy(src='10.2.0.0/24', dst='10.2.1.0/24', dir='out'))
    s.send('W', X.dump_policy())
    s.send('V', X.getspdinfo())
    # nothing of U's reached the tables
    s.send('A', X.dump_policy())
    s.send('A', X.dump_sa())
    s.send('A', X.flushpolicy())
    s.send('A', X.flushsa())
    return s


def malformed():
    s = std('malformed')
    P, G, D = X.newpolicy, X.getpolicy, X.delpolicy
    good = P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out')
    cases = [
        # headers
        X.nlmsg(X.XFRM_MSG_NEWPOLICY)[:12],  # < 16 bytes: no reply
        struct.pack('<IHHII', 8, 0x13, 5, 0, 0),  # nlmsg_len < 16: no reply
        struct.pack('<IHHII', 400, 0x13, 5, 0, 0) + b'\0' * 40,  # nlmsg_len > datagram: no reply
        X.nlmsg(0x30, b'\0' * 8),
        X.nlmsg(0x29),
        X.nlmsg(0x05),
        X.nlmsg(X.XFRM_MSG_GETSADINFO, b'\0' * 4, flags=0),  # no NLM_F_REQUEST: ignored
        X.nlmsg(X.XFRM_MSG_NEWPOLICY, good[16:100]),  # short fixed struct
        X.nlmsg(X.XFRM_MSG_GETPOLICY, b'\0' * 10),
        X.nlmsg(X.XFRM_MSG_ALLOCSPI, b'\0' * 200),
        X.nlmsg(X.XFRM_MSG_GETSA, b'\0' * 20),
        X.nlmsg(X.XFRM_MSG_FLUSHSA),
        X.nlmsg(X.XFRM_MSG_NEWSPDINFO),
        # policy fields
        P(src='10.0.0.0/24', dst='10.0.1.0/24', dir=3),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', dir=255),
        G(src='10.0.0.0/24', dst='10.0.1.0/24', dir=7),
        D(src='10.0.0.0/24', dst='10.0.1.0/24', dir=3),
        P(sel=X.selector('10.0.0.0/24', '10.0.1.0/24', family=99)),
        P(sel=X.selector('10.0.0.0/24', '10.0.1.0/24', family=0)),
        P(sel=X.selector('10.0.0.0/24', '10.0.1.0/24', prefixlen_d=33)),
        P(sel=X.selector('2001:db8::/64', '2001:db8:1::/64', prefixlen_s=129)),
        P(sel=X.selector('2001:db8::/64', '2001:db8:1::/64', prefixlen_d=255)),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', action=2),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', share=4),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='in', index=0x101),
        # attributes
        P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(X.XFRMA_MARK, b'\1\0\0\0')),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(X.XFRMA_POLICY_TYPE, b'\1\0')),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(X.XFRMA_TMPL, b'')),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', ptype=2),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', ptype=255),
        X.flushpolicy(ptype=7),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', tmpls=[tmpl4(proto='tcp')]),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', tmpls=[tmpl4(proto=255)]),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', tmpls=[tmpl4(mode=6)]),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', tmpls=[tmpl4(mode=255)]),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', tmpls=[tmpl4()] * 7),
        P(src='2001:db8::/64', dst='2001:db8:1::/64', tmpls=[tmpl4(mode='transport')]),
        P(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', tmpls=[tmpl4(mode='tunnel', optional=1)]),
        # SA side
        X.getsa(dst='2.2.2.2', spi=0x100, proto='tcp'),
        X.allocspi(min=0x200, max=0x100),
        X.allocspi(proto='comp', min=0x100, max=0x10000),
        X.allocspi(proto=0),
        X.allocspi(proto='tcp'),
        X.newspdinfo(v4=(33, 1)),
        X.newspdinfo(v6=(1, 129)),
        X.newspdinfo(extra=X.nla(X.XFRMA_SPD_IPV4_HTHRESH, b'\1')),
        X.nlmsg(X.XFRM_MSG_REPORT, b'\0' * 80),
        X.nlmsg(X.XFRM_MSG_NEWSADINFO, b'\0' * 4),
        X.nlmsg(X.XFRM_MSG_MAPPING, b'\0' * 80),
        X.nlmsg(X.XFRM_MSG_MIGRATE, X.userpolicy_id()),
        X.nlmsg(X.XFRM_MSG_ACQUIRE, b'\0' * 300),
        X.nlmsg(X.XFRM_MSG_POLEXPIRE, b'\0' * 200),
        X.nlmsg(X.XFRM_MSG_EXPIRE, b'\0' * 250),
        X.nlmsg(X.XFRM_MSG_GETAE, b'\0' * 60),
        X.nlmsg(X.XFRM_MSG_NEWAE, b'\0' * 60),
        X.nlmsg(X.XFRM_MSG_GETSA, b'\0' * 24 + X.nla(0x7fff, b'')),
        # accepted oddities (reply bytes still compared)
        P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(60, b'\0' * 4) + X.nla(0, b'')),
        P(src='10.0.0.1/24', dst='10.0.1.0/24', flags=0xff),
        good + b'\0\0',
        good[:-4] + struct.pack('<HH', 100, 60),  # attribute overruns
        P(src='10.0.2.0/24', dst='10.0.3.0/24', extra=X.nla(X.XFRMA_TMPL, tmpl4() + b'\0' * 8)),
        X.setdefault(in_=3),
    ]
    for c in cases:
        if struct.unpack_from('<I', c, 8)[0] == 0 and len(c) >= 16:
            s.send('A', c)
        else:
            s.raw('A', c)
    s.add(send='A', hex='')  # zero-length send: ENODATA
    # the same with NETLINK_CAP_ACK and without extended ACKs
    s.opt('A', NETLINK_CAP_ACK, 1)
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', dir=3))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24'))  # EEXIST
    s.opt('A', NETLINK_EXT_ACK, 0)
    s.opt('A', NETLINK_CAP_ACK, 0)
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', share=4))
    s.send('A', X.allocspi(min=0x200, max=0x100))
    # a bad message in the middle of a batch stops nothing before it
    s.send('A', P(src='10.0.4.0/24', dst='10.0.5.0/24'), P(src='10.0.4.0/24', dst='10.0.5.0/24', dir=9),
           P(src='10.0.6.0/24', dst='10.0.7.0/24'))
    s.send('A', X.dump_policy())
    s.send('A', X.flushpolicy())
    s.send('A', X.flushsa())
    return s


def malformed_policy_nest():
    """Attribute errors whose extended ACK also carries the attribute's
    policy (NLMSGERR_ATTR_POLICY)."""
    s = std('malformed_policy_nest')
    P = X.newpolicy
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(X.XFRMA_IF_ID, b'\1\0')))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla_u32(X.XFRMA_SA_DIR, 1)))
    s.send('A', P(src='10.0.0.0/24', dst='10.0.1.0/24', extra=X.nla(X.XFRMA_SA_DIR, b'\3')))
    s.send('A', X.allocspi(extra=X.nla(X.XFRMA_IF_ID, b'\1')))
    s.send('A', X.getsa(dst='2.2.2.2', spi=0x100, extra=X.nla(X.XFRMA_MARK, b'\1\0\0\0')))
    return s


def newsa_errors():
    """NEWSA/UPDSA validation that comes before the type lookup (the host
    kernel has no ESP/AH/IPComp, so every valid SA ends in EPROTONOSUPPORT
    there; valid adds are checked in xfrm_diff.rs against the uapi)."""
    s = std('newsa_errors')
    N = X.newsa
    auth = X.alg_attr(X.XFRMA_ALG_AUTH, 'hmac(sha1)', b'k' * 20)
    crypt = X.alg_attr(X.XFRMA_ALG_CRYPT, 'cbc(aes)', b'c' * 16)
    s.send('A', N(proto='esp'))
    s.send('A', N(proto='ah'))
    s.send('A', N(proto='comp', spi=5))
    s.send('A', N(proto='tcp', extra=auth))
    s.send('A', N(family=99, extra=auth + crypt))
    s.send('A', N(mode=7, extra=auth + crypt))
    s.send('A', N(extra=X.alg_attr(X.XFRMA_ALG_CRYPT, 'nosuchalg', b'c' * 16)))
    s.send('A', N(proto='route2', dst='2001:db8::2', src='2001:db8::1', family=10))
    s.send('A', N(extra=auth + crypt))
    s.send('A', N(extra=auth + crypt, update=True))
    s.send('A', X.nlmsg(X.XFRM_MSG_NEWSA, b'\0' * 100))
    s.send('A', X.dump_sa())
    return s


ALL = [policies, dump_big, larval, larval_odd, info, notify, larval_expiry, unprivileged, malformed,
       malformed_policy_nest, newsa_errors]

if __name__ == '__main__':
    for f in ALL:
        f().write()
