//! Shared fixtures of the PF_KEY tests: a kernel with XFRM, PF_KEY and
//! inet sockets, and request builders written from the uapi layouts.
#![allow(dead_code)]

use sim_core::Errno;
use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::af_key::PfKey;
use sim_sockets::socket::{AF_KEY, MSG_DONTWAIT, SOCK_RAW};
use sim_sockets::{Kernel, Net, Socket, Task};

pub struct K {
    pub kernel: Kernel,
    pub xfrm: Xfrm,
    pub pfkey: PfKey,
    pub root: Arc<Task>,
}

pub fn kernel(profile: &'static KernelProfile) -> K {
    let kernel = Kernel::with_seed(1);
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).unwrap();
    let pfkey = PfKey::init(&kernel, &xfrm, profile).unwrap();
    sim_sockets::inet::inet_init(&kernel, &xfrm).unwrap();
    let root = kernel.root_task();
    K { kernel, xfrm, pfkey, root }
}

impl K {
    pub fn open(&self) -> Socket {
        self.open_in(&self.kernel.init_net())
    }
    pub fn open_in(&self, net: &Arc<Net>) -> Socket {
        self.root.socket(net, AF_KEY, SOCK_RAW, 2).unwrap()
    }
    pub fn send(&self, s: &Socket, m: &[u8]) -> Result<usize, Errno> {
        s.sendto(&self.root, m, 0, None)
    }
    pub fn recv(&self, s: &Socket) -> Option<Vec<u8>> {
        s.recvmsg(&self.root, 65536, MSG_DONTWAIT).ok().map(|m| m.data)
    }
    pub fn drain(&self, s: &Socket) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.recv(s)).collect()
    }
}

pub const ESP: u8 = 3;
pub const AH: u8 = 2;

pub fn msg(t: u8, satype: u8, seq: u32, exts: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = exts.concat();
    let len = ((16 + body.len()) / 8) as u16;
    let mut m = vec![2, t, 0, satype];
    m.extend_from_slice(&len.to_le_bytes());
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend_from_slice(&4242u32.to_le_bytes());
    m.extend_from_slice(&body);
    m
}

pub fn sa(spi: u32, auth: u8, enc: u8) -> Vec<u8> {
    let mut v = vec![2, 0, 1, 0];
    v.extend_from_slice(&spi.to_be_bytes());
    v.extend_from_slice(&[32, 0, auth, enc, 0, 0, 0, 0]);
    v
}

pub fn sin(a: [u8; 4], port: u16) -> Vec<u8> {
    let mut v = vec![2, 0];
    v.extend_from_slice(&port.to_be_bytes());
    v.extend_from_slice(&a);
    v.extend_from_slice(&[0; 8]);
    v
}

pub fn addr(et: u16, a: [u8; 4], plen: u8, proto: u8) -> Vec<u8> {
    let mut v = vec![3, 0];
    v.extend_from_slice(&et.to_le_bytes());
    v.extend_from_slice(&[proto, plen, 0, 0]);
    v.extend_from_slice(&sin(a, 0));
    v
}

pub fn key(et: u16, bits: u16, k: &[u8]) -> Vec<u8> {
    let mut kk = k.to_vec();
    kk.resize(k.len().div_ceil(8) * 8, 0);
    let mut v = (((8 + kk.len()) / 8) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&et.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&kk);
    v
}

pub fn sa2(mode: u8, reqid: u32) -> Vec<u8> {
    let mut v = vec![2, 0, 19, 0, mode, 0, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(&reqid.to_le_bytes());
    v
}

pub fn spirange(lo: u32, hi: u32) -> Vec<u8> {
    let mut v = vec![2, 0, 16, 0];
    v.extend_from_slice(&lo.to_le_bytes());
    v.extend_from_slice(&hi.to_le_bytes());
    v.extend_from_slice(&[0; 4]);
    v
}

/// `sadb_x_ipsecrequest` (length in bytes) with optional tunnel endpoints.
pub fn rq(proto: u16, mode: u8, level: u8, reqid: u32, tun: Option<([u8; 4], [u8; 4])>) -> Vec<u8> {
    let tail = tun.map(|(s, d)| [sin(s, 0), sin(d, 0)].concat()).unwrap_or_default();
    let mut v = ((16 + tail.len()) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&proto.to_le_bytes());
    v.extend_from_slice(&[mode, level, 0, 0]);
    v.extend_from_slice(&reqid.to_le_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&tail);
    v
}

pub fn pol(ptype: u16, dir: u8, id: u32, reqs: &[Vec<u8>]) -> Vec<u8> {
    let body = reqs.concat();
    let mut v = (((16 + body.len()) / 8) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&18u16.to_le_bytes());
    v.extend_from_slice(&ptype.to_le_bytes());
    v.extend_from_slice(&[dir, 0]);
    v.extend_from_slice(&id.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&body);
    v
}

pub const SRC: [u8; 4] = [10, 0, 0, 1];
pub const DST: [u8; 4] = [10, 0, 0, 2];

/// An ESP SA (hmac-sha1 + aes-cbc-128) SRC → `dst`.
pub fn esp_add(t: u8, seq: u32, spi: u32, dst: [u8; 4]) -> Vec<u8> {
    msg(
        t,
        ESP,
        seq,
        &[
            sa(spi, 3, 12),
            addr(5, SRC, 32, 0),
            addr(6, dst, 32, 0),
            key(8, 160, &[0x11; 20]),
            key(9, 128, &[0x22; 16]),
            sa2(1, 7),
        ],
    )
}

/// The 16-byte error reply to `req`.
pub fn error_reply(req: &[u8], errno: u8) -> Vec<u8> {
    let mut e = req[..16].to_vec();
    e[2] = errno;
    e[4..6].copy_from_slice(&2u16.to_le_bytes());
    e
}
