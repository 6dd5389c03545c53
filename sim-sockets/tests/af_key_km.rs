//! PF_KEY as a key manager: the whole acquire exchange, notifications
//! across front ends, and socket-option policies steering a lookup.

mod afk;

use afk::*;
use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::{AF_INET, XfrmAddress, XfrmKmState, XfrmPolicy, XfrmState, XfrmStateInfo};
use sim_core::{Errno, KResult};
use sim_km::{KeyManager, KmEvent, xfrm_msg};
use sim_sockets::inet::{IP_IPSEC_POLICY, IP_XFRM_POLICY, SOL_IP};
use sim_sockets::socket::{MSG_DONTWAIT, SOCK_DGRAM};

const SOCK_AF_INET: i32 = 2;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn sin_bytes(a: [u8; 4], port: u16) -> Vec<u8> {
    sin(a, port)
}

/// The extension of `t` in a kernel message, if any.
fn ext(m: &[u8], t: u16) -> Option<&[u8]> {
    let mut off = 16;
    while off + 4 <= m.len() {
        let len = usize::from(u16::from_le_bytes([m[off], m[off + 1]])) * 8;
        if u16::from_le_bytes([m[off + 2], m[off + 3]]) == t {
            return m.get(off..off + len);
        }
        off += len.max(8);
    }
    None
}

#[test]
fn acquire_exchange_over_pfkey_wakes_the_waiting_sender() {
    let k = kernel(&KernelProfile::FULL);
    let ike = k.open();
    k.send(&ike, &msg(7, ESP, 1, &[])).unwrap();
    k.drain(&ike);
    // OUT policy 10.0.0.1 → 10.0.0.2 requiring ESP transport.
    let spd = msg(
        14,
        0,
        2,
        &[addr(5, SRC, 32, 255), addr(6, DST, 32, 255), pol(2, 2, 0, &[rq(50, 1, 2, 0, None)])],
    );
    k.send(&ike, &spd).unwrap();
    let add = k.drain(&ike);
    let policy_id = le32(ext(&add[0], 18).unwrap(), 8);
    let net = k.kernel.init_net();
    // Lookups wait for SAs instead of using a blackhole route.
    net.xfrm.sysctl_larval_drop.store(0, std::sync::atomic::Ordering::Relaxed);
    let app = k.root.socket(&net, SOCK_AF_INET, SOCK_DGRAM, 0).unwrap();
    app.bind(&k.root, &sin_bytes(SRC, 5000)).unwrap();
    // Without sleeping the lookup misses: EAGAIN, and one ACQUIRE.
    assert_eq!(
        app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&sin_bytes(DST, 53))),
        Err(Errno::EAGAIN)
    );
    let acq = k.drain(&ike);
    assert_eq!(acq.len(), 1);
    let a = &acq[0];
    assert_eq!((a[1], a[3], le32(a, 12)), (6, ESP, 0));
    let seq = le32(a, 8);
    assert_eq!(seq, 1);
    let p = ext(a, 18).unwrap();
    assert_eq!((p[4], p[6], le32(p, 8)), (2, 2, policy_id));
    let prop = ext(a, 13).unwrap();
    assert_eq!(prop[4], 32);
    assert!(prop.len() > 8 && (prop.len() - 8).is_multiple_of(72), "ESP proposals");
    let larval = net.xfrm.state.xfrm_find_acq_byseq(0, seq, u32::MAX).unwrap();
    assert_eq!(larval.km_state(), XfrmKmState::Acq);

    std::thread::scope(|sc| {
        let sender = sc.spawn(|| app.sendto(&k.root, b"x", 0, Some(&sin_bytes(DST, 53))));
        // GETSPI with the ACQUIRE's seq finds the larval SA.
        k.send(
            &ike,
            &msg(
                1,
                ESP,
                seq,
                &[addr(5, SRC, 32, 0), addr(6, DST, 32, 0), spirange(0x5000, 0x5000)],
            ),
        )
        .unwrap();
        let g = k.drain(&ike);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0][1], le32(&g[0], 8)), (1, seq));
        let sa_ext = ext(&g[0], 1).unwrap();
        assert_eq!(u32::from_be_bytes([sa_ext[4], sa_ext[5], sa_ext[6], sa_ext[7]]), 0x5000);
        assert_eq!(sa_ext[9], 0, "larval");
        // UPDATE completes it; the sleeping sender's lookup now succeeds.
        let upd = msg(
            2,
            ESP,
            seq,
            &[
                sa(0x5000, 3, 12),
                addr(5, SRC, 32, 0),
                addr(6, DST, 32, 0),
                key(8, 160, &[1; 20]),
                key(9, 128, &[2; 16]),
            ],
        );
        k.send(&ike, &upd).unwrap();
        assert_eq!(sender.join().unwrap(), Ok(1));
    });
    let updates = k.drain(&ike);
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0][1], 2);
    assert_eq!(app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&sin_bytes(DST, 53))), Ok(1));
}

/// A key manager standing in for netlink: records every event.
#[derive(Default)]
struct Recorder {
    events: sim_core::sync::Mutex<Vec<(u32, u32, u32)>>,
}

impl KeyManager for Recorder {
    fn notify(&self, _x: Option<&Arc<XfrmState>>, c: &KmEvent) -> KResult<()> {
        self.events.lock().push((c.event, c.seq, c.portid));
        Ok(())
    }
    fn notify_policy(&self, _xp: Option<&Arc<XfrmPolicy>>, _dir: u8, c: &KmEvent) -> KResult<()> {
        self.events.lock().push((c.event, c.seq, c.portid));
        Ok(())
    }
}

#[test]
fn notifications_cross_between_front_ends() {
    let k = kernel(&KernelProfile::FULL);
    let rec = sim_core::sync::Arc::new(Recorder::default());
    k.xfrm.km().xfrm_register_km(rec.clone());
    let s = k.open();
    let net = k.kernel.init_net();
    // PF_KEY → the other manager.
    k.send(&s, &esp_add(3, 31, 0x100, DST)).unwrap();
    k.send(&s, &msg(9, 0, 32, &[])).unwrap();
    assert_eq!(
        *rec.events.lock(),
        vec![(xfrm_msg::XFRM_MSG_NEWSA, 31, 4242), (xfrm_msg::XFRM_MSG_FLUSHSA, 32, 4242)]
    );
    k.drain(&s);
    // The other manager's changes (as xfrm_user makes them) → PF_KEY.
    let mut info = XfrmStateInfo::new(
        AF_INET,
        XfrmAddress([10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        XfrmAddress::default(),
        0x99,
        IPPROTO_ESP,
    );
    info.ealg =
        Some(sim_core::xfrm::XfrmAlgo { name: "cbc(aes)".into(), key_len: 128, key: vec![3; 16] });
    let x = Arc::new(XfrmState::new(info, 0));
    x.set_km_state(XfrmKmState::Valid);
    k.xfrm.xfrm_state_add(&net, &x).unwrap();
    let mut c = KmEvent::new(&net, xfrm_msg::XFRM_MSG_NEWSA);
    c.seq = 55;
    c.portid = 777;
    k.xfrm.km().km_state_notify(Some(&x), &c);
    let got = k.drain(&s);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0][1], got[0][3], le32(&got[0], 8), le32(&got[0], 12)), (3, ESP, 55, 777));
    let sa_ext = ext(&got[0], 1).unwrap();
    assert_eq!((sa_ext[10], sa_ext[11]), (0, 12), "no auth, aes-cbc");
    // A hard expiry reaches registered sockets only (none yet), then one.
    k.xfrm.km_state_expired(&net, &x, true, 0);
    assert!(k.drain(&s).is_empty());
    k.send(&s, &msg(7, AH, 40, &[])).unwrap();
    k.drain(&s);
    k.xfrm.km_state_expired(&net, &x, false, 0);
    let e = k.drain(&s);
    assert_eq!((e.len(), e[0][1], le32(&e[0], 8)), (1, 8, 0));
    assert!(ext(&e[0], 4).is_some() && ext(&e[0], 3).is_none() && ext(&e[0], 8).is_none());
}

#[test]
fn socket_option_policy_steers_the_lookup() {
    let k = kernel(&KernelProfile::FULL);
    let net = k.kernel.init_net();
    // Lookups wait for SAs instead of using a blackhole route.
    net.xfrm.sysctl_larval_drop.store(0, std::sync::atomic::Ordering::Relaxed);
    let app = k.root.socket(&net, SOCK_AF_INET, SOCK_DGRAM, 0).unwrap();
    app.bind(&k.root, &sin_bytes(SRC, 5000)).unwrap();
    let to = sin_bytes(DST, 53);
    assert_eq!(app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&to)), Ok(1));
    // A DISCARD policy for OUT: every send is refused.
    let discard = pol(0, 2, 0, &[]);
    app.setsockopt(&k.root, SOL_IP, IP_IPSEC_POLICY, &discard).unwrap();
    assert_eq!(app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&to)), Err(Errno::EPERM));
    let info = net.xfrm.policy.xfrm_spd_getinfo();
    assert_eq!((info.outscnt, info.inscnt, info.outcnt), (1, 0, 0));
    // An IPSEC policy requiring ESP: the lookup needs SAs.
    let ipsec = pol(2, 2, 0, &[rq(50, 1, 2, 0, None)]);
    app.setsockopt(&k.root, SOL_IP, IP_IPSEC_POLICY, &ipsec).unwrap();
    assert_eq!(net.xfrm.policy.xfrm_spd_getinfo().outscnt, 1, "replaced, not added");
    assert_eq!(app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&to)), Err(Errno::EAGAIN));
    // Socket policies show in SPDDUMP with dir 3 + 1 + 1.
    let s = k.open();
    k.send(&s, &msg(18, 0, 1, &[])).unwrap();
    let d = k.drain(&s);
    assert_eq!(d.len(), 1);
    assert_eq!(ext(&d[0], 18).unwrap()[6], 5);
    // Cleared with an empty option: traffic passes again.
    app.setsockopt(&k.root, SOL_IP, IP_IPSEC_POLICY, &[]).unwrap();
    assert_eq!(net.xfrm.policy.xfrm_spd_getinfo().outscnt, 0);
    assert_eq!(app.sendto(&k.root, b"x", MSG_DONTWAIT, Some(&to)), Ok(1));
    // Errors: bad direction, netlink's option with no netlink manager,
    // no CAP_NET_ADMIN.
    assert_eq!(
        app.setsockopt(&k.root, SOL_IP, IP_IPSEC_POLICY, &pol(0, 3, 0, &[])),
        Err(Errno::EINVAL)
    );
    assert_eq!(app.setsockopt(&k.root, SOL_IP, IP_IPSEC_POLICY, &discard[..8]), Err(Errno::EINVAL));
    assert_eq!(app.setsockopt(&k.root, SOL_IP, IP_XFRM_POLICY, &discard), Err(Errno::EOPNOTSUPP));
    let user = k.kernel.spawn_task(k.kernel.root_cred_without_net_admin());
    assert_eq!(app.setsockopt(&user, SOL_IP, IP_IPSEC_POLICY, &discard), Err(Errno::EPERM));
}

#[test]
fn larval_timeout_expires_to_registered_sockets_without_lockdep_reports() {
    let k = kernel(&KernelProfile::DEBIAN_6_1);
    let reg = k.open();
    let other = k.open();
    k.send(&reg, &msg(7, ESP, 1, &[])).unwrap();
    k.drain(&reg);
    // GETSPI makes a larval SA (30 s lifetime, the namespace's acq_expires).
    let net = k.kernel.init_net();
    net.xfrm.sysctl_acq_expires.store(30, std::sync::atomic::Ordering::Relaxed);
    k.send(
        &other,
        &msg(1, ESP, 2, &[addr(5, SRC, 32, 0), addr(6, DST, 32, 0), spirange(0x700, 0x700)]),
    )
    .unwrap();
    let g = k.drain(&other);
    assert_eq!((g.len(), g[0][1]), (1, 1));
    let hard = ext(&g[0], 3).unwrap();
    assert_eq!(u64::from_le_bytes(hard[16..24].try_into().unwrap()), 30);
    // Also a dump on the registering socket, then the timer fires in
    // softirq context.
    k.send(&reg, &msg(10, 0, 3, &[])).unwrap();
    assert_eq!(k.drain(&reg).len(), 1);
    k.kernel.advance(std::time::Duration::from_secs(31));
    let e = k.drain(&reg);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0][1], e[0][3], le32(&e[0], 8), le32(&e[0], 12)), (8, ESP, 0, 0));
    assert_eq!(ext(&e[0], 1).unwrap()[9], 3, "DEAD");
    assert!(k.drain(&other).is_empty(), "EXPIRE goes to registered sockets");
    assert!(net.xfrm.state.is_empty());
    use sim_core::lockdep::take_reports_for;
    use sim_core::xfrm::locks::XFRM_STATE_X_LOCK;
    use sim_sockets::af_key::PFKEY_MUTEX;
    use sim_sockets::af_key::sock::PFKEY_DUMP_LOCK;
    for class in [&PFKEY_MUTEX, &PFKEY_DUMP_LOCK, &XFRM_STATE_X_LOCK] {
        let r = take_reports_for(class);
        assert!(r.is_empty(), "{}", r.iter().map(|r| r.text.as_str()).collect::<String>());
    }
}

#[test]
fn new_mapping_and_migrate_messages() {
    let k = kernel(&KernelProfile::FULL);
    let s = k.open();
    k.send(&s, &msg(7, ESP, 1, &[])).unwrap();
    k.drain(&s);
    let net = k.kernel.init_net();
    // An ESP SA with UDP encapsulation 4500 → 4500.
    let natt_type = vec![1, 0, 20, 0, 2, 0, 0, 0];
    let port = |t: u8, p: u16| {
        let mut v = vec![1, 0, t, 0];
        v.extend_from_slice(&p.to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v
    };
    let add = msg(
        3,
        ESP,
        2,
        &[
            sa(0x4242, 3, 12),
            addr(5, SRC, 32, 0),
            addr(6, DST, 32, 0),
            key(8, 160, &[1; 20]),
            key(9, 128, &[2; 16]),
            natt_type,
            port(21, 4500),
            port(22, 4500),
        ],
    );
    k.send(&s, &add).unwrap();
    let a = k.drain(&s);
    assert_eq!(ext(&a[0], 20).unwrap()[4], 2);
    let x = k
        .xfrm
        .xfrm_state_lookup(
            &net,
            0,
            &XfrmAddress([10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            0x4242,
            IPPROTO_ESP,
            AF_INET,
        )
        .unwrap();
    let new_peer = XfrmAddress([192, 0, 2, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    k.xfrm.km_new_mapping(&net, &x, &new_peer, 4501).unwrap();
    let m = k.drain(&s);
    assert_eq!(m.len(), 1);
    let nm = &m[0];
    assert_eq!((nm[1], nm[3], le32(nm, 8)), (23, ESP, 1));
    let mut want = vec![2, 23, 0, 3, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    want.extend_from_slice(&[2, 0, 1, 0, 0, 0, 0x42, 0x42, 0, 0, 0, 0, 0, 0, 0, 0]);
    want.extend(addr(5, SRC, 32, 0));
    want.extend(port(21, 4500));
    want.extend(addr(6, [192, 0, 2, 9], 32, 0));
    want.extend(port(22, 4501));
    assert_eq!(nm, &want);
    // MIGRATE of the OUT policy's tunnel endpoints: the policy must exist.
    let pol_tun = pol(2, 2, 0, &[rq(50, 2, 2, 0, Some((SRC, DST)))]);
    let sel = [addr(5, [10, 1, 0, 0], 16, 255), addr(6, [10, 2, 0, 0], 16, 255)];
    let mig_pol = pol(
        2,
        2,
        0,
        &[rq(50, 2, 2, 0, Some((SRC, DST))), rq(50, 2, 2, 0, Some(([10, 0, 0, 5], DST)))],
    );
    let mig = msg(24, 0, 3, &[sel[0].clone(), sel[1].clone(), mig_pol]);
    k.send(&s, &mig).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&mig, 2)], "no such policy");
    k.send(&s, &msg(14, 0, 4, &[sel[0].clone(), sel[1].clone(), pol_tun])).unwrap();
    k.drain(&s);
    k.send(&s, &mig).unwrap();
    let got = k.drain(&s);
    assert_eq!(got.len(), 1, "{got:02x?}");
    let g = &got[0];
    assert_eq!((g[1], g[3], le32(g, 8)), (24, ESP, 0));
    let p = ext(g, 18).unwrap();
    assert_eq!((p[6], p.len()), (2, 16 + 2 * 48));
    // Unpaired requests and the same endpoints are refused.
    let odd = msg(
        24,
        0,
        5,
        &[sel[0].clone(), sel[1].clone(), pol(2, 2, 0, &[rq(50, 2, 2, 0, Some((SRC, DST)))])],
    );
    k.send(&s, &odd).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&odd, 22)]);
    let same = msg(
        24,
        0,
        6,
        &[
            sel[0].clone(),
            sel[1].clone(),
            pol(2, 2, 0, &[rq(50, 2, 2, 0, Some((SRC, DST))), rq(50, 2, 2, 0, Some((SRC, DST)))]),
        ],
    );
    k.send(&s, &same).unwrap();
    assert_eq!(k.drain(&s), vec![error_reply(&same, 22)]);
}
