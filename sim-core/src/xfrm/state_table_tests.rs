//! Unit tests of the SAD: one per errno and ordering rule.

use std::net::Ipv4Addr;

use super::*;
use crate::sync::Mutex;
use crate::xfrm::state::{
    IPPROTO_AH, IPPROTO_COMP, IPPROTO_ESP, IPPROTO_ROUTING, IPSEC_PROTO_ANY, XfrmEncapTmpl,
    XfrmStateInfo,
};

fn a4(a: u8, b: u8, c: u8, d: u8) -> XfrmAddress {
    Ipv4Addr::new(a, b, c, d).into()
}

fn info(d: u8, spi: u32, proto: u8) -> XfrmStateInfo {
    XfrmStateInfo::new(AF_INET, a4(10, 0, 0, d), a4(10, 0, 1, 1), spi, proto)
}

fn valid(i: XfrmStateInfo) -> Arc<XfrmState> {
    let x = Arc::new(XfrmState::new(i, 1000));
    x.set_km_state(XfrmKmState::Valid);
    x
}

#[derive(Default)]
struct Hook {
    events: Mutex<Vec<(u32, bool)>>,
}

impl XfrmExpiryHook for Hook {
    type Policy = ();
    fn state_expired(&self, x: &Arc<XfrmState>, hard: bool) {
        self.events.lock().push((x.spi(), hard));
    }
    fn policy_expired(&self, _xp: &(), _dir: u8, _hard: bool) {}
}

#[derive(Default)]
struct Timers {
    armed: Mutex<Vec<(u32, u64)>>,
}

impl XfrmStateTimerArm for Timers {
    fn arm(&self, x: &Arc<XfrmState>, secs: u64) {
        self.armed.lock().push((x.spi(), secs));
    }
}

#[test]
fn add_then_lookup_and_eexist() {
    let t = StateTable::new();
    let x = valid(info(1, 0x100, IPPROTO_ESP));
    t.xfrm_state_add(&x).unwrap();
    let y = t.xfrm_state_lookup(0, &a4(10, 0, 0, 1), 0x100, IPPROTO_ESP, AF_INET).unwrap();
    assert!(Arc::ptr_eq(&x, &y));
    // Same (daddr, spi, proto, family): EEXIST.
    assert_eq!(t.xfrm_state_add(&valid(info(1, 0x100, IPPROTO_ESP))), Err(Errno::EEXIST));
    // Same Arc twice: EEXIST.
    assert_eq!(t.xfrm_state_add(&x), Err(Errno::EEXIST));
    // Another proto, daddr or family is a different SA.
    t.xfrm_state_add(&valid(info(1, 0x100, IPPROTO_AH))).unwrap();
    t.xfrm_state_add(&valid(info(2, 0x100, IPPROTO_ESP))).unwrap();
    assert_eq!(t.len(), 3);
    // Wrong family or spi: not found.
    assert!(t.xfrm_state_lookup(0, &a4(10, 0, 0, 1), 0x100, IPPROTO_ESP, AF_INET6).is_none());
    assert!(t.xfrm_state_lookup(0, &a4(10, 0, 0, 1), 0x101, IPPROTO_ESP, AF_INET).is_none());
}

#[test]
fn mark_rule_on_add_and_lookup() {
    let t = StateTable::new();
    let mut i = info(1, 0x200, IPPROTO_ESP);
    i.mark = XfrmMark::new(5, 0xff);
    let marked = valid(i.clone());
    t.xfrm_state_add(&marked).unwrap();
    // Lookup needs (mark & m) == v.
    assert!(t.xfrm_state_lookup(0, &i.id.daddr, 0x200, IPPROTO_ESP, AF_INET).is_none());
    assert!(t.xfrm_state_lookup(0x105, &i.id.daddr, 0x200, IPPROTO_ESP, AF_INET).is_some());
    // A differently marked SA with the same triple: its masked mark 6 does
    // not satisfy 5/0xff, so it is a new SA.
    i.mark = XfrmMark::new(6, 0xff);
    t.xfrm_state_add(&valid(i.clone())).unwrap();
    // An unmarked one: mark_new = 0, 0 & 0xff != 5 and != 6 → not found → added.
    let mut u = i.clone();
    u.mark = XfrmMark::default();
    let unmarked = valid(u.clone());
    t.xfrm_state_add(&unmarked).unwrap();
    // Now a marked one collides with the unmarked SA (anything & 0 == 0).
    let mut again = i.clone();
    again.mark = XfrmMark::new(7, 0xff);
    assert_eq!(t.xfrm_state_add(&valid(again)), Err(Errno::EEXIST));
    // Lookup with mark 5 returns the newest matching entry in the chain: the
    // unmarked SA was inserted at the head after the one marked 5.
    let y = t.xfrm_state_lookup(5, &i.id.daddr, 0x200, IPPROTO_ESP, AF_INET).unwrap();
    assert!(Arc::ptr_eq(&y, &unmarked));
}

#[test]
fn add_without_spi_uses_addresses() {
    let t = StateTable::new();
    t.xfrm_state_add(&valid(info(1, 0, IPPROTO_ROUTING))).unwrap();
    assert_eq!(t.xfrm_state_add(&valid(info(1, 0, IPPROTO_ROUTING))), Err(Errno::EEXIST));
    let mut other_src = info(1, 0, IPPROTO_ROUTING);
    other_src.saddr = a4(10, 0, 1, 2);
    t.xfrm_state_add(&valid(other_src)).unwrap();
    let x =
        t.xfrm_state_lookup_byaddr(0, &a4(10, 0, 0, 1), &a4(10, 0, 1, 1), IPPROTO_ROUTING, AF_INET);
    assert!(x.is_some());
}

fn acq_args<'a>(d: &'a XfrmAddress, s: &'a XfrmAddress) -> FindAcq<'a> {
    FindAcq {
        mark: XfrmMark::default(),
        mode: 1,
        reqid: 7,
        if_id: 0,
        pcpu_num: u32::MAX,
        proto: IPPROTO_ESP,
        daddr: d,
        saddr: s,
        family: AF_INET,
    }
}

#[test]
fn find_acq_creates_once_and_reuses() {
    let t = StateTable::new();
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    assert!(t.xfrm_find_acq(&acq_args(&d, &s), false, 5).is_none());
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    assert_eq!(l.km_state(), XfrmKmState::Acq);
    assert_eq!(l.spi(), 0);
    assert_eq!(l.lock_bh().lft.hard_add_expires_seconds, 30);
    let sel = l.lock_bh().sel;
    assert_eq!((sel.prefixlen_d, sel.prefixlen_s, sel.daddr, sel.saddr), (32, 32, d, s));
    // Reused, even with another if_id (if_id is not compared).
    let mut a = acq_args(&d, &s);
    a.if_id = 9;
    let l2 = t.xfrm_find_acq(&a, true, 6).unwrap();
    assert!(Arc::ptr_eq(&l, &l2));
    assert_eq!(t.len(), 1);
    // Another reqid: a new one.
    a.reqid = 8;
    let l3 = t.xfrm_find_acq(&a, true, 6).unwrap();
    assert!(!Arc::ptr_eq(&l, &l3));
    assert_eq!(t.xfrm_sad_getinfo().sadcnt, 2);
}

#[test]
fn find_acq_not_reused_once_it_has_an_spi() {
    let t = StateTable::new();
    let rng = KernelRng::from_seed(1);
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    t.xfrm_alloc_spi(&l, 0x500, 0x500, &rng).unwrap();
    let l2 = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    assert!(!Arc::ptr_eq(&l, &l2));
    assert_eq!(t.len(), 2);
}

#[test]
fn add_replaces_larval_found_by_find_acq_core() {
    let t = StateTable::new();
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    let mut i = info(1, 0x300, IPPROTO_ESP);
    i.mode = 1;
    i.reqid = 7;
    let x = valid(i);
    t.xfrm_state_add(&x).unwrap();
    assert_eq!(l.km_state(), XfrmKmState::Dead);
    assert_eq!(t.len(), 1);
    assert!(Arc::ptr_eq(&t.states()[0], &x));
}

#[test]
fn add_replaces_larval_found_by_seq() {
    let t = StateTable::new();
    let mut li = info(1, 0, IPPROTO_ESP);
    li.seq = 42;
    li.reqid = 99; // would not be found by __find_acq_core for the new SA
    let l = Arc::new(XfrmState::new(li, 1));
    t.xfrm_state_insert_larval(&l).unwrap();
    assert!(Arc::ptr_eq(&t.xfrm_find_acq_byseq(0, 42, u32::MAX).unwrap(), &l));
    let mut i = info(1, 0x301, IPPROTO_ESP);
    i.seq = 42;
    t.xfrm_state_add(&valid(i)).unwrap();
    assert_eq!(l.km_state(), XfrmKmState::Dead);
    assert_eq!(t.len(), 1);
    // By seq with another daddr: the larval state stays.
    let mut li = info(2, 0, IPPROTO_ESP);
    li.seq = 43;
    li.reqid = 99;
    let l = Arc::new(XfrmState::new(li, 1));
    t.xfrm_state_insert_larval(&l).unwrap();
    let mut i = info(3, 0x302, IPPROTO_ESP);
    i.seq = 43;
    t.xfrm_state_add(&valid(i)).unwrap();
    assert_eq!(l.km_state(), XfrmKmState::Acq);
    assert_eq!(t.len(), 3);
}

#[test]
fn find_acq_byseq_only_acq() {
    let t = StateTable::new();
    let mut i = info(1, 0x400, IPPROTO_ESP);
    i.seq = 77;
    let x = valid(i);
    t.xfrm_state_add(&x).unwrap();
    assert!(t.xfrm_find_acq_byseq(0, 77, u32::MAX).is_none());
    x.set_km_state(XfrmKmState::Acq);
    assert!(t.xfrm_find_acq_byseq(0, 77, u32::MAX).is_some());
    assert!(t.xfrm_find_acq_byseq(0, 78, u32::MAX).is_none());
    assert!(t.xfrm_find_acq_byseq(0, 77, 0).is_none());
}

#[test]
fn update_errnos() {
    let t = StateTable::new();
    let hook = Hook::default();
    // Absent: ESRCH.
    assert_eq!(
        t.xfrm_state_update(&valid(info(1, 0x10, IPPROTO_ESP)), 0, &hook),
        Err(Errno::ESRCH)
    );
    // Kernel-owned: EEXIST.
    let k = valid(info(1, 0x10, IPPROTO_ESP));
    t.xfrm_state_add(&k).unwrap();
    k.tunnel_users_add(1);
    assert_eq!(
        t.xfrm_state_update(&valid(info(1, 0x10, IPPROTO_ESP)), 0, &hook),
        Err(Errno::EEXIST)
    );
    k.tunnel_users_add(-1);
    // Not VALID (ERROR): EINVAL.
    k.set_km_state(XfrmKmState::Error);
    assert_eq!(
        t.xfrm_state_update(&valid(info(1, 0x10, IPPROTO_ESP)), 0, &hook),
        Err(Errno::EINVAL)
    );
    k.set_km_state(XfrmKmState::Valid);
    // Direction differs: ESRCH.
    let mut d = info(1, 0x10, IPPROTO_ESP);
    d.dir = 1;
    assert_eq!(t.xfrm_state_update(&valid(d), 0, &hook), Err(Errno::ESRCH));
    // Encapsulation: present on one side only, or another type: EINVAL.
    let mut e = info(1, 0x10, IPPROTO_ESP);
    e.encap = Some(XfrmEncapTmpl {
        encap_type: 2,
        encap_sport: 4500,
        encap_dport: 4500,
        encap_oa: XfrmAddress::ANY,
    });
    assert_eq!(t.xfrm_state_update(&valid(e.clone()), 0, &hook), Err(Errno::EINVAL));
    let mut ke = info(2, 0x11, IPPROTO_ESP);
    ke.encap = Some(XfrmEncapTmpl { encap_type: 1, ..Default::default() });
    t.xfrm_state_add(&valid(ke)).unwrap();
    e.id.daddr = a4(10, 0, 0, 2);
    e.id.spi = 0x11;
    assert_eq!(t.xfrm_state_update(&valid(e.clone()), 0, &hook), Err(Errno::EINVAL));
    // Same type: copied.
    e.encap = Some(XfrmEncapTmpl {
        encap_type: 1,
        encap_sport: 1,
        encap_dport: 2,
        encap_oa: XfrmAddress::ANY,
    });
    t.xfrm_state_update(&valid(e), 0, &hook).unwrap();
    let y = t.xfrm_state_lookup(0, &a4(10, 0, 0, 2), 0x11, IPPROTO_ESP, AF_INET).unwrap();
    assert_eq!(y.lock_bh().encap.map(|e| e.encap_dport), Some(2));
}

#[test]
fn update_in_place_copies_limits_and_discards_new() {
    let timers = Arc::new(Timers::default());
    let t = StateTable::with_timer(timers.clone());
    let hook = Hook::default();
    let mut i = info(1, 0x20, IPPROTO_ESP);
    i.coaddr = Some(a4(1, 1, 1, 1));
    i.smark = XfrmMark::new(1, 1);
    i.if_id = 3;
    let old = valid(i.clone());
    t.xfrm_state_add(&old).unwrap();
    old.set_dying(true);
    let g0 = old.genid();
    let mut n = i.clone();
    n.lft.hard_add_expires_seconds = 99;
    n.coaddr = Some(a4(2, 2, 2, 2));
    n.sel.proto = 6; // ignored for an SPI protocol
    n.smark = XfrmMark::default(); // not given: kept
    n.if_id = 4;
    n.ealg =
        Some(crate::xfrm::XfrmAlgo { name: "cbc(aes)".into(), key_len: 128, key: vec![0; 16] });
    let new = valid(n);
    t.xfrm_state_update(&new, 0, &hook).unwrap();
    assert_eq!(new.km_state(), XfrmKmState::Dead);
    assert!(!new.is_linked());
    let m = old.lock_bh().clone();
    assert_eq!(m.lft.hard_add_expires_seconds, 99);
    assert_eq!(m.coaddr, Some(a4(2, 2, 2, 2)));
    assert_eq!(m.sel.proto, 0);
    assert_eq!(m.smark, XfrmMark::new(1, 1));
    assert_eq!(old.if_id(), 4);
    assert!(!old.dying());
    assert!(old.ealg.is_none(), "algorithms are not changed by an update");
    assert_eq!(old.genid(), g0 + 1);
    assert_eq!(t.len(), 1);
    assert_eq!(timers.armed.lock().last(), Some(&(0x20, 1)));
}

#[test]
fn update_non_spi_proto_copies_selector() {
    let t = StateTable::new();
    let hook = Hook::default();
    t.xfrm_state_add(&valid(info(1, 0, IPPROTO_ROUTING))).unwrap();
    let mut n = info(1, 0, IPPROTO_ROUTING);
    n.sel.proto = 17;
    t.xfrm_state_update(&valid(n), 0, &hook).unwrap();
    assert_eq!(t.states()[0].lock_bh().sel.proto, 17);
}

#[test]
fn update_replaces_larval() {
    let t = StateTable::new();
    let hook = Hook::default();
    let rng = KernelRng::from_seed(3);
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    t.xfrm_alloc_spi(&l, 0x1000, 0x1000, &rng).unwrap();
    let x = valid(info(1, 0x1000, IPPROTO_ESP));
    t.xfrm_state_update(&x, 0, &hook).unwrap();
    assert_eq!(l.km_state(), XfrmKmState::Dead);
    assert!(x.is_linked());
    let y = t.xfrm_state_lookup(0, &d, 0x1000, IPPROTO_ESP, AF_INET).unwrap();
    assert!(Arc::ptr_eq(&x, &y));
    assert_eq!(t.len(), 1);
}

#[test]
fn update_of_used_state_rechecks_limits() {
    let t = StateTable::new();
    let hook = Hook::default();
    let x = valid(info(1, 0x30, IPPROTO_ESP));
    t.xfrm_state_add(&x).unwrap();
    t.xfrm_state_account_use(&x, 500, 5, 10, &hook).unwrap();
    let mut n = info(1, 0x30, IPPROTO_ESP);
    n.lft.soft_byte_limit = 100;
    t.xfrm_state_update(&valid(n), 11, &hook).unwrap();
    assert!(x.dying());
    assert_eq!(*hook.events.lock(), vec![(0x30, false)]);
}

#[test]
fn delete_twice_is_esrch() {
    let t = StateTable::new();
    let x = valid(info(1, 0x40, IPPROTO_ESP));
    t.xfrm_state_add(&x).unwrap();
    t.xfrm_state_delete(&x).unwrap();
    assert_eq!(t.xfrm_state_delete(&x), Err(Errno::ESRCH));
    assert!(t.is_empty());
    assert!(t.xfrm_state_lookup(0, &x.daddr, 0x40, IPPROTO_ESP, AF_INET).is_none());
    // A state that was never inserted: DEAD after the first delete too.
    let y = valid(info(1, 0x41, IPPROTO_ESP));
    t.xfrm_state_delete(&y).unwrap();
    assert_eq!(t.xfrm_state_delete(&y), Err(Errno::ESRCH));
}

#[test]
fn flush_rules() {
    let t = StateTable::new();
    assert_eq!(t.xfrm_state_flush(0), Err(Errno::ESRCH));
    t.xfrm_state_add(&valid(info(1, 1, IPPROTO_ESP))).unwrap();
    t.xfrm_state_add(&valid(info(1, 2, IPPROTO_AH))).unwrap();
    t.xfrm_state_add(&valid(info(1, 3, IPPROTO_COMP))).unwrap();
    t.xfrm_state_add(&valid(info(1, 0, IPPROTO_ROUTING))).unwrap();
    let k = valid(info(2, 4, IPPROTO_ESP));
    t.xfrm_state_add(&k).unwrap();
    k.tunnel_users_add(1);
    // Nothing of that proto: ESRCH.
    assert_eq!(t.xfrm_state_flush(60), Err(Errno::ESRCH));
    assert_eq!(t.xfrm_state_flush(IPPROTO_AH), Ok(1));
    // IPSEC_PROTO_ANY: ESP and COMP, not ROUTING, not the kernel-owned one.
    assert_eq!(t.xfrm_state_flush(IPSEC_PROTO_ANY), Ok(2));
    assert_eq!(t.len(), 2);
    // Only the kernel-owned ESP SA left of that proto: ESRCH.
    assert_eq!(t.xfrm_state_flush(IPPROTO_ESP), Err(Errno::ESRCH));
    assert_eq!(t.xfrm_state_flush(0), Ok(1));
    assert_eq!(t.len(), 1);
}

#[test]
fn lookup_byspi_newest_first() {
    let t = StateTable::new();
    let a = valid(info(1, 0x50, IPPROTO_ESP));
    let b = valid(info(2, 0x50, IPPROTO_AH));
    t.xfrm_state_add(&a).unwrap();
    t.xfrm_state_add(&b).unwrap();
    assert!(Arc::ptr_eq(&t.xfrm_state_lookup_byspi(0x50, AF_INET).unwrap(), &b));
    assert!(t.xfrm_state_lookup_byspi(0x50, AF_INET6).is_none());
}

#[test]
fn stateonly_find_rules() {
    let t = StateTable::new();
    let mut i = info(1, 0x60, IPPROTO_ESP);
    i.reqid = 5;
    i.mode = 1;
    i.saddr = XfrmAddress::ANY;
    let x = valid(i);
    t.xfrm_state_add(&x).unwrap();
    // The wildcard source of the SA matches any source, but the bucket is
    // hashed with the given source; with saddr ANY it is the same bucket.
    let d = a4(10, 0, 0, 1);
    assert!(
        t.xfrm_stateonly_find(0, 0, &d, &XfrmAddress::ANY, AF_INET, 1, IPPROTO_ESP, 5).is_some()
    );
    assert!(
        t.xfrm_stateonly_find(0, 0, &d, &XfrmAddress::ANY, AF_INET, 0, IPPROTO_ESP, 5).is_none()
    );
    assert!(
        t.xfrm_stateonly_find(0, 1, &d, &XfrmAddress::ANY, AF_INET, 1, IPPROTO_ESP, 5).is_none()
    );
    x.set_km_state(XfrmKmState::Acq);
    assert!(
        t.xfrm_stateonly_find(0, 0, &d, &XfrmAddress::ANY, AF_INET, 1, IPPROTO_ESP, 5).is_none()
    );
}

#[test]
fn verify_spi_info_errnos() {
    assert_eq!(verify_spi_info(IPPROTO_ESP, 1, 0xffff_ffff), Ok(()));
    assert_eq!(verify_spi_info(IPPROTO_AH, 5, 5), Ok(()));
    assert_eq!(verify_spi_info(IPPROTO_COMP, 0x100, 0xffff), Ok(()));
    assert_eq!(verify_spi_info(IPPROTO_COMP, 0x100, 0x10000), Err(Errno::EINVAL));
    assert_eq!(verify_spi_info(6, 1, 2), Err(Errno::EINVAL));
    assert_eq!(verify_spi_info(0, 1, 2), Err(Errno::EINVAL));
    assert_eq!(verify_spi_info(IPPROTO_ESP, 3, 2), Err(Errno::EINVAL));
}

#[test]
fn alloc_spi_rules() {
    let t = StateTable::new();
    let rng = KernelRng::from_seed(9);
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
    // min = max = 0: SPI 0 is "none": ENOENT.
    assert_eq!(t.xfrm_alloc_spi(&l, 0, 0, &rng), Err(Errno::ENOENT));
    t.xfrm_alloc_spi(&l, 0x100, 0x100, &rng).unwrap();
    assert_eq!(l.spi(), 0x100);
    // Already has one: Ok, unchanged.
    t.xfrm_alloc_spi(&l, 0x200, 0x300, &rng).unwrap();
    assert_eq!(l.spi(), 0x100);
    // Visible to xfrm_state_lookup now.
    assert!(t.xfrm_state_lookup(0, &d, 0x100, IPPROTO_ESP, AF_INET).is_some());
    // The SPI is taken for ESP in the whole namespace, whatever the daddr.
    let d2 = a4(10, 0, 0, 2);
    let l2 = t.xfrm_find_acq(&acq_args(&d2, &s), true, 5).unwrap();
    assert_eq!(t.xfrm_alloc_spi(&l2, 0x100, 0x100, &rng), Err(Errno::ENOENT));
    // The failed state keeps SPI 0.
    assert_eq!(l2.spi(), 0);
    // Another proto may use it.
    let mut a = acq_args(&d2, &s);
    a.proto = IPPROTO_AH;
    let l3 = t.xfrm_find_acq(&a, true, 5).unwrap();
    t.xfrm_alloc_spi(&l3, 0x100, 0x100, &rng).unwrap();
    // A range with one free SPI left is always found.
    for spi in 0x101..=0x10f {
        t.xfrm_state_add(&valid(info(9, spi, IPPROTO_ESP))).unwrap();
    }
    t.xfrm_alloc_spi(&l2, 0x100, 0x110, &rng).unwrap();
    assert_eq!(l2.spi(), 0x110);
    // Exhausted: ENOENT.
    let d4 = a4(10, 0, 0, 4);
    let l4 = t.xfrm_find_acq(&acq_args(&d4, &s), true, 5).unwrap();
    assert_eq!(t.xfrm_alloc_spi(&l4, 0x100, 0x110, &rng), Err(Errno::ENOENT));
    // DEAD: ENOENT.
    t.xfrm_state_delete(&l4).unwrap();
    assert_eq!(t.xfrm_alloc_spi(&l4, 0x200, 0x300, &rng), Err(Errno::ENOENT));
    // Deleting frees the SPI for others.
    t.xfrm_state_delete(&l).unwrap();
    let d5 = a4(10, 0, 0, 5);
    let l5 = t.xfrm_find_acq(&acq_args(&d5, &s), true, 5).unwrap();
    t.xfrm_alloc_spi(&l5, 0x100, 0x100, &rng).unwrap();
}

#[test]
fn alloc_spi_is_seeded() {
    let run = |seed| {
        let t = StateTable::new();
        let rng = KernelRng::from_seed(seed);
        let s = a4(10, 0, 1, 1);
        (1..=20u8)
            .map(|i| {
                let d = a4(10, 0, 0, i);
                let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 5).unwrap();
                t.xfrm_alloc_spi(&l, 0x1000, 0xffff, &rng).unwrap();
                l.spi()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
    assert!(run(5).iter().all(|s| (0x1000..=0xffff).contains(s)));
}

#[test]
fn acqseq_skips_zero() {
    let c = XfrmAcqSeq::new();
    assert_eq!(c.next(), 1);
    assert_eq!(c.next(), 2);
    let c = XfrmAcqSeq(AtomicU32::new(u32::MAX - 1));
    assert_eq!(c.next(), u32::MAX);
    assert_eq!(c.next(), 1);
}

#[test]
fn walk_newest_first_and_enoent() {
    let t = StateTable::new();
    let mut w = XfrmStateWalk::new(0, None);
    assert_eq!(t.xfrm_state_walk(&mut w, |_, _| Ok(())), Err(Errno::ENOENT));
    for spi in 1..=5 {
        t.xfrm_state_add(&valid(info(1, spi, IPPROTO_ESP))).unwrap();
    }
    let mut seen = vec![];
    let mut w = XfrmStateWalk::new(0, None);
    t.xfrm_state_walk(&mut w, |x, seq| {
        seen.push((x.spi(), seq));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![(5, 0), (4, 1), (3, 2), (2, 3), (1, 4)]);
    assert!(w.is_done());
    // A finished walk returns at once.
    t.xfrm_state_walk(&mut w, |_, _| panic!("finished walk visited a state")).unwrap();
    // Proto filter with nothing matching: ENOENT.
    let mut w = XfrmStateWalk::new(IPPROTO_AH, None);
    assert_eq!(t.xfrm_state_walk(&mut w, |_, _| Ok(())), Err(Errno::ENOENT));
}

#[test]
fn walk_resumes_at_failed_entry() {
    let t = StateTable::new();
    for spi in 1..=6 {
        t.xfrm_state_add(&valid(info(1, spi, IPPROTO_ESP))).unwrap();
    }
    let mut w = XfrmStateWalk::new(0, None);
    let mut got = vec![];
    // A "full buffer" after two entries.
    let mut budget = 2;
    let r = t.xfrm_state_walk(&mut w, |x, _| {
        if budget == 0 {
            return Err(Errno::EMSGSIZE);
        }
        budget -= 1;
        got.push(x.spi());
        Ok(())
    });
    assert_eq!(r, Err(Errno::EMSGSIZE));
    // Concurrent changes: a new state (not visited), the next one deleted.
    t.xfrm_state_add(&valid(info(1, 7, IPPROTO_ESP))).unwrap();
    let four = t.xfrm_state_lookup(0, &a4(10, 0, 0, 1), 4, IPPROTO_ESP, AF_INET).unwrap();
    t.xfrm_state_delete(&four).unwrap();
    t.xfrm_state_walk(&mut w, |x, _| {
        got.push(x.spi());
        Ok(())
    })
    .unwrap();
    assert_eq!(got, vec![6, 5, 3, 2, 1]);
    assert_eq!(w.seq, 5);
}

#[test]
fn walk_address_filter() {
    let t = StateTable::new();
    t.xfrm_state_add(&valid(info(1, 1, IPPROTO_ESP))).unwrap();
    t.xfrm_state_add(&valid(info(2, 2, IPPROTO_ESP))).unwrap();
    let f = XfrmAddressFilter {
        daddr: a4(10, 0, 0, 2),
        dplen: 32,
        family: AF_INET,
        ..Default::default()
    };
    let mut w = XfrmStateWalk::new(0, Some(f));
    let mut got = vec![];
    t.xfrm_state_walk(&mut w, |x, _| {
        got.push(x.spi());
        Ok(())
    })
    .unwrap();
    assert_eq!(got, vec![2]);
    let f6 = XfrmAddressFilter { family: AF_INET6, ..Default::default() };
    let mut w = XfrmStateWalk::new(0, Some(f6));
    assert_eq!(t.xfrm_state_walk(&mut w, |_, _| Ok(())), Err(Errno::ENOENT));
}

#[test]
fn walk_larger_than_a_batch() {
    let t = StateTable::new();
    for spi in 1..=1000 {
        t.xfrm_state_add(&valid(info((spi % 200) as u8, spi, IPPROTO_ESP))).unwrap();
    }
    let mut w = XfrmStateWalk::new(0, None);
    let mut got = vec![];
    t.xfrm_state_walk(&mut w, |x, _| {
        got.push(x.spi());
        Ok(())
    })
    .unwrap();
    assert_eq!(got, (1..=1000).rev().collect::<Vec<_>>());
}

/// Linux's growth rule computed independently: after each insert, double if
/// the new state's bydst bucket already had an entry, the table is below
/// the maximum and state_num > hmask.
#[test]
fn growth_follows_linux_rule() {
    let t = StateTable::new();
    let mut hmask = 7u32;
    let mut keys: Vec<(XfrmAddress, XfrmAddress, u32)> = vec![];
    for n in 0..3000u32 {
        let d = XfrmAddress::from_v4_u32(0x0a00_0000 + n * 7);
        let s = XfrmAddress::from_v4_u32(0xc0a8_0000 + (n % 13));
        let reqid = n % 5;
        let h = crate::xfrm::hash::xfrm_dst_hash(&d, &s, reqid, AF_INET, hmask);
        let collision = keys
            .iter()
            .any(|(kd, ks, kr)| crate::xfrm::hash::xfrm_dst_hash(kd, ks, *kr, AF_INET, hmask) == h);
        keys.push((d, s, reqid));
        if collision && hmask + 1 < XFRM_STATE_HASHMAX && keys.len() as u32 > hmask {
            hmask = hmask * 2 + 1;
        }
        let mut i = XfrmStateInfo::new(AF_INET, d, s, n + 1, IPPROTO_ESP);
        i.reqid = reqid;
        t.xfrm_state_add(&valid(i)).unwrap();
        assert_eq!(t.xfrm_sad_getinfo().sadhcnt, hmask + 1, "after {} inserts", n + 1);
    }
    let info = t.xfrm_sad_getinfo();
    assert_eq!(info.sadcnt, 3000);
    assert_eq!(info.sadhmcnt, 1 << 20);
    assert!(info.sadhcnt >= 2048);
}

#[test]
fn resize_keeps_every_index() {
    let t = StateTable::new();
    for n in 1..=300u32 {
        let mut i = XfrmStateInfo::new(
            AF_INET,
            XfrmAddress::from_v4_u32(n),
            a4(1, 1, 1, 1),
            n,
            IPPROTO_ESP,
        );
        i.seq = n;
        t.xfrm_state_add(&valid(i)).unwrap();
    }
    assert!(t.xfrm_sad_getinfo().sadhcnt > 8);
    for n in 1..=300u32 {
        assert!(
            t.xfrm_state_lookup(0, &XfrmAddress::from_v4_u32(n), n, IPPROTO_ESP, AF_INET).is_some()
        );
        assert!(
            t.xfrm_state_lookup_byaddr(
                0,
                &XfrmAddress::from_v4_u32(n),
                &a4(1, 1, 1, 1),
                IPPROTO_ESP,
                AF_INET
            )
            .is_some()
        );
    }
    let (_, idx) = t.debug_indexes();
    for table in &idx {
        assert_eq!(table.iter().map(Vec::len).sum::<usize>(), 300);
    }
}

#[test]
fn genids_bumped_for_same_endpoints() {
    let t = StateTable::new();
    let a = valid(info(1, 1, IPPROTO_ESP));
    t.xfrm_state_add(&a).unwrap();
    let b = valid(info(1, 2, IPPROTO_ESP));
    t.xfrm_state_add(&b).unwrap();
    assert_eq!(a.genid(), 1);
    assert_eq!(b.genid(), 0);
    t.xfrm_state_add(&valid(info(2, 3, IPPROTO_ESP))).unwrap();
    assert_eq!(a.genid(), 1);
}

#[test]
fn timer_soft_then_hard() {
    let t = StateTable::new();
    let hook = Hook::default();
    let mut i = info(1, 0x70, IPPROTO_ESP);
    i.lft.soft_add_expires_seconds = 10;
    i.lft.hard_add_expires_seconds = 20;
    let x = Arc::new(XfrmState::new(i, 100));
    x.set_km_state(XfrmKmState::Valid);
    t.xfrm_state_add(&x).unwrap();
    assert_eq!(t.xfrm_timer_handler(&x, 101, &hook), Some(9));
    assert_eq!(t.xfrm_timer_handler(&x, 110, &hook), Some(10));
    assert!(x.dying());
    // Only one soft notification while dying.
    assert_eq!(t.xfrm_timer_handler(&x, 115, &hook), Some(5));
    assert_eq!(t.xfrm_timer_handler(&x, 120, &hook), None);
    assert_eq!(x.km_state(), XfrmKmState::Dead);
    assert!(t.is_empty());
    assert_eq!(*hook.events.lock(), vec![(0x70, false), (0x70, true)]);
    // A dead state's timer does nothing.
    assert_eq!(t.xfrm_timer_handler(&x, 130, &hook), None);
    assert_eq!(hook.events.lock().len(), 2);
}

#[test]
fn larval_timeout_reports_hard_expire() {
    let timers = Arc::new(Timers::default());
    let t = StateTable::with_timer(timers.clone());
    t.set_acq_expires(17);
    let hook = Hook::default();
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 100).unwrap();
    assert_eq!(*timers.armed.lock(), vec![(0, 17)]);
    assert_eq!(t.xfrm_timer_handler(&l, 110, &hook), Some(7));
    assert_eq!(t.xfrm_timer_handler(&l, 117, &hook), None);
    assert_eq!(l.km_state(), XfrmKmState::Dead);
    assert_eq!(*hook.events.lock(), vec![(0, true)]);
}

#[test]
fn byte_limits_on_use() {
    let t = StateTable::new();
    let hook = Hook::default();
    let mut i = info(1, 0x80, IPPROTO_ESP);
    i.lft.soft_byte_limit = 1000;
    i.lft.hard_byte_limit = 2000;
    let x = valid(i);
    t.xfrm_state_add(&x).unwrap();
    t.xfrm_state_account_use(&x, 999, 1, 50, &hook).unwrap();
    assert_eq!(x.lock_bh().curlft.use_time, 50);
    t.xfrm_state_account_use(&x, 1, 1, 51, &hook).unwrap();
    t.xfrm_state_account_use(&x, 1, 1, 52, &hook).unwrap();
    assert_eq!(*hook.events.lock(), vec![(0x80, false)]);
    assert_eq!(t.xfrm_state_account_use(&x, 1000, 1, 53, &hook), Err(Errno::EINVAL));
    assert_eq!(x.km_state(), XfrmKmState::Dead);
    assert!(t.is_empty());
    assert_eq!(*hook.events.lock(), vec![(0x80, false), (0x80, true)]);
}

#[test]
fn lockdep_reports_nothing() {
    let t = Arc::new(StateTable::new());
    let hook = Hook::default();
    let rng = KernelRng::from_seed(2);
    let (d, s) = (a4(10, 0, 0, 1), a4(10, 0, 1, 1));
    let l = t.xfrm_find_acq(&acq_args(&d, &s), true, 1).unwrap();
    t.xfrm_alloc_spi(&l, 0x100, 0x1ff, &rng).unwrap();
    let x = valid(info(1, l.spi(), IPPROTO_ESP));
    t.xfrm_state_update(&x, 2, &hook).unwrap();
    t.xfrm_state_update(&valid(info(1, l.spi(), IPPROTO_ESP)), 2, &hook).unwrap();
    t.xfrm_state_account_use(&x, 1, 1, 3, &hook).unwrap();
    crate::lockdep::softirq_enter();
    t.xfrm_timer_handler(&x, 4, &hook);
    crate::lockdep::softirq_exit();
    let mut w = XfrmStateWalk::new(0, None);
    t.xfrm_state_walk(&mut w, |x, _| {
        let _ = x.info();
        Ok(())
    })
    .unwrap();
    let t2 = t.clone();
    std::thread::spawn(move || {
        for spi in 1..100 {
            t2.xfrm_state_add(&valid(info(3, spi, IPPROTO_AH))).unwrap();
        }
    })
    .join()
    .unwrap();
    t.xfrm_state_flush(0).unwrap();
    for class in [&crate::xfrm::locks::XFRM_STATE_LOCK, &crate::xfrm::locks::XFRM_STATE_X_LOCK] {
        let r = crate::lockdep::take_reports_for(class);
        assert!(r.is_empty(), "{}", r.iter().map(|r| r.text.as_str()).collect::<String>());
    }
}

#[test]
fn seq_is_frozen_once_linked() {
    let t = StateTable::new();
    let x = valid(info(1, 0x90, IPPROTO_ESP));
    x.set_seq_before_insert(5);
    t.xfrm_state_add(&x).unwrap();
    x.set_seq_before_insert(6);
    assert_eq!(x.seq(), 5);
    x.set_km_state(XfrmKmState::Acq);
    assert!(t.xfrm_find_acq_byseq(0, 5, u32::MAX).is_some());
    t.xfrm_state_delete(&x).unwrap();
    assert!(t.xfrm_find_acq_byseq(0, 5, u32::MAX).is_none());
}

/// Writers and readers on several threads: every state is found while it
/// exists, counts add up, each walk returns each surviving state once, and
/// the lock validator reports nothing.
#[test]
fn concurrent_add_delete_lookup_walk() {
    let t = Arc::new(StateTable::new());
    // States 1..=500 live for the whole test.
    for spi in 1..=500u32 {
        t.xfrm_state_add(&valid(XfrmStateInfo::new(
            AF_INET,
            XfrmAddress::from_v4_u32(spi),
            a4(1, 1, 1, 1),
            spi,
            IPPROTO_ESP,
        )))
        .unwrap();
    }
    let mut hs = vec![];
    for w in 0..2u32 {
        let t = t.clone();
        hs.push(std::thread::spawn(move || {
            for k in 0..2000u32 {
                let spi = 100_000 * (w + 1) + k;
                let x = valid(XfrmStateInfo::new(
                    AF_INET,
                    XfrmAddress::from_v4_u32(spi),
                    a4(2, 2, 2, 2),
                    spi,
                    IPPROTO_AH,
                ));
                t.xfrm_state_add(&x).unwrap();
                if k % 3 != 0 {
                    t.xfrm_state_delete(&x).unwrap();
                }
            }
        }));
    }
    let reader = {
        let t = t.clone();
        std::thread::spawn(move || {
            for round in 0..20 {
                for spi in 1..=500u32 {
                    assert!(
                        t.xfrm_state_lookup(
                            0,
                            &XfrmAddress::from_v4_u32(spi),
                            spi,
                            IPPROTO_ESP,
                            AF_INET
                        )
                        .is_some()
                    );
                }
                let mut w = XfrmStateWalk::new(IPPROTO_ESP, None);
                let mut seen = std::collections::HashSet::new();
                let mut budget = 37 + round;
                loop {
                    let r = t.xfrm_state_walk(&mut w, |x, _| {
                        if budget == 0 {
                            return Err(Errno::EMSGSIZE);
                        }
                        budget -= 1;
                        assert!(seen.insert(x.spi()), "state returned twice");
                        Ok(())
                    });
                    budget = 37;
                    if r.is_ok() {
                        break;
                    }
                }
                assert_eq!(seen.len(), 500);
            }
        })
    };
    for h in hs {
        h.join().unwrap();
    }
    reader.join().unwrap();
    // 2 writers × ceil(2000 / 3) survivors + 500.
    assert_eq!(t.len(), 500 + 2 * 667);
    let (_, idx) = t.debug_indexes();
    for table in &idx[..3] {
        assert_eq!(table.iter().map(Vec::len).sum::<usize>(), t.len());
    }
    for class in [&crate::xfrm::locks::XFRM_STATE_LOCK, &crate::xfrm::locks::XFRM_STATE_X_LOCK] {
        assert!(crate::lockdep::take_reports_for(class).is_empty());
    }
}
