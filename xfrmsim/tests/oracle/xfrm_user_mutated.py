import sys, json, struct, random
sys.path.insert(0, '/work/shared/oracle')
from nlxfrm import *
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
L = []
def o(**kw): L.append(kw)
o(open='a'); o(setsockopt='a', level=270, name=11, int=1); o(bind='a', pid=4242)
o(open='mon'); o(bind='mon', pid=777, groups=0xff)
T = user_tmpl(dst='10.0.0.2', src='10.0.0.1', proto='esp', mode='tunnel', reqid=5)
esp = alg_attr(XFRMA_ALG_CRYPT, 'cbc(aes)', b'k'*16) + alg_attr(XFRMA_ALG_AUTH, 'hmac(sha1)', b'a'*20)
bases = [
  lambda s: newpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', tmpls=[T], seq=s, mark=(1, 0xff), if_id=3),
  lambda s: newpolicy(src='fd00::/64', dst='fd01::/64', dir='in', tmpls=[T], seq=s, ptype='sub'),
  lambda s: getpolicy(src='10.0.0.0/24', dst='10.0.1.0/24', dir='out', seq=s, mark=(1, 0xff), if_id=3),
  lambda s: delpolicy(dir='out', index=1, seq=s),
  lambda s: allocspi(src='1.1.1.1', dst='2.2.2.2', min=0x300, max=0x300, seq=s),
  lambda s: getsa(dst='2.2.2.2', spi=0x300, seq=s),
  lambda s: delsa(dst='2.2.2.2', spi=0x300, seq=s),
  lambda s: newsa(src='1.1.1.1', dst='2.2.2.2', spi=0x1001, seq=s, extra=esp),
  lambda s: newspdinfo(v4=(24, 16), v6=(64, 64), seq=s),
  lambda s: setdefault(1, 2, 2, seq=s),
  lambda s: flushsa(seq=s),
  lambda s: flushpolicy(seq=s),
  lambda s: getsadinfo(seq=s),
  lambda s: nlmsg(XFRM_MSG_GETAE, usersa_id('2.2.2.2', 0x300) + addr('1.1.1.1') + struct.pack('<II', 9, 0), seq=s),
  lambda s: nlmsg(XFRM_MSG_EXPIRE, usersa_info(daddr='2.2.2.2', spi=0x300, saddr='1.1.1.1') + struct.pack('<B7x', 1), seq=s),
]
for i in range(1, 400):
    b = bytearray(bases[random.randrange(len(bases))](i))
    k = random.random()
    if k < 0.35:
        for _ in range(random.randint(1, 4)):
            p = random.randrange(16, len(b)) if len(b) > 16 else 0
            if p not in (61, 62, 63): b[p] = random.randrange(256)
    elif k < 0.55:
        cut = random.randrange(16, len(b) + 1)
        b = b[:cut]; b[0:4] = struct.pack('<I', len(b))
    elif k < 0.7:
        # attribute with a random type/length appended
        b += nla(random.randrange(0, 45), bytes(random.randrange(256) for _ in range(random.randrange(0, 12))))
        b[0:4] = struct.pack('<I', len(b))
    elif k < 0.8:
        b[6:8] = struct.pack('<H', random.choice([0x1, 0x5, 0x301, 0x105, 0x0]))
    # 20% unchanged
    o(send='a', hex=bytes(b).hex())
for l in L: print(json.dumps(l))
