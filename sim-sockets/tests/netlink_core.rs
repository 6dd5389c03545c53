//! Scenario tests of the netlink core through the socket calls.

mod common;

use common::*;
use sim_core::Errno;
use sim_core::lockdep;
use sim_sockets::netlink::wire::*;
use sim_sockets::netlink::*;
use sim_sockets::socket::*;

#[test]
fn autobind_uses_tgid_then_negative_ids_and_explicit_ids_collide() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    let b = open(&t, &net);
    let c = open(&t, &net);
    assert_eq!(portid(&a), 0, "unbound sockets report port id 0");
    a.bind(&t, &addr(0, 0)).unwrap();
    assert_eq!(portid(&a), t.tgid() as u32, "first autobind takes the tgid");
    b.bind(&t, &addr(0, 0)).unwrap();
    let pb = portid(&b) as i32;
    assert!((i32::MIN..=-4097).contains(&pb), "collision picks a random negative id, got {pb}");
    // Autobind on first send; each call draws a fresh random start.
    c.sendto(&t, &msg(T_ECHO, NLM_F_REQUEST, 1, &[]), 0, None).unwrap();
    let pc = portid(&c) as i32;
    assert!((i32::MIN..=-4097).contains(&pc));
    assert_ne!(pc, pb);

    let d = open(&t, &net);
    assert_eq!(d.bind(&t, &addr(t.tgid() as u32, 0)), Err(Errno::EADDRINUSE));
    d.bind(&t, &addr(777, 0)).unwrap();
    assert_eq!(d.bind(&t, &addr(778, 0)), Err(Errno::EINVAL), "rebinding to another id");
    d.bind(&t, &addr(777, 0)).unwrap();
    assert_eq!(d.getsockname().unwrap(), addr(777, 0).to_vec());
    // The same id is free in another namespace.
    let net2 = k.create_net().unwrap();
    let e = open(&t, &net2);
    e.bind(&t, &addr(777, 0)).unwrap();
    // And free again once the holder is closed.
    d.close();
    let f = open(&t, &net);
    f.bind(&t, &addr(777, 0)).unwrap();
    lockdep::assert_no_reports();
}

#[test]
fn bind_checks_address_and_family() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    assert_eq!(a.bind(&t, &addr(1, 0)[..11]), Err(Errno::EINVAL));
    let mut bad = addr(1, 0);
    bad[0] = 2;
    assert_eq!(a.bind(&t, &bad), Err(Errno::EINVAL));
    // Group bits beyond the protocol's 32 are masked; bind replaces them.
    a.bind(&t, &addr(5, 0b101)).unwrap();
    assert_eq!(a.getsockname().unwrap(), addr(5, 0b101).to_vec());
    a.bind(&t, &addr(5, 0b010)).unwrap();
    assert_eq!(a.getsockname().unwrap(), addr(5, 0b010).to_vec());
    assert_eq!(k.netlink().mc_list_len(TEST_PROTO), 1);
    a.bind(&t, &addr(5, 0)).unwrap();
    assert_eq!(k.netlink().mc_list_len(TEST_PROTO), 0);
}

#[test]
fn socket_creation_errors() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let e = |f, ty, p| t.socket(&net, f, ty, p).err();
    assert_eq!(e(99, SOCK_RAW, 0), Some(Errno::EAFNOSUPPORT));
    assert_eq!(e(-1, SOCK_RAW, 0), Some(Errno::EAFNOSUPPORT));
    assert_eq!(e(AF_KEY, SOCK_RAW, 2), Some(Errno::EAFNOSUPPORT), "PF_KEY not registered");
    assert_eq!(e(AF_NETLINK, SOCK_STREAM, TEST_PROTO), Some(Errno::ESOCKTNOSUPPORT));
    assert_eq!(e(AF_NETLINK, SOCK_SEQPACKET, 99), Some(Errno::ESOCKTNOSUPPORT), "type first");
    assert_eq!(e(AF_NETLINK, SOCK_RAW, 32), Some(Errno::EPROTONOSUPPORT));
    assert_eq!(e(AF_NETLINK, SOCK_RAW, -1), Some(Errno::EPROTONOSUPPORT));
    assert_eq!(e(AF_NETLINK, SOCK_RAW, NETLINK_XFRM), Some(Errno::EPROTONOSUPPORT));
    assert_eq!(e(AF_NETLINK, 12, TEST_PROTO), Some(Errno::EINVAL), "type >= SOCK_MAX");
    assert_eq!(e(AF_NETLINK, SOCK_RAW | 0x100, TEST_PROTO), Some(Errno::EINVAL));
    assert!(t.socket(&net, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, TEST_PROTO).is_ok());
    assert!(t.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_USERSOCK).is_ok());
}

#[test]
fn sendmsg_errors() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    let m = msg(T_ECHO, NLM_F_REQUEST, 1, &[]);
    assert_eq!(a.sendto(&t, &m, MSG_OOB, None), Err(Errno::EOPNOTSUPP));
    assert_eq!(a.sendto(&t, &[], 0, None), Err(Errno::ENODATA));
    let mut inet = addr(0, 0);
    inet[0] = 2;
    assert_eq!(a.sendto(&t, &m, 0, Some(&inet)), Err(Errno::EINVAL));
    assert_eq!(a.sendto(&t, &m, 0, Some(&inet[..8])), Err(Errno::EINVAL));
    // Too long for the send buffer minus 32.
    a.setsockopt_int(&t, SOL_SOCKET, SO_SNDBUF, 0).unwrap();
    let sndbuf = a.getsockopt_int(&t, SOL_SOCKET, SO_SNDBUF).unwrap() as usize;
    assert_eq!(sndbuf, 4608, "SOCK_MIN_SNDBUF");
    assert_eq!(a.sendto(&t, &vec![0; sndbuf - 31], 0, None), Err(Errno::EMSGSIZE));
    // sndbuf - 32 bytes is accepted (as a message the kernel side ignores).
    assert_eq!(a.sendto(&t, &vec![0; sndbuf - 32], 0, None), Ok(sndbuf - 32));
    // No such port.
    assert_eq!(a.sendto(&t, &m, 0, Some(&addr(4242, 0))), Err(Errno::ECONNREFUSED));
}

#[test]
fn unprivileged_tasks_get_eperm() {
    let k = kernel();
    let net = k.init_net();
    let u = k.spawn_task(k.root_cred_without_net_admin());
    let a = open(&u, &net);
    assert_eq!(a.bind(&u, &addr(0, 1)), Err(Errno::EPERM));
    assert_eq!(a.setsockopt_int(&u, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 1), Err(Errno::EPERM));
    assert_eq!(a.setsockopt_int(&u, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, 1), Err(Errno::EPERM));
    let m = msg(T_ADMIN, NLM_F_REQUEST | NLM_F_ACK, 9, &[]);
    assert_eq!(a.sendto(&u, &m, 0, Some(&addr(5, 0))), Err(Errno::EPERM));
    assert_eq!(a.sendto(&u, &m, 0, Some(&addr(0, 1))), Err(Errno::EPERM));
    assert_eq!(a.setsockopt_int(&u, SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20), Err(Errno::EPERM));
    // Sending to the kernel works; the handler's capability check fails.
    a.sendto(&u, &m, 0, Some(&addr(0, 0))).unwrap();
    let got = drain(&a, &u, 4096);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(e.error, -1);
    // Root passes the same check.
    let r = k.root_task();
    let b = open(&r, &net);
    b.sendto(&r, &m, 0, None).unwrap();
    let got = drain(&b, &r, 4096);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(e.error, 0);
    // A socket opened by an unprivileged task does not become privileged
    // because root sends on it without an address (file capability check)...
    a.sendto(&r, &m, 0, None).unwrap();
    let got = drain(&a, &r, 4096);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(e.error, -1);
    // ...but does with an explicit destination address.
    a.sendto(&r, &m, 0, Some(&addr(0, 0))).unwrap();
    let got = drain(&a, &r, 4096);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(e.error, 0);
}

#[test]
fn ack_layouts_byte_for_byte() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.bind(&t, &addr(0x1234, 0)).unwrap();
    // Success: capped, 36 bytes.
    let req = msg(T_ADMIN, NLM_F_REQUEST | NLM_F_ACK, 7, &[0xaa, 0xbb, 0xcc, 0xdd]);
    a.sendto(&t, &req, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let mut want = vec![36, 0, 0, 0, 2, 0, 0x00, 0x01, 7, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0];
    want.extend_from_slice(&req[..16]);
    assert_eq!(got, vec![Ok(want)]);

    // Error: the whole request echoed.
    let req = msg(T_FAIL, NLM_F_REQUEST, 8, &[1, 2, 3, 4, 5, 6, 7, 8]);
    a.sendto(&t, &req, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let mut want = vec![44, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 0x34, 0x12, 0, 0];
    want.extend_from_slice(&(-22i32).to_le_bytes());
    want.extend_from_slice(&req);
    assert_eq!(got, vec![Ok(want)]);

    // Error with NETLINK_CAP_ACK: only the header.
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_CAP_ACK, 1).unwrap();
    a.sendto(&t, &req, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let mut want = vec![36, 0, 0, 0, 2, 0, 0, 1, 8, 0, 0, 0, 0x34, 0x12, 0, 0];
    want.extend_from_slice(&(-22i32).to_le_bytes());
    want.extend_from_slice(&req[..16]);
    assert_eq!(got, vec![Ok(want)]);

    // With NETLINK_EXT_ACK: message and offset TLVs, flags CAPPED|ACK_TLVS.
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_EXT_ACK, 1).unwrap();
    a.sendto(&t, &req, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let mut want = vec![36 + 24 + 8, 0, 0, 0, 2, 0, 0, 3, 8, 0, 0, 0, 0x34, 0x12, 0, 0];
    want.extend_from_slice(&(-22i32).to_le_bytes());
    want.extend_from_slice(&req[..16]);
    want.extend_from_slice(&[22, 0, 1, 0]);
    want.extend_from_slice(b"Invalid attribute\0\0\0");
    want.extend_from_slice(&[8, 0, 2, 0, 20, 0, 0, 0]);
    assert_eq!(got, vec![Ok(want.clone())]);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(&want).unwrap()).unwrap();
    assert_eq!(e.ext_msg.as_deref(), Some("Invalid attribute"));
    assert_eq!(e.ext_offs, Some(20));

    // Ext-ack and not capped: payload, then TLVs.
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_CAP_ACK, 0).unwrap();
    a.sendto(&t, &req, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(e.hdr.flags, NLM_F_ACK_TLVS);
    assert_eq!(e.hdr.len, 44 + 32);
    assert_eq!(e.req_payload, req[16..].to_vec());
    assert_eq!(e.emit(), *got[0].as_ref().unwrap());

    // Messages without NLM_F_REQUEST and control messages: ACK only if asked.
    a.sendto(&t, &msg(T_FAIL, NLM_F_ACK, 9, &[]), 0, None).unwrap();
    a.sendto(&t, &msg(NLMSG_NOOP, NLM_F_REQUEST, 10, &[]), 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    assert_eq!(got.len(), 1);
    let e = NlMsgErrRepr::parse(&NlMsg::new_checked(got[0].as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!((e.error, e.hdr.seq), (0, 9));

    // A batch: the reply comes before the ACK; a bad header ends the batch.
    let mut batch = msg(T_ECHO, NLM_F_REQUEST | NLM_F_ACK, 11, &[1]);
    batch.extend_from_slice(&msg(T_FAIL, NLM_F_REQUEST, 12, &[]));
    let mut broken = msg(T_FAIL, NLM_F_REQUEST, 13, &[]);
    broken[0] = 200;
    batch.extend_from_slice(&broken);
    a.sendto(&t, &batch, 0, None).unwrap();
    let got = drain(&a, &t, 65536);
    let seqs: Vec<(u16, u32)> = got
        .iter()
        .map(|d| {
            let m = NlMsg::new_checked(d.as_ref().unwrap()).unwrap();
            (m.msg_type(), m.seq())
        })
        .collect();
    assert_eq!(seqs, vec![(T_ECHO, 11), (NLMSG_ERROR, 11), (NLMSG_ERROR, 12)]);
    lockdep::assert_no_reports();
}

#[test]
fn unicast_and_broadcast_stay_in_their_namespace() {
    let k = kernel();
    let n1 = k.init_net();
    let n2 = k.create_net().unwrap();
    let t = k.root_task();
    let l1 = open(&t, &n1);
    l1.bind(&t, &addr(100, 1)).unwrap();
    let l1b = open(&t, &n1);
    l1b.bind(&t, &addr(101, 0)).unwrap();
    l1b.setsockopt_int(&t, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 2).unwrap();
    let l2 = open(&t, &n2);
    l2.bind(&t, &addr(100, 1)).unwrap();
    let s1 = open(&t, &n1);
    let m = msg(T_MCAST, NLM_F_REQUEST, 1, &[1, 0, 0, 0]);
    s1.sendto(&t, &m, 0, None).unwrap();
    let got = drain(&l1, &t, 4096);
    assert_eq!(got, vec![Ok(m.clone())]);
    assert!(drain(&l1b, &t, 4096).is_empty(), "group 2 listener");
    assert!(drain(&l2, &t, 4096).is_empty(), "other namespace");
    assert!(drain(&s1, &t, 4096).is_empty());
    // recvmsg reports the sender (kernel, 0) and the group bit.
    let m2 = msg(T_MCAST, NLM_F_REQUEST, 2, &[2, 0, 0, 0]);
    s1.sendto(&t, &m2, 0, None).unwrap();
    let r = l1b.recvmsg(&t, 4096, MSG_DONTWAIT).unwrap();
    assert_eq!(&r.name[..], &addr(0, 0b10)[..]);
    // Unicast echo returns to the sender only.
    let e = msg(T_ECHO, NLM_F_REQUEST, 3, &[9, 0, 0, 0]);
    s1.sendto(&t, &e, 0, None).unwrap();
    assert_eq!(drain(&s1, &t, 4096), vec![Ok(e.clone())]);
    // User-to-user unicast by port id, within a namespace only.
    let r2 = open(&t, &n2);
    assert_eq!(r2.sendto(&t, &e, 0, Some(&addr(101, 0))), Err(Errno::ECONNREFUSED));
    let s2 = open(&t, &n1);
    s2.bind(&t, &addr(55, 0)).unwrap();
    s2.sendto(&t, &e, 0, Some(&addr(101, 0))).unwrap();
    let r = l1b.recvmsg(&t, 4096, MSG_DONTWAIT).unwrap();
    assert_eq!((r.data, r.name.to_vec()), (e.clone(), addr(55, 0).to_vec()));
    // User-to-group send reaches user listeners of the group.
    s2.sendto(&t, &e, 0, Some(&addr(0, 1))).unwrap();
    assert_eq!(drain(&l1, &t, 4096), vec![Ok(e.clone())]);
    assert!(drain(&l2, &t, 4096).is_empty());
    // LIST_MEMBERSHIPS.
    let v = l1b.getsockopt(&t, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, 4).unwrap();
    assert_eq!(v, 2u32.to_le_bytes().to_vec());
    l1b.setsockopt_int(&t, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, 2).unwrap();
    assert_eq!(l1b.getsockopt(&t, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, 4).unwrap(), vec![0; 4]);
    assert_eq!(l1b.setsockopt_int(&t, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 0), Err(Errno::EINVAL));
    assert_eq!(l1b.setsockopt_int(&t, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 33), Err(Errno::EINVAL));
    lockdep::assert_no_reports();
}

#[test]
fn destroying_a_namespace_releases_its_kernel_socket() {
    let k = kernel();
    let n2 = k.create_net().unwrap();
    let t = k.root_task();
    let s = open(&t, &n2);
    assert!(k.netlink_kernel_sock(&n2, TEST_PROTO).is_some());
    k.destroy_net(&n2).unwrap();
    assert!(k.netlink_kernel_sock(&n2, TEST_PROTO).is_none());
    let m = msg(T_ECHO, NLM_F_REQUEST, 1, &[]);
    assert_eq!(s.sendto(&t, &m, 0, None), Err(Errno::ECONNREFUSED));
    // The protocol stays registered through the initial namespace.
    assert!(k.netlink().registered(TEST_PROTO));
    let s1 = open(&t, &k.init_net());
    assert_eq!(s1.sendto(&t, &m, 0, None), Ok(m.len()));
}

#[test]
fn overrun_drops_and_reports_enobufs_once() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let l = open(&t, &net);
    l.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 1).unwrap();
    assert_eq!(l.getsockopt_int(&t, SOL_SOCKET, SO_RCVBUF).unwrap(), 2304, "SOCK_MIN_RCVBUF");
    l.bind(&t, &addr(300, 1)).unwrap();
    let s = open(&t, &net);
    // A 196-byte notification costs 896 bytes of truesize: two fit in 2304.
    let m = msg(T_MCAST, NLM_F_REQUEST, 1, &[1; 180]);
    assert_eq!(m.len(), 196);
    for _ in 0..5 {
        s.sendto(&t, &m, 0, None).unwrap();
    }
    assert_eq!(l.ops().sk().family, AF_NETLINK);
    let nlk = k.netlink().lookup(&net, TEST_PROTO, 300).unwrap();
    assert_eq!(nlk.drops(), 3);
    assert!(nlk.congested());
    assert_eq!(l.poll() & (POLLIN | POLLERR), POLLIN | POLLERR);
    let got = drain(&l, &t, 4096);
    assert_eq!(got, vec![Err(Errno::ENOBUFS), Ok(m.clone()), Ok(m.clone())]);
    assert!(!nlk.congested(), "an empty queue clears CONGESTED");
    // With NETLINK_NO_ENOBUFS the same burst is dropped silently.
    l.setsockopt_int(&t, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1).unwrap();
    assert_eq!(l.getsockopt_int(&t, SOL_NETLINK, NETLINK_NO_ENOBUFS), Ok(1));
    for _ in 0..5 {
        s.sendto(&t, &m, 0, None).unwrap();
    }
    assert_eq!(drain(&l, &t, 4096), vec![Ok(m.clone()), Ok(m.clone())]);
    assert_eq!(nlk.drops(), 6);
    // The first datagram of an empty queue always fits.
    l.setsockopt_int(&t, SOL_NETLINK, NETLINK_NO_ENOBUFS, 0).unwrap();
    let big = msg(T_MCAST, NLM_F_REQUEST, 1, &vec![1; 3000]);
    s.sendto(&t, &big, 0, None).unwrap();
    assert_eq!(drain(&l, &t, 65536), vec![Ok(big)]);
}

#[test]
fn kernel_unicast_overrun_loses_the_ack_and_reports_enobufs() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 0).unwrap();
    let m = msg(T_FAIL, NLM_F_REQUEST, 1, &[]);
    let mut batch = Vec::new();
    for _ in 0..4 {
        batch.extend_from_slice(&m);
    }
    a.sendto(&t, &batch, 0, None).unwrap();
    let got = drain(&a, &t, 4096);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Err(Errno::ENOBUFS));
    assert!(got[1].is_ok() && got[2].is_ok());
}

#[test]
fn peek_and_trunc_lengths() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    let e = msg(T_ECHO, NLM_F_REQUEST, 1, &[7; 40]);
    a.sendto(&t, &e, 0, None).unwrap();
    // PEEK|TRUNC with an empty buffer: the true length, data stays.
    let r = a.recvmsg(&t, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT).unwrap();
    assert_eq!((r.ret, r.data.len(), r.msg_flags), (56, 0, MSG_TRUNC));
    let r = a.recvmsg(&t, 16, MSG_PEEK | MSG_DONTWAIT).unwrap();
    assert_eq!((r.ret, r.data.as_slice(), r.msg_flags), (16, &e[..16], MSG_TRUNC));
    // TRUNC without PEEK: the true length, the rest is discarded.
    let r = a.recvmsg(&t, 20, MSG_TRUNC | MSG_DONTWAIT).unwrap();
    assert_eq!((r.ret, r.data.as_slice(), r.msg_flags), (56, &e[..20], MSG_TRUNC));
    assert_eq!(a.recvmsg(&t, 100, MSG_DONTWAIT), Err(Errno::EAGAIN));
    // A full-size read reports the copied length and no truncation.
    a.sendto(&t, &e, 0, None).unwrap();
    let r = a.recvmsg(&t, 100, MSG_DONTWAIT).unwrap();
    assert_eq!((r.ret, r.msg_flags), (56, 0));
    assert_eq!(&r.name[..], &addr(0, 0)[..]);
    assert_eq!(a.recvmsg(&t, 100, MSG_OOB | MSG_DONTWAIT), Err(Errno::EOPNOTSUPP));
}

#[test]
fn blocking_recv_wakes_on_data_and_on_signal() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = sim_core::sync::Arc::new(open(&t, &net));
    a.bind(&t, &addr(900, 0)).unwrap();
    let reader = {
        let (a, t) = (a.clone(), t.clone());
        std::thread::spawn(move || a.recvmsg(&t, 4096, 0))
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let w = k.root_task();
    let s = open(&w, &net);
    let e = msg(T_ECHO, NLM_F_REQUEST, 1, &[5, 0, 0, 0]);
    s.sendto(&w, &e, 0, Some(&addr(900, 0))).unwrap();
    assert_eq!(reader.join().unwrap().unwrap().data, e);

    let t2 = k.root_task();
    let b = sim_core::sync::Arc::new(open(&t2, &net));
    let reader = {
        let (b, t2) = (b.clone(), t2.clone());
        std::thread::spawn(move || b.recvmsg(&t2, 4096, 0))
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    t2.send_signal();
    assert_eq!(reader.join().unwrap(), Err(Errno::EINTR));
    // poll: nothing readable, always writable.
    assert_eq!(b.poll(), POLLOUT | POLLWRNORM | POLLWRBAND);
}

#[test]
fn dump_continues_across_recvmsg_calls() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.bind(&t, &addr(500, 0)).unwrap();
    // Small receive buffer: each batch must be read before the next.
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 1).unwrap();
    // 40 records of 16 + 400 bytes: 9 per NLMSG_GOODSIZE (3776) batch.
    let req = msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK, 77, &[40, 100]);
    a.sendto(&t, &req, 0, None).unwrap();
    let nlk = k.netlink().lookup(&net, TEST_PROTO, 500).unwrap();
    assert!(nlk.dump_running());
    assert_eq!(a.ops().sk().queue_len(), 1, "only the first batch is produced at once");
    let mut parts = Vec::new();
    let mut records = Vec::new();
    loop {
        let r = a.recvmsg(&t, 65536, MSG_DONTWAIT).unwrap();
        let ms = msgs(&r.data);
        let done = ms.iter().any(|m| m.msg_type() == NLMSG_DONE);
        parts.push(ms.len());
        for m in ms {
            assert_eq!(m.seq(), 77);
            assert_eq!(m.pid(), 500);
            assert_ne!(m.flags() & NLM_F_MULTI, 0);
            if m.msg_type() == T_DUMP {
                records.push(u32::from_le_bytes(m.payload()[..4].try_into().unwrap()));
            } else {
                assert_eq!(m.msg_type(), NLMSG_DONE);
                assert_eq!(m.payload(), &0i32.to_le_bytes());
            }
        }
        if done {
            break;
        }
    }
    // First batch NLMSG_GOODSIZE; then max_recvmsg_len (65536 capped at
    // 32448): 77 per batch; the DONE comes alone.
    assert_eq!(parts, vec![9, 31, 1]);
    assert_eq!(records, (0..40).collect::<Vec<u32>>());
    assert!(!nlk.dump_running());
    assert_eq!(a.recvmsg(&t, 65536, MSG_DONTWAIT), Err(Errno::EAGAIN));
    lockdep::assert_no_reports();
}

#[test]
fn dump_batches_follow_a_small_reader() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 1).unwrap();
    let req = msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 1, &[30, 100]);
    a.sendto(&t, &req, 0, None).unwrap();
    // A 1024-byte reader: batches stay NLMSG_GOODSIZE, each read truncated.
    let mut lens = Vec::new();
    loop {
        match a.recvmsg(&t, 1024, MSG_DONTWAIT | MSG_TRUNC) {
            Ok(r) => lens.push(r.ret),
            Err(Errno::EAGAIN) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(lens, vec![9 * 416, 9 * 416, 9 * 416, 3 * 416, 20]);
}

#[test]
fn second_dump_on_a_socket_is_ebusy_and_dump_errors_end_in_done() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.bind(&t, &addr(600, 0)).unwrap();
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_EXT_ACK, 1).unwrap();
    let req = msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 1, &[40, 100]);
    a.sendto(&t, &req, 0, None).unwrap();
    let req2 = msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 2, &[1, 1]);
    a.sendto(&t, &req2, 0, None).unwrap();
    let first = a.recvmsg(&t, 65536, MSG_DONTWAIT).unwrap();
    assert_eq!(msgs(&first.data).len(), 9);
    // The first read made room: the next dump batch precedes the EBUSY.
    let all = drain(&a, &t, 65536);
    let kinds: Vec<(u16, u32)> = all
        .iter()
        .map(|d| {
            let m = msgs(d.as_ref().unwrap())[0];
            (m.msg_type(), m.seq())
        })
        .collect();
    assert_eq!(kinds[0], (NLMSG_ERROR, 2));
    let e = NlMsgErrRepr::parse(&msgs(all[0].as_ref().unwrap())[0]).unwrap();
    assert_eq!(e.error, Errno::EBUSY.neg());
    assert_eq!(*kinds.last().unwrap(), (NLMSG_DONE, 1));

    // A callback error ends the dump with DONE carrying it and the message.
    a.sendto(&t, &msg(T_DUMP_ERR, NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK, 3, &[]), 0, None)
        .unwrap();
    let got = drain(&a, &t, 65536);
    assert_eq!(got.len(), 1, "no ACK for a started dump");
    let mut want = vec![40, 0, 0, 0, 3, 0, 0x02, 0x02, 3, 0, 0, 0, 0x58, 0x02, 0, 0];
    want.extend_from_slice(&Errno::ENOENT.neg().to_le_bytes());
    want.extend_from_slice(&[20, 0, 1, 0]);
    want.extend_from_slice(b"nothing to dump\0");
    assert_eq!(got[0].as_ref().unwrap(), &want);
}

#[test]
fn closing_mid_dump_ends_it() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.bind(&t, &addr(700, 0)).unwrap();
    a.sendto(&t, &msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 1, &[100, 100]), 0, None).unwrap();
    let nlk = k.netlink().lookup(&net, TEST_PROTO, 700).unwrap();
    assert!(nlk.dump_running());
    a.close();
    assert!(!nlk.dump_running());
    assert_eq!(nlk.sk().queue_len(), 0);
    assert_eq!(nlk.sk().rmem_alloc(), 0);
    assert!(k.netlink().lookup(&net, TEST_PROTO, 700).is_none());
}

#[test]
fn socket_options() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 10_000).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_RCVBUF), Ok(20_000));
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, 1 << 30).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_RCVBUF), Ok(2 * 212_992), "rmem_max");
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUF, -1).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_RCVBUF), Ok(2 * 212_992));
    a.setsockopt_int(&t, SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_RCVBUF), Ok(2 << 20));
    a.setsockopt_int(&t, SOL_SOCKET, SO_SNDBUF, 32768).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_SNDBUF), Ok(65536));
    assert_eq!(a.setsockopt(&t, SOL_SOCKET, SO_RCVBUF, &[1]), Err(Errno::EINVAL));
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_TYPE), Ok(SOCK_RAW));
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_PROTOCOL), Ok(TEST_PROTO));
    assert_eq!(a.getsockopt_int(&t, SOL_SOCKET, SO_DOMAIN), Ok(AF_NETLINK));
    // Netlink options: short values read as 0, unknown ones ENOPROTOOPT.
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_EXT_ACK, 1).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_NETLINK, NETLINK_EXT_ACK), Ok(1));
    a.setsockopt(&t, SOL_NETLINK, NETLINK_EXT_ACK, &[1]).unwrap();
    assert_eq!(a.getsockopt_int(&t, SOL_NETLINK, NETLINK_EXT_ACK), Ok(0));
    assert_eq!(a.setsockopt_int(&t, SOL_NETLINK, 99, 1), Err(Errno::ENOPROTOOPT));
    assert_eq!(a.setsockopt_int(&t, 0, NETLINK_EXT_ACK, 1), Err(Errno::ENOPROTOOPT));
    assert_eq!(a.getsockopt(&t, SOL_NETLINK, NETLINK_CAP_ACK, 3), Err(Errno::EINVAL));
    assert_eq!(a.getsockopt(&t, SOL_NETLINK, NETLINK_CAP_ACK, -1), Err(Errno::EINVAL));
    assert_eq!(a.getsockopt(&t, SOL_NETLINK, 99, 4), Err(Errno::ENOPROTOOPT));
    // LISTEN_ALL_NSID needs CAP_NET_BROADCAST.
    let u = k.spawn_task(k.cred_with_caps(1000, &[sim_sockets::CAP_NET_ADMIN]));
    let b = open(&u, &net);
    assert_eq!(b.setsockopt_int(&u, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1), Err(Errno::EPERM));
    b.setsockopt_int(&u, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 3).unwrap();
    assert_eq!(b.getsockname().unwrap(), addr(0, 0b100).to_vec());
}

#[test]
fn kernel_sockets_and_has_listeners() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let ksk = k.netlink_kernel_sock(&net, TEST_PROTO).unwrap();
    assert!(ksk.is_kernel());
    assert_eq!(ksk.portid(), 0);
    assert!(!netlink_has_listeners(&ksk, 3));
    let a = open(&t, &k.create_net().unwrap());
    a.bind(&t, &addr(0, 0b100)).unwrap();
    // The listener bitmap is per protocol, not per namespace.
    assert!(netlink_has_listeners(&ksk, 3));
    assert!(!netlink_has_listeners(&ksk, 0));
    a.close();
    assert!(!netlink_has_listeners(&ksk, 3));
    assert_eq!(
        netlink_kernel_create(k.netlink(), &net, TEST_PROTO, NetlinkKernelCfg::default()).err(),
        Some(Errno::EADDRINUSE)
    );
}

#[test]
fn same_seed_same_port_ids() {
    let ids = |seed| {
        let k = sim_sockets::Kernel::with_seed(seed);
        k.register_netlink_protocol(TEST_PROTO, |_, _| NetlinkKernelCfg::default()).unwrap();
        let net = k.init_net();
        let t = k.root_task();
        (0..4)
            .map(|_| {
                let s = open(&t, &net);
                s.bind(&t, &addr(0, 0)).unwrap();
                let p = portid(&s);
                std::mem::forget(s);
                p
            })
            .collect::<Vec<u32>>()
    };
    let a = ids(7);
    assert_eq!(a, ids(7));
    assert_ne!(a[1..], ids(8)[1..]);
    // After the tgid, each autobind starts from a fresh random negative id
    // (the rover is local to netlink_autobind).
    for &p in &a[1..] {
        assert!((i32::MIN..=-4097).contains(&(p as i32)));
    }
    assert!(a[1] != a[2] && a[2] != a[3] && a[1] != a[3]);
}

#[test]
fn the_kernel_handle_owns_tasks_namespaces_and_clock() {
    let k = sim_sockets::Kernel::new(sim_sockets::KernelConfig {
        seed: 3,
        clock: sim_sockets::ClockChoice::Virtual,
    });
    let t = k.root_task();
    let u = k.spawn_task(k.user_cred(1000));
    assert_eq!(k.find_task(u.tgid()).map(|x| x.tgid()), Some(u.tgid()));
    assert_eq!(k.tasks().len(), 2);
    assert!(t.capable(sim_sockets::CAP_NET_ADMIN) && !u.capable(sim_sockets::CAP_NET_ADMIN));
    let before = k.clock().now();
    k.advance(std::time::Duration::from_millis(1500));
    assert_eq!(k.clock().now() - before, std::time::Duration::from_millis(1500));
    let n = k.create_net().unwrap();
    assert!(k.nets().nets().iter().any(|x| x.id() == n.id()));
    k.destroy_net(&n).unwrap();
    assert_eq!(k.destroy_net(&n), Err(Errno::ENOENT));
    assert_eq!(k.destroy_net(&k.init_net()), Err(Errno::EINVAL));
    // A namespace owned by a user namespace the user created: the user is
    // capable there, not in the initial namespace.
    let uns = k.create_user_ns(u.cred()).unwrap();
    let n2 = k.create_net_in("mine", uns.clone()).unwrap();
    assert!(u.ns_capable(n2.user_ns(), sim_sockets::CAP_NET_ADMIN));
    assert!(!u.ns_capable(k.init_user_ns(), sim_sockets::CAP_NET_ADMIN));
}

/// The lock order the netlink core takes, as the CI gate compares it.
const NETLINK_LOCK_ORDER: &str = "nlk_cb_mutex -> sk_receive_queue.lock\n";

#[test]
fn netlink_paths_take_only_the_expected_lock_order() {
    let k = kernel();
    let net = k.init_net();
    let t = k.root_task();
    let a = open(&t, &net);
    a.bind(&t, &addr(0, 1)).unwrap();
    a.setsockopt_int(&t, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 2).unwrap();
    a.getsockopt(&t, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, 8).unwrap();
    a.sendto(&t, &msg(T_MCAST, NLM_F_REQUEST, 1, &[1, 0, 0, 0]), 0, None).unwrap();
    a.sendto(&t, &msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 2, &[30, 100]), 0, None).unwrap();
    a.sendto(&t, &msg(T_FAIL, NLM_F_REQUEST, 3, &[]), 0, None).unwrap();
    drain(&a, &t, 1024);
    a.sendto(&t, &msg(T_DUMP, NLM_F_REQUEST | NLM_F_DUMP, 4, &[30, 100]), 0, None).unwrap();
    a.close();
    let ours = ["nl_table_lock", "nlk_cb_mutex", "sk_lock-AF_NETLINK", "sk_receive_queue.lock"];
    let g = lockdep::dependency_graph().filter(|c| ours.contains(&c));
    let check = lockdep::check_order(&g, NETLINK_LOCK_ORDER).unwrap();
    assert!(check.is_ok(), "{}", g.to_text());
    assert!(g.to_text().contains("nlk_cb_mutex -> sk_receive_queue.lock"), "{}", g.to_text());
    lockdep::assert_no_reports();
}
