//! Netlink round trip (sendmsg → kernel input → unicast reply → recvmsg)
//! and broadcast fan-out.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::lockdep;
use sim_sockets::Kernel;
use sim_sockets::netlink::af_netlink::nlmsg_multicast;
use sim_sockets::netlink::wire::{NLM_F_REQUEST, NlMsgHdrRepr, SockaddrNl};
use sim_sockets::netlink::{NetlinkInput, NetlinkKernelCfg, netlink_rcv_skb, nlmsg_unicast};
use sim_sockets::skbuff::{SkBuff, SkBuffMut};
use sim_sockets::socket::{AF_NETLINK, MSG_DONTWAIT, SOCK_RAW};

const PROTO: i32 = 25;

fn kernel() -> Kernel {
    let k = Kernel::with_seed(1);
    k.register_netlink_protocol(PROTO, |_, _| NetlinkKernelCfg {
        input: Some(NetlinkInput::new(|rcv| {
            netlink_rcv_skb(rcv, |rcv, nlh, _| {
                let mut skb = SkBuffMut::alloc(nlh.len() as usize);
                skb.put_slice(nlh.as_bytes());
                nlmsg_unicast(rcv.ksk, skb.finish(), rcv.skb.cb.portid)
            })
        })),
        ..Default::default()
    })
    .unwrap();
    k
}

fn round_trip(c: &mut Criterion) {
    for validator in [false, true] {
        lockdep::set_enabled(validator);
        let k = kernel();
        let net = k.init_net();
        let t = k.root_task();
        let s = t.socket(&net, AF_NETLINK, SOCK_RAW, PROTO).unwrap();
        s.bind(&t, &SockaddrNl::new(0, 0).to_bytes()).unwrap();
        let hdr = NlMsgHdrRepr { len: 100, msg_type: 0x10, flags: NLM_F_REQUEST, seq: 1, pid: 0 };
        let mut m = hdr.to_bytes().to_vec();
        m.resize(100, 0xab);
        let name = if validator { "round_trip_100B_lockdep_on" } else { "round_trip_100B" };
        c.bench_function(name, |b| {
            b.iter(|| {
                s.sendto(&t, &m, 0, None).unwrap();
                let r = s.recvmsg(&t, 4096, MSG_DONTWAIT).unwrap();
                assert_eq!(r.ret, 100);
            })
        });
    }
    lockdep::set_enabled(true);
}

fn broadcast(c: &mut Criterion) {
    const LISTENERS: usize = 256;
    lockdep::set_enabled(false);
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let socks: Vec<_> = (0..LISTENERS)
        .map(|_| {
            let s = t.socket(&net, AF_NETLINK, SOCK_RAW, PROTO).unwrap();
            s.bind(&t, &SockaddrNl::new(0, 1).to_bytes()).unwrap();
            s
        })
        .collect();
    let ksk = k.netlink_kernel_sock(&net, PROTO).unwrap();
    c.bench_function("broadcast_256_listeners", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let skb = SkBuff::new(vec![0u8; 100], 100);
                let start = Instant::now();
                nlmsg_multicast(&ksk, skb, 0, 1).unwrap();
                total += start.elapsed();
                for s in &socks {
                    s.recvmsg(&t, 4096, MSG_DONTWAIT).unwrap();
                }
            }
            total
        })
    });
    lockdep::set_enabled(true);
}

criterion_group!(benches, round_trip, broadcast);
criterion_main!(benches);
