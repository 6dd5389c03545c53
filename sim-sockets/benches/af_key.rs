//! PF_KEY through the whole front end: SADB_ADD (send + the broadcast
//! read back), SADB_DUMP of 100 000 SAs, and one broadcast to 256 sockets.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::lockdep;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::af_key::PfKey;
use sim_sockets::af_key::wire::consts::*;
use sim_sockets::af_key::wire::{
    SadbAddressRepr, SadbExtRepr, SadbKeyRepr, SadbMessageRepr, SadbMsgRepr, SadbSaRepr, SockAddr,
};
use sim_sockets::socket::{AF_KEY, MSG_DONTWAIT, SOCK_RAW};
use sim_sockets::{Kernel, Socket, Task};

struct Bench {
    kernel: Kernel,
    _xfrm: Xfrm,
    _pfkey: PfKey,
    task: sim_core::sync::Arc<Task>,
}

fn setup() -> Bench {
    let kernel = Kernel::with_seed(1);
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).unwrap();
    let pfkey = PfKey::init(&kernel, &xfrm, &KernelProfile::FULL).unwrap();
    let task = kernel.root_task();
    Bench { kernel, _xfrm: xfrm, _pfkey: pfkey, task }
}

impl Bench {
    fn open(&self) -> Socket {
        self.task.socket(&self.kernel.init_net(), AF_KEY, SOCK_RAW, 2).unwrap()
    }
}

fn hdr(msg_type: u8, satype: u8, seq: u32) -> SadbMsgRepr {
    SadbMsgRepr { version: PF_KEY_V2, msg_type, satype, seq, pid: 1, ..Default::default() }
}

fn add(spi: u32) -> Vec<u8> {
    let a = |exttype, addr| {
        SadbExtRepr::Address(SadbAddressRepr {
            exttype,
            proto: 0,
            prefixlen: 32,
            reserved: 0,
            addr,
        })
    };
    SadbMessageRepr {
        header: hdr(SADB_ADD, SADB_SATYPE_ESP, spi),
        exts: vec![
            SadbExtRepr::Sa(SadbSaRepr {
                spi,
                replay: 32,
                state: 0,
                auth: 3,
                encrypt: 12,
                flags: 0,
            }),
            a(SADB_EXT_ADDRESS_SRC, SockAddr::v4([10, 0, 0, 1], 0)),
            a(
                SADB_EXT_ADDRESS_DST,
                SockAddr::v4([10, (spi >> 16) as u8, (spi >> 8) as u8, spi as u8], 0),
            ),
            SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_AUTH,
                bits: 160,
                reserved: 0,
                key: vec![1; 20],
            }),
            SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_ENCRYPT,
                bits: 128,
                reserved: 0,
                key: vec![2; 16],
            }),
        ],
    }
    .to_bytes()
}

fn sadb_add(c: &mut Criterion) {
    lockdep::set_enabled(false);
    let b = setup();
    let s = b.open();
    let net = b.kernel.init_net();
    let msgs: Vec<Vec<u8>> = (0..65_536u32).map(|i| add(0x1000 + i)).collect();
    let mut g = c.benchmark_group("af_key");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sadb_add_send_and_read_broadcast", |bch| {
        bch.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut i = 0u64;
            while i < iters {
                let n = (iters - i).min(msgs.len() as u64) as usize;
                let start = Instant::now();
                for m in &msgs[..n] {
                    s.sendto(&b.task, m, 0, None).unwrap();
                    s.recvmsg(&b.task, 4096, MSG_DONTWAIT).unwrap();
                }
                total += start.elapsed();
                net.xfrm.state.xfrm_state_flush(255).ok();
                i += n as u64;
            }
            total
        })
    });
    // The send alone: batches small enough that every broadcast is queued
    // (none dropped), read back outside the timed part.
    g.bench_function("sadb_add_send", |bch| {
        bch.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut i = 0u64;
            let mut next = 0usize;
            while i < iters {
                let n = (iters - i).min(128) as usize;
                if next + n > msgs.len() {
                    net.xfrm.state.xfrm_state_flush(255).ok();
                    next = 0;
                }
                let start = Instant::now();
                for m in &msgs[next..next + n] {
                    s.sendto(&b.task, m, 0, None).unwrap();
                }
                total += start.elapsed();
                while s.recvmsg(&b.task, 4096, MSG_DONTWAIT).is_ok() {}
                next += n;
                i += n as u64;
            }
            total
        })
    });
    g.finish();
}

fn sadb_dump(c: &mut Criterion) {
    lockdep::set_enabled(false);
    let b = setup();
    let s = b.open();
    for i in 0..100_000u32 {
        s.sendto(&b.task, &add(0x1000 + i), 0, None).unwrap();
        while s.recvmsg(&b.task, 4096, MSG_DONTWAIT).is_ok() {}
    }
    let dump = SadbMessageRepr { header: hdr(SADB_DUMP, 0, 1), exts: vec![] }.to_bytes();
    let mut g = c.benchmark_group("af_key");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("sadb_dump_100k_sas", |bch| {
        bch.iter(|| {
            s.sendto(&b.task, &dump, 0, None).unwrap();
            let mut n = 0;
            while s.recvmsg(&b.task, 4096, MSG_DONTWAIT).is_ok() {
                n += 1;
            }
            assert_eq!(n, 100_000);
        })
    });
    g.finish();
}

fn broadcast_256(c: &mut Criterion) {
    lockdep::set_enabled(false);
    let b = setup();
    let socks: Vec<Socket> = (0..256).map(|_| b.open()).collect();
    // X_PROMISC with satype 0: an ALL broadcast that changes nothing.
    let m = SadbMessageRepr { header: hdr(SADB_X_PROMISC, 0, 1), exts: vec![] }.to_bytes();
    let mut g = c.benchmark_group("af_key");
    g.bench_function("broadcast_to_256_sockets_and_read", |bch| {
        bch.iter(|| {
            socks[0].sendto(&b.task, &m, 0, None).unwrap();
            for s in &socks {
                s.recvmsg(&b.task, 4096, MSG_DONTWAIT).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, sadb_add, sadb_dump, broadcast_256);
criterion_main!(benches);
