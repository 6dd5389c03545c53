//! PF_KEY handlers through the socket API: byte-exact replies, the errno
//! rules of `pfkey_create`, `pfkey_sendmsg`, `parse_exthdrs` and the
//! handlers, broadcast targeting, and the dump state machine.

mod afk;

use afk::*;
use sim_core::Errno;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_sockets::socket::{
    AF_KEY, MSG_OOB, SO_RCVBUF, SO_SNDBUF, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET,
};

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[test]
fn register_reply_lists_the_profiles_algorithms_byte_for_byte() {
    let k = kernel(&KernelProfile::DEBIAN_6_1);
    let s = k.open();
    let req = msg(7, ESP, 9, &[]);
    assert_eq!(k.send(&s, &req), Ok(16));
    let mut want = req[..16].to_vec();
    want[4] = 10; // 80 bytes
    // SUPPORTED_AUTH: len 5, type 14, reserved; null, md5, sha1, sha256.
    want.extend_from_slice(&[5, 0, 14, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&[251, 0, 0, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&[2, 0, 128, 0, 128, 0, 0, 0]);
    want.extend_from_slice(&[3, 0, 160, 0, 160, 0, 0, 0]);
    want.extend_from_slice(&[5, 0, 0, 1, 0, 1, 0, 0]);
    // SUPPORTED_ENCRYPT: len 3, type 15; null, aes-cbc (iv 8, 128-256).
    want.extend_from_slice(&[3, 0, 15, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&[11, 0, 0, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&[12, 8, 128, 0, 0, 1, 0, 0]);
    assert_eq!(k.drain(&s), vec![want]);
    // Same satype again: EEXIST; satype above 9: EINVAL.
    k.send(&s, &req).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&req, 17)]);
    let bad = msg(7, 10, 1, &[]);
    k.send(&s, &bad).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&bad, 22)]);
}

#[test]
fn socket_creation_checks_in_linux_order() {
    let k = kernel(&KernelProfile::FULL);
    let net = k.kernel.init_net();
    let unpriv = k.kernel.spawn_task(k.kernel.root_cred_without_net_admin());
    assert_eq!(unpriv.socket(&net, AF_KEY, SOCK_DGRAM, 9).err(), Some(Errno::EPERM));
    assert_eq!(k.root.socket(&net, AF_KEY, SOCK_DGRAM, 2).err(), Some(Errno::ESOCKTNOSUPPORT));
    assert_eq!(k.root.socket(&net, AF_KEY, SOCK_RAW, 1).err(), Some(Errno::EPROTONOSUPPORT));
    let s = k.open();
    assert_eq!(k.pfkey.socks_nr(&net), 1);
    assert_eq!(s.bind(&k.root, &[0; 12]), Err(Errno::EOPNOTSUPP));
    assert_eq!(s.setsockopt_int(&k.root, 0, 16, 1), Err(Errno::EOPNOTSUPP));
    assert_eq!(s.getsockname().err(), Some(Errno::EOPNOTSUPP));
    let proc = k.pfkey.proc_net_pfkey(&net);
    assert!(proc.starts_with("sk       RefCnt Rmem   Wmem   User   Inode\n"));
    assert_eq!(proc.lines().count(), 2);
    s.close();
    assert_eq!(k.pfkey.socks_nr(&net), 0);
    assert_eq!(k.pfkey.proc_net_pfkey(&net).lines().count(), 1);
}

#[test]
fn send_level_errors_deliver_nothing() {
    let k = kernel(&KernelProfile::FULL);
    let s = k.open();
    let p = k.open();
    k.send(&p, &msg(11, 1, 0, &[])).unwrap();
    k.drain(&p);
    k.drain(&s);
    let ok = msg(7, 0, 1, &[]);
    let cases: Vec<(Vec<u8>, Errno)> = vec![
        (ok[..15].to_vec(), Errno::EMSGSIZE),
        (vec![], Errno::EMSGSIZE),
        (
            {
                let mut m = ok.clone();
                m[0] = 1;
                m
            },
            Errno::EINVAL,
        ),
        (
            {
                let mut m = ok.clone();
                m[6] = 1;
                m
            },
            Errno::EINVAL,
        ),
        (
            {
                let mut m = ok.clone();
                m[1] = 0;
                m
            },
            Errno::EINVAL,
        ),
        (
            {
                let mut m = ok.clone();
                m[1] = 25;
                m
            },
            Errno::EINVAL,
        ),
        (
            {
                let mut m = ok.clone();
                m[4] = 3;
                m
            },
            Errno::EMSGSIZE,
        ),
        (
            {
                let mut m = ok.clone();
                m[4] = 1;
                m.truncate(8);
                m.extend_from_slice(&[0; 8]);
                m[4] = 1;
                m
            },
            Errno::EMSGSIZE,
        ),
    ];
    for (m, e) in cases {
        assert_eq!(k.send(&s, &m), Err(e), "{m:02x?}");
    }
    assert_eq!(s.sendto(&k.root, &ok, MSG_OOB, None), Err(Errno::EOPNOTSUPP));
    // Up to 7 trailing bytes pass the length check (then parse as an
    // extension and fail with an error reply).
    let mut trailing = ok.clone();
    trailing.extend_from_slice(&[1, 2, 3]);
    assert_eq!(k.send(&s, &trailing), Ok(19));
    assert_eq!(k.drain(&s), vec![error_reply(&trailing, 22)]);
    // len > sk_sndbuf - 32.
    s.setsockopt_int(&k.root, SOL_SOCKET, SO_SNDBUF, 1).unwrap();
    let big = msg(7, 0, 1, &[vec![0; 4608 - 32 - 16 + 8]]);
    assert_eq!(k.send(&s, &big), Err(Errno::EMSGSIZE));
    // The promiscuous socket saw only the two requests that passed the
    // header checks (their copies) and the error reply copy.
    assert_eq!(k.drain(&p).len(), 2);
}

#[test]
fn parse_and_handler_errors_are_error_replies_and_change_nothing() {
    let k = kernel(&KernelProfile::DEBIAN_6_1);
    let s = k.open();
    let net = k.kernel.init_net();
    k.send(&s, &esp_add(3, 1, 0x1000, DST)).unwrap();
    k.drain(&s);
    let a = addr(5, SRC, 32, 0);
    let d = addr(6, DST, 32, 0);
    let cases: Vec<(Vec<u8>, u8)> = vec![
        // parse_exthdrs
        (msg(3, ESP, 2, &[sa(1, 3, 12), a.clone(), a.clone(), d.clone()]), 22),
        (msg(3, ESP, 2, &[vec![1, 0, 0, 0, 0, 0, 0, 0]]), 22),
        (msg(3, ESP, 2, &[vec![0, 0, 1, 0, 0, 0, 0, 0]]), 22),
        (msg(3, ESP, 2, &[vec![2, 0, 1, 0, 0, 0, 0, 0]]), 22),
        (msg(3, ESP, 2, &[sa(1, 3, 12), addr(5, SRC, 33, 0), d.clone()]), 22),
        (msg(3, ESP, 2, &[sa(1, 3, 12), a.clone(), d.clone(), key(8, 400, &[0; 8])]), 22),
        // handlers
        (msg(8, ESP, 2, &[]), 95),
        (msg(12, ESP, 2, &[]), 95),
        (msg(3, ESP, 2, &[sa(1, 3, 12), a.clone(), d.clone(), key(8, 160, &[0; 20])]), 22),
        (
            msg(
                3,
                ESP,
                2,
                &[sa(1, 3, 3), a.clone(), d.clone(), key(8, 160, &[0; 20]), key(9, 192, &[0; 24])],
            ),
            38,
        ),
        (
            msg(
                3,
                0,
                2,
                &[sa(1, 3, 12), a.clone(), d.clone(), key(8, 160, &[0; 20]), key(9, 128, &[0; 16])],
            ),
            93,
        ),
        (esp_add(3, 2, 0x1000, DST), 17),
        (
            msg(
                2,
                ESP,
                2,
                &[
                    sa(0x77, 3, 12),
                    a.clone(),
                    d.clone(),
                    key(8, 160, &[0; 20]),
                    key(9, 128, &[0; 16]),
                ],
            ),
            3,
        ),
        (msg(4, ESP, 2, &[sa(0x77, 0, 0), a.clone(), d.clone()]), 3),
        (msg(5, 5, 2, &[sa(0x1000, 0, 0), a.clone(), d.clone()]), 3),
        (msg(5, ESP, 2, &[a.clone(), d.clone()]), 22),
        (msg(6, ESP, 2, &[sa(1, 0, 0)]), 95),
        (msg(11, 2, 2, &[]), 22),
        (msg(1, 9, 2, &[a.clone(), d.clone()]), 22),
        (msg(14, 0, 2, &[a.clone(), d.clone(), pol(2, 0, 0, &[])]), 22),
        (msg(14, 0, 2, &[a.clone(), d.clone(), pol(3, 2, 0, &[])]), 22),
        (msg(14, 0, 2, &[a.clone(), d.clone(), pol(2, 2, 0, &vec![rq(50, 1, 2, 0, None); 7])]), 40),
        (msg(14, 0, 2, &[a.clone(), d.clone(), pol(2, 2, 0, &[rq(50, 0, 2, 0, None)])]), 22),
        (msg(14, 0, 2, &[a.clone(), d.clone(), pol(2, 2, 0, &[rq(6, 1, 2, 0, None)])]), 22),
        (
            msg(
                14,
                0,
                2,
                &[a.clone(), d.clone(), pol(2, 2, 0, &[rq(50, 2, 1, 0, Some((SRC, DST)))])],
            ),
            22,
        ),
        (msg(16, 0, 2, &[pol(0, 0, 0x101, &[])]), 2),
        (msg(16, 0, 2, &[pol(0, 0, 3, &[])]), 22),
        (msg(16, 0, 2, &[]), 22),
        (msg(15, 0, 2, &[a.clone(), d.clone(), pol(0, 2, 0, &[])]), 2),
        (msg(10, 5, 2, &[]), 22),
        (msg(24, 0, 2, &[]), 22),
        (msg(9, 7, 2, &[]), 22),
    ];
    for (m, errno) in cases {
        let before = (net.xfrm.state.len(), net.xfrm.policy.len());
        assert_eq!(k.send(&s, &m), Ok(m.len()));
        assert_eq!(k.drain(&s), vec![error_reply(&m, errno)], "{m:02x?}");
        // A failing GETSPI keeps the larval SA it created (as Linux does).
        if m[1] != 1 {
            assert_eq!((net.xfrm.state.len(), net.xfrm.policy.len()), before, "{m:02x?}");
        }
    }
    // ACQUIRE from user space as a bare header: no reply at all.
    k.send(&s, &msg(6, ESP, 5, &[])).unwrap();
    assert!(k.drain(&s).is_empty());
    // An empty SPD dump is ENOENT.
    let m = msg(18, 0, 3, &[]);
    k.send(&s, &m).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&m, 2)]);
}

#[test]
fn broadcast_reaches_registered_unregistered_promiscuous_and_skips_full_sockets() {
    let k = kernel(&KernelProfile::FULL);
    let full = k.open();
    let promisc = k.open();
    let unreg = k.open();
    let reg = k.open();
    k.send(&reg, &msg(7, AH, 1, &[])).unwrap();
    k.send(&promisc, &msg(11, 1, 2, &[])).unwrap();
    full.setsockopt_int(&k.root, SOL_SOCKET, SO_RCVBUF, 1).unwrap();
    for s in [&full, &promisc, &unreg, &reg] {
        k.drain(s);
    }
    // REGISTER: registered sockets and the sender (+ promiscuous copies).
    let r = msg(7, ESP, 3, &[]);
    k.send(&unreg, &r).unwrap();
    assert_eq!(k.drain(&reg).len(), 1);
    assert_eq!(k.drain(&unreg).len(), 1);
    assert_eq!(k.drain(&promisc).len(), 2, "request copy + reply copy");
    assert_eq!(k.drain(&full).len(), 0);
    // ADD: everyone, once; the promiscuous socket also gets the request
    // and a second copy. The full socket stops queueing once its memory
    // exceeds its buffer: 3 of 5 arrive, the rest are dropped silently.
    for i in 0..5u32 {
        k.send(&reg, &esp_add(3, 10 + i, 0x2000 + i, DST)).unwrap();
    }
    assert_eq!(k.drain(&reg).len(), 5);
    assert_eq!(k.drain(&unreg).len(), 5);
    assert_eq!(k.drain(&promisc).len(), 15);
    let got = k.drain(&full);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m[1] == 3 && m[2] == 0));
    // GET: only the sender (and the promiscuous copy).
    let g = msg(5, ESP, 20, &[sa(0x2000, 0, 0), addr(5, SRC, 32, 0), addr(6, DST, 32, 0)]);
    k.send(&unreg, &g).unwrap();
    let reply = k.drain(&unreg);
    assert_eq!(reply.len(), 1);
    assert_eq!((reply[0][1], le32(&reply[0], 8), le32(&reply[0], 12)), (5, 20, 4242));
    assert!(k.drain(&reg).is_empty());
    assert_eq!(k.drain(&promisc).len(), 2);
}

#[test]
fn dumps_continue_from_recvmsg_and_refuse_a_second_dump() {
    let k = kernel(&KernelProfile::FULL);
    let s = k.open();
    for i in 0..100u32 {
        k.send(&s, &esp_add(3, i, 0x1000 + i, [10, 0, (i >> 8) as u8, i as u8])).unwrap();
    }
    k.drain(&s);
    // Default buffer: all 100, seq 1..99 then 0, newest first.
    k.send(&s, &msg(10, 0, 77, &[])).unwrap();
    let all = k.drain(&s);
    assert_eq!(all.len(), 100);
    for (i, m) in all.iter().enumerate() {
        assert_eq!(m[1], 10);
        assert_eq!(le32(m, 8), if i == 99 { 0 } else { i as u32 + 1 });
        assert_eq!(le32(m, 12), 4242);
        assert_eq!(u32::from_be_bytes([m[20], m[21], m[22], m[23]]), 0x1000 + 99 - i as u32);
    }
    // A small buffer: the dump stops, a second DUMP is EBUSY, reading lets
    // it continue; every record arrives once.
    s.setsockopt_int(&k.root, SOL_SOCKET, SO_RCVBUF, 4096).unwrap();
    k.send(&s, &msg(10, ESP, 78, &[])).unwrap();
    let busy = msg(18, 0, 79, &[]);
    k.send(&s, &busy).unwrap();
    let mut got = Vec::new();
    while let Some(m) = k.recv(&s) {
        got.push(m);
    }
    let errs: Vec<_> = got.iter().filter(|m| m[2] != 0).collect();
    assert_eq!(errs, vec![&error_reply(&busy, 16)]);
    let recs: Vec<_> = got.iter().filter(|m| m[1] == 10).collect();
    assert_eq!(recs.len(), 100);
    assert_eq!(le32(recs[99], 8), 0);
    assert!(recs[..99].iter().enumerate().all(|(i, m)| le32(m, 8) == i as u32 + 1));
    // The dump is over: a new one starts.
    k.send(&s, &msg(10, AH, 80, &[])).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&msg(10, AH, 80, &[]), 2)]);
}

#[test]
fn policy_messages_are_built_from_the_uapi_layout() {
    let k = kernel(&KernelProfile::FULL);
    let s = k.open();
    let req = msg(
        14,
        0,
        5,
        &[
            addr(5, [10, 1, 0, 0], 16, 255),
            addr(6, [10, 2, 0, 0], 16, 255),
            pol(2, 2, 99, &[rq(50, 2, 3, 0, Some((SRC, DST)))]),
        ],
    );
    k.send(&s, &req).unwrap();
    let got = k.drain(&s);
    assert_eq!(got.len(), 1);
    let now = k.kernel.clock().real_seconds();
    let lifetime = |t: u8, add: u64| {
        let mut v = vec![4, 0, t, 0];
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&add.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v
    };
    let mut want = vec![2, 14, 0, 0];
    // 16 + 2×24 + 3×32 + 16 + 48 = 224 bytes → 28 units; refcount 3.
    want.extend_from_slice(&28u16.to_le_bytes());
    want.extend_from_slice(&3u16.to_le_bytes());
    want.extend_from_slice(&5u32.to_le_bytes());
    want.extend_from_slice(&4242u32.to_le_bytes());
    want.extend(addr(5, [10, 1, 0, 0], 16, 255));
    want.extend(addr(6, [10, 2, 0, 0], 16, 255));
    want.extend(lifetime(3, 0));
    want.extend(lifetime(4, 0));
    want.extend(lifetime(2, now));
    // id 1: the first OUT policy; the automatic reqid is 0x4000.
    want.extend(pol(2, 2, 1, &[rq(50, 2, 3, 0x4000, Some((SRC, DST)))]));
    assert_eq!(got[0], want);
    // SPDGET by id: the same body, type SPDGET, refcount 2 + the timer.
    let g = msg(16, 0, 6, &[pol(0, 0, 1, &[])]);
    k.send(&s, &g).unwrap();
    let reply = k.drain(&s);
    let mut w2 = want.clone();
    w2[1] = 16;
    w2[6] = 3;
    w2[8] = 6;
    assert_eq!(reply, vec![w2]);
    // DELETE2 by id broadcasts SPDDELETE2 with refcount 1.
    k.send(&s, &msg(22, 0, 7, &[pol(0, 0, 1, &[])])).unwrap();
    let del = k.drain(&s);
    assert_eq!((del[0][1], le16(&del[0], 6), del.len()), (22, 1, 1));
    assert!(k.kernel.init_net().xfrm.policy.is_empty());
}
