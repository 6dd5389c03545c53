//! Notifications across the two front ends with both loaded: a PF_KEY ADD
//! reaches NETLINK_XFRM's SA group as NEWSA, and netlink's DELSA and
//! FLUSHSA reach PF_KEY sockets as DELETE and FLUSH.

use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::af_key::PfKey;
use sim_sockets::netlink::NETLINK_XFRM;
use sim_sockets::netlink::wire::SockaddrNl;
use sim_sockets::socket::{AF_KEY, AF_NETLINK, MSG_DONTWAIT, SOCK_RAW};
use sim_sockets::xfrm_user::uapi::XFRMNLGRP_SA;
use sim_sockets::xfrm_user::xfrm_user_init;
use sim_sockets::{Kernel, Socket, Task};

fn drain(s: &Socket, t: &Task) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| s.recvmsg(t, 65536, MSG_DONTWAIT).ok().map(|m| m.data)).collect()
}

fn nlmsg(t: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut m = ((16 + payload.len()) as u32).to_le_bytes().to_vec();
    m.extend_from_slice(&t.to_le_bytes());
    m.extend_from_slice(&5u16.to_le_bytes()); // NLM_F_REQUEST | NLM_F_ACK
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend_from_slice(&0u32.to_le_bytes());
    m.extend_from_slice(payload);
    m
}

#[test]
fn sa_events_cross_between_pfkey_and_netlink() {
    let kernel = Kernel::with_seed(3);
    let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).unwrap();
    let _nl = xfrm_user_init(&kernel, &xfrm, &KernelProfile::FULL).unwrap();
    let _pfk = PfKey::init(&kernel, &xfrm, &KernelProfile::FULL).unwrap();
    let t = kernel.root_task();
    let net = kernel.init_net();
    let pf = t.socket(&net, AF_KEY, SOCK_RAW, 2).unwrap();
    let nl = t.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).unwrap();
    nl.bind(&t, &SockaddrNl::new(0, 1 << (XFRMNLGRP_SA - 1)).to_bytes()).unwrap();

    // PF_KEY ADD (ESP, hmac-sha1 + aes-cbc) → netlink NEWSA (16), nlmsg_seq
    // and pid from the PF_KEY request.
    let mut add = vec![2, 3, 0, 3, 0, 0, 0, 0];
    add.extend_from_slice(&9u32.to_le_bytes());
    add.extend_from_slice(&77u32.to_le_bytes());
    add.extend_from_slice(&[2, 0, 1, 0, 0, 0, 0x12, 0x34, 32, 0, 3, 12, 0, 0, 0, 0]);
    for (et, last) in [(5u8, 1u8), (6, 2)] {
        add.extend_from_slice(&[3, 0, et, 0, 0, 32, 0, 0, 2, 0, 0, 0, 10, 0, 0, last]);
        add.extend_from_slice(&[0; 8]);
    }
    add.extend_from_slice(&[4, 0, 8, 0, 160, 0, 0, 0]);
    add.extend_from_slice(&[0x11; 20]);
    add.extend_from_slice(&[0; 4]);
    add.extend_from_slice(&[3, 0, 9, 0, 128, 0, 0, 0]);
    add.extend_from_slice(&[0x22; 16]);
    let len = (add.len() / 8) as u16;
    add[4..6].copy_from_slice(&len.to_le_bytes());
    pf.sendto(&t, &add, 0, None).unwrap();
    let got = drain(&nl, &t);
    assert_eq!(got.len(), 1);
    let h = &got[0];
    assert_eq!(u16::from_le_bytes([h[4], h[5]]), 16, "XFRM_MSG_NEWSA");
    assert_eq!(u32::from_le_bytes([h[8], h[9], h[10], h[11]]), 9);
    assert_eq!(u32::from_le_bytes([h[12], h[13], h[14], h[15]]), 77);
    assert_eq!(drain(&pf, &t).len(), 1, "the PF_KEY ADD broadcast");

    // netlink DELSA (xfrm_usersa_id: daddr, spi, family, proto) → PF_KEY
    // DELETE with the netlink request's seq.
    let mut id = vec![10, 0, 0, 2];
    id.extend_from_slice(&[0; 12]);
    id.extend_from_slice(&0x1234u32.to_be_bytes());
    id.extend_from_slice(&2u16.to_le_bytes());
    id.extend_from_slice(&[50, 0]);
    nl.sendto(&t, &nlmsg(17, 41, &id), 0, Some(&SockaddrNl::new(0, 0).to_bytes())).unwrap();
    let d = drain(&pf, &t);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0][1], d[0][3]), (4, 3), "SADB_DELETE, ESP");
    assert_eq!(u32::from_le_bytes([d[0][8], d[0][9], d[0][10], d[0][11]]), 41);
    assert!(net.xfrm.state.is_empty());
    drain(&nl, &t);

    // netlink FLUSHSA with something to flush → PF_KEY FLUSH, satype ESP.
    pf.sendto(&t, &add, 0, None).unwrap();
    drain(&pf, &t);
    nl.sendto(&t, &nlmsg(28, 42, &[50, 0, 0, 0]), 0, Some(&SockaddrNl::new(0, 0).to_bytes()))
        .unwrap();
    let f = drain(&pf, &t);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0][1], f[0][3], f[0].len()), (9, 3, 16));
}
