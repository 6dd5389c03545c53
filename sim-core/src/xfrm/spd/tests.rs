//! Unit tests of the SPD: index generation, insert/replace/EEXIST, ordering,
//! lookups, delete, flush, walk, thresholds, resize, info counters.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::xfrm::addr::XfrmAddress;
use crate::xfrm::policy::{XFRM_POLICY_BLOCK, XFRM_POLICY_FWD, XFRM_POLICY_IN};

const IN: u8 = XFRM_POLICY_IN;
const OUT: u8 = XFRM_POLICY_OUT;
const FWD: u8 = XFRM_POLICY_FWD;
const MAIN: u8 = XFRM_POLICY_TYPE_MAIN;
const SUB: u8 = XFRM_POLICY_TYPE_SUB;

fn a(s: &str) -> XfrmAddress {
    match s.parse::<IpAddr>() {
        Ok(ip) => ip.into(),
        Err(e) => panic!("{s}: {e}"),
    }
}

fn sel(d: &str, pd: u8, s: &str, ps: u8) -> XfrmSelector {
    let family = if d.contains(':') { AF_INET6 } else { AF_INET };
    XfrmSelector {
        daddr: a(d),
        saddr: a(s),
        prefixlen_d: pd,
        prefixlen_s: ps,
        family,
        ..Default::default()
    }
}

fn info(sel: XfrmSelector, priority: u32) -> XfrmPolicyInfo {
    XfrmPolicyInfo { sel, priority, ptype: MAIN, ..Default::default() }
}

fn host(d: &str, s: &str) -> XfrmSelector {
    if d.contains(':') { sel(d, 128, s, 128) } else { sel(d, 32, s, 32) }
}

fn flow(d: &str, s: &str) -> XfrmFlow {
    XfrmFlow::ports(a(d), a(s), 6, 80, 1234)
}

fn add(t: &PolicyTable, dir: u8, i: XfrmPolicyInfo) -> Arc<XfrmPolicy> {
    match t.xfrm_policy_insert(dir, i, true, 100) {
        Ok(r) => r.policy,
        Err(e) => panic!("insert: {e:?}"),
    }
}

fn indexes(t: &PolicyTable) -> Vec<u32> {
    t.policies().iter().map(|p| p.index()).collect()
}

fn ok<T>(r: KResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

#[test]
fn index_generation_follows_linux() {
    let t = PolicyTable::new();
    // First out policy = 1 (gen 0 | 1), first in = 8 (gen 8 | 0), fwd = 18.
    assert_eq!(add(&t, OUT, info(host("10.0.0.1", "10.0.0.2"), 0)).index(), 1);
    assert_eq!(add(&t, IN, info(host("10.0.0.3", "10.0.0.2"), 0)).index(), 8);
    assert_eq!(add(&t, FWD, info(host("10.0.0.4", "10.0.0.2"), 0)).index(), 18);
    // An explicit free index is used as given.
    let mut i = info(host("10.0.0.5", "10.0.0.2"), 0);
    i.index = 0x101;
    assert_eq!(add(&t, OUT, i).index(), 0x101);
    // A taken one is silently replaced by a generated one.
    let mut i = info(host("10.0.0.6", "10.0.0.2"), 0);
    i.index = 8;
    assert_eq!(add(&t, IN, i).index(), 24);
    assert!(t.check_consistency().is_ok());
}

#[test]
fn generated_zero_becomes_eight_and_skips_used() {
    let t = PolicyTable::new();
    // gen 0 | IN = 0 → 8; next IN: gen 8 | 0 = 8 taken → gen 16 → 16.
    assert_eq!(add(&t, IN, info(host("10.0.0.1", "10.0.0.2"), 0)).index(), 8);
    assert_eq!(add(&t, IN, info(host("10.0.0.3", "10.0.0.2"), 0)).index(), 16);
    // Socket policies share the generator with direction 3 + dir.
    let sk = ok(t.xfrm_sk_policy_link(OUT, info(host("10.0.0.9", "10.0.0.2"), 0), 5));
    assert_eq!(sk.index(), 24 | 4);
    assert_eq!(sk.dir(), 4);
    assert!(sk.is_socket_policy());
}

#[test]
fn duplicate_is_eexist_with_excl_whatever_the_priority_or_action() {
    let t = PolicyTable::new();
    add(&t, OUT, info(sel("10.0.0.0", 24, "10.1.0.0", 16), 5));
    let mut dup = info(sel("10.0.0.0", 24, "10.1.0.0", 16), 9);
    dup.action = XFRM_POLICY_BLOCK;
    assert_eq!(t.xfrm_policy_insert(OUT, dup.clone(), true, 1).err(), Some(Errno::EEXIST));
    // The same selector in another direction is another policy.
    assert!(t.xfrm_policy_insert(IN, dup, true, 1).is_ok());
    // Exact (hashed) selectors too.
    add(&t, OUT, info(host("10.0.0.1", "10.0.0.2"), 1));
    assert_eq!(
        t.xfrm_policy_insert(OUT, info(host("10.0.0.1", "10.0.0.2"), 2), true, 1).err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(t.len(), 3);
    assert!(t.check_consistency().is_ok());
}

#[test]
fn identity_includes_type_if_id_mark_ctx_and_whole_selector() {
    let t = PolicyTable::new();
    let base = info(host("10.0.0.1", "10.0.0.2"), 0);
    add(&t, OUT, base.clone());
    let mut v = vec![
        XfrmPolicyInfo { ptype: SUB, ..base.clone() },
        XfrmPolicyInfo { if_id: 7, ..base.clone() },
        XfrmPolicyInfo { mark: XfrmMark::new(1, 0xff), ..base.clone() },
    ];
    v.push(XfrmPolicyInfo {
        security: Some(XfrmSecCtx { ctx_doi: 1, ctx_alg: 1, ctx: b"x".to_vec() }),
        ..base.clone()
    });
    let mut s = base.sel;
    s.user = 1000;
    v.push(XfrmPolicyInfo { sel: s, ..base.clone() });
    let mut s = base.sel;
    s.dport = 80;
    s.dport_mask = 0xffff;
    v.push(XfrmPolicyInfo { sel: s, ..base.clone() });
    for i in v {
        assert!(t.xfrm_policy_insert(OUT, i, true, 1).is_ok());
    }
    assert_eq!(t.policy_count(OUT), 7);
    // Same mark value under another mask is another identity too.
    add(&t, OUT, XfrmPolicyInfo { mark: XfrmMark::new(1, 0x0f), ..base });
    assert!(t.check_consistency().is_ok());
}

#[test]
fn update_replaces_keeps_index_and_moves_to_the_front() {
    let t = PolicyTable::new();
    let old = add(&t, OUT, info(sel("10.0.0.0", 24, "0.0.0.0", 0), 10));
    let other = add(&t, OUT, info(host("10.9.0.1", "10.9.0.2"), 10));
    assert_eq!(indexes(&t), vec![other.index(), old.index()]);
    let r = ok(t.xfrm_policy_insert(OUT, info(sel("10.0.0.0", 24, "0.0.0.0", 0), 3), false, 200));
    let replaced = r.replaced.as_ref().map(|p| p.index());
    assert_eq!(replaced, Some(old.index()));
    assert_eq!(r.policy.index(), old.index());
    assert!(old.is_dead());
    assert_eq!(old.genid(), 1);
    assert_eq!(r.policy.curlft().add_time, 200);
    // Dump order: newest first, the updated one re-inserted at the front.
    assert_eq!(indexes(&t), vec![old.index(), other.index()]);
    assert_eq!(t.policy_count(OUT), 2);
    // Update of a policy that does not exist inserts it.
    let r = ok(t.xfrm_policy_insert(OUT, info(host("10.7.0.1", "10.7.0.2"), 0), false, 1));
    assert!(r.replaced.is_none());
    assert!(t.check_consistency().is_ok());
}

#[test]
fn lookup_prefers_lower_priority_then_older() {
    let t = PolicyTable::new();
    let fl = flow("10.0.0.1", "10.0.1.1");
    assert!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).is_none());
    let wide = add(&t, OUT, info(sel("0.0.0.0", 0, "0.0.0.0", 0), 100));
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(wide.index()));
    let exact = add(&t, OUT, info(host("10.0.0.1", "10.0.1.1"), 100));
    // Equal priority: the older (inexact) one wins.
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(wide.index()));
    let narrow = add(&t, OUT, info(sel("10.0.0.0", 24, "0.0.0.0", 0), 50));
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(narrow.index()));
    let best = add(&t, OUT, info(host("10.0.0.1", "10.0.1.1"), 1).clone_with_port());
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(best.index()));
    // Another flow only matches the wildcard.
    let fl2 = flow("172.16.0.1", "10.0.1.1");
    assert_eq!(t.xfrm_policy_lookup(&fl2, AF_INET, OUT, 0).map(|p| p.index()), Some(wide.index()));
    // Wrong direction, family or if_id: nothing.
    assert!(t.xfrm_policy_lookup(&fl, AF_INET, IN, 0).is_none());
    assert!(t.xfrm_policy_lookup(&fl, AF_INET6, OUT, 0).is_none());
    assert!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 3).is_none());
    assert!(t.xfrm_policy_lookup(&fl, 99, OUT, 0).is_none());
    // Deleting the best falls back to the next.
    ok(t.xfrm_policy_delete(&best, OUT));
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(narrow.index()));
    drop(exact);
}

trait WithPort {
    fn clone_with_port(self) -> Self;
}

impl WithPort for XfrmPolicyInfo {
    /// Same addresses, narrowed to TCP port 80 (another identity).
    fn clone_with_port(mut self) -> Self {
        self.sel.dport = 80;
        self.sel.dport_mask = 0xffff;
        self.sel.proto = 6;
        self
    }
}

#[test]
fn equal_priority_exact_older_beats_inexact_newer() {
    let t = PolicyTable::new();
    let exact = add(&t, OUT, info(host("10.0.0.1", "10.0.1.1"), 7));
    add(&t, OUT, info(sel("10.0.0.0", 8, "0.0.0.0", 0), 7));
    let fl = flow("10.0.0.1", "10.0.1.1");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(exact.index()));
}

#[test]
fn sub_policies_are_consulted_before_main() {
    let t = PolicyTable::new();
    add(&t, IN, info(host("10.0.0.1", "10.0.1.1"), 0));
    let sub =
        add(&t, IN, XfrmPolicyInfo { ptype: SUB, ..info(sel("10.0.0.0", 8, "0.0.0.0", 0), 1000) });
    let fl = flow("10.0.0.1", "10.0.1.1");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, IN, 0).map(|p| p.index()), Some(sub.index()));
    let main = t.xfrm_policy_lookup_bytype(MAIN, &fl, AF_INET, IN, 0);
    assert_eq!(main.map(|p| p.priority()), Some(0));
}

#[test]
fn lookup_applies_mark_and_selector_ports() {
    let t = PolicyTable::new();
    let mut i = info(host("10.0.0.1", "10.0.1.1"), 0);
    i.mark = XfrmMark::new(0x10, 0xf0);
    let marked = add(&t, OUT, i);
    let mut fl = flow("10.0.0.1", "10.0.1.1");
    assert!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).is_none());
    fl.mark = 0x1f;
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(marked.index()));
    let port = add(&t, OUT, info(sel("10.0.0.0", 24, "0.0.0.0", 0), 0).clone_with_port());
    let mut f80 = flow("10.0.0.7", "10.0.1.1");
    assert_eq!(t.xfrm_policy_lookup(&f80, AF_INET, OUT, 0).map(|p| p.index()), Some(port.index()));
    f80.dport = 81;
    assert!(t.xfrm_policy_lookup(&f80, AF_INET, OUT, 0).is_none());
}

#[test]
fn v6_policies_hash_and_match() {
    let t = PolicyTable::new();
    let h = add(&t, FWD, info(host("2001:db8::1", "2001:db8::2"), 5));
    let p = add(&t, FWD, info(sel("2001:db8::", 64, "::", 0), 1));
    let fl = flow("2001:db8::1", "2001:db8::2");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET6, FWD, 0).map(|x| x.index()), Some(p.index()));
    ok(t.xfrm_policy_delete(&p, FWD));
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET6, FWD, 0).map(|x| x.index()), Some(h.index()));
    let _ = (Ipv4Addr::LOCALHOST, Ipv6Addr::LOCALHOST);
}

#[test]
fn bysel_get_and_delete() {
    let t = PolicyTable::new();
    let s = sel("10.0.0.0", 24, "10.1.0.0", 16);
    let p = add(&t, OUT, info(s, 0));
    let e = add(&t, OUT, info(host("10.0.0.1", "10.0.0.2"), 0));
    let m = XfrmMark::default();
    let got = ok(t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, &s, None, false));
    assert!(Arc::ptr_eq(&got, &p));
    assert_eq!(t.xfrm_policy_bysel_ctx(m, 0, MAIN, IN, &s, None, false).err(), Some(Errno::ENOENT));
    assert_eq!(t.xfrm_policy_bysel_ctx(m, 0, SUB, OUT, &s, None, false).err(), Some(Errno::ENOENT));
    assert_eq!(
        t.xfrm_policy_bysel_ctx(m, 1, MAIN, OUT, &s, None, false).err(),
        Some(Errno::ENOENT)
    );
    let ctx = XfrmSecCtx { ctx_doi: 1, ctx_alg: 1, ctx: vec![1] };
    assert_eq!(
        t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, &s, Some(&ctx), false).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        t.xfrm_policy_bysel_ctx(XfrmMark::new(0, 1), 0, MAIN, OUT, &s, None, false).err(),
        Some(Errno::ENOENT)
    );
    let del = ok(t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, &s, None, true));
    assert!(del.is_dead());
    assert_eq!(t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, &s, None, true).err(), Some(Errno::ENOENT));
    let hs = host("10.0.0.1", "10.0.0.2");
    assert!(Arc::ptr_eq(&ok(t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, &hs, None, true)), &e));
    assert!(t.is_empty());
    assert!(t.check_consistency().is_ok());
}

#[test]
fn byid_checks_direction_type_mark_if_id() {
    let t = PolicyTable::new();
    let mut i = info(host("10.0.0.1", "10.0.0.2"), 0);
    i.mark = XfrmMark::new(5, 0xff);
    i.if_id = 3;
    let p = add(&t, OUT, i);
    let m = XfrmMark::new(5, 0xff);
    assert_eq!(p.index(), 1);
    assert_eq!(t.xfrm_policy_byid(m, 3, MAIN, IN, 1, false).err(), Some(Errno::ENOENT));
    assert_eq!(t.xfrm_policy_byid(m, 3, MAIN, OUT, 9, false).err(), Some(Errno::ENOENT));
    assert_eq!(t.xfrm_policy_byid(m, 3, SUB, OUT, 1, false).err(), Some(Errno::ENOENT));
    assert_eq!(t.xfrm_policy_byid(m, 0, MAIN, OUT, 1, false).err(), Some(Errno::ENOENT));
    // Exact mark: a mark that would match a flow is not enough.
    assert_eq!(
        t.xfrm_policy_byid(XfrmMark::new(5, 0x0f), 3, MAIN, OUT, 1, false).err(),
        Some(Errno::ENOENT)
    );
    assert!(Arc::ptr_eq(&ok(t.xfrm_policy_byid(m, 3, MAIN, OUT, 1, false)), &p));
    assert!(Arc::ptr_eq(&ok(t.xfrm_policy_byid(m, 3, MAIN, OUT, 1, true)), &p));
    assert_eq!(t.xfrm_policy_byid(m, 3, MAIN, OUT, 1, true).err(), Some(Errno::ENOENT));
    assert_eq!(t.xfrm_policy_delete(&p, OUT), Err(Errno::ENOENT));
}

#[test]
fn flush_by_type_spares_sockets_and_other_type() {
    let t = PolicyTable::new();
    assert_eq!(t.xfrm_policy_flush(MAIN), Err(Errno::ESRCH));
    add(&t, OUT, info(host("10.0.0.1", "10.0.0.2"), 0));
    add(&t, IN, info(sel("10.0.0.0", 16, "0.0.0.0", 0), 0));
    let sub = add(&t, IN, XfrmPolicyInfo { ptype: SUB, ..info(host("10.0.0.1", "10.0.0.2"), 0) });
    let sk = ok(t.xfrm_sk_policy_link(IN, info(host("10.0.0.1", "10.0.0.2"), 0), 1));
    assert_eq!(t.xfrm_policy_flush(MAIN), Ok(2));
    assert_eq!(t.xfrm_policy_flush(MAIN), Err(Errno::ESRCH));
    assert_eq!(indexes(&t), vec![sk.index(), sub.index()]);
    let i = t.xfrm_spd_getinfo();
    assert_eq!((i.incnt, i.outcnt, i.fwdcnt, i.inscnt, i.outscnt, i.fwdscnt), (1, 0, 0, 1, 0, 0));
    assert_eq!(t.xfrm_policy_flush(SUB), Ok(1));
    assert!(t.check_consistency().is_ok());
    ok(t.xfrm_sk_policy_unlink(&sk));
    assert!(t.is_empty());
    assert_eq!(t.xfrm_sk_policy_unlink(&sk), Err(Errno::ENOENT));
}

#[test]
fn insert_and_sk_link_reject_bad_direction_and_sub_socket_policy() {
    let t = PolicyTable::new();
    let i = info(host("10.0.0.1", "10.0.0.2"), 0);
    assert_eq!(t.xfrm_policy_insert(3, i.clone(), true, 0).err(), Some(Errno::EINVAL));
    let wrong_dir = XfrmPolicyInfo { index: 8 | u32::from(OUT), ..i.clone() };
    assert_eq!(t.xfrm_policy_insert(IN, wrong_dir, true, 0).err(), Some(Errno::EINVAL));
    assert_eq!(t.xfrm_sk_policy_link(3, i.clone(), 0).err(), Some(Errno::EINVAL));
    let sub = XfrmPolicyInfo { ptype: SUB, ..i };
    assert_eq!(t.xfrm_sk_policy_link(OUT, sub, 0).err(), Some(Errno::EINVAL));
    assert!(t.is_empty());
}

#[test]
fn walk_is_newest_first_resumable_and_typed() {
    let t = PolicyTable::new();
    let mut w = XfrmPolicyWalk::new(MAIN);
    assert_eq!(t.xfrm_policy_walk(&mut w, |_, _, _| Ok(())), Err(Errno::ENOENT));
    assert_eq!(
        t.xfrm_policy_walk(&mut XfrmPolicyWalk::new(2), |_, _, _| Ok(())),
        Err(Errno::EINVAL)
    );
    let p1 = add(&t, OUT, info(host("10.0.0.1", "10.0.0.2"), 0));
    let p2 = add(&t, IN, info(host("10.0.0.3", "10.0.0.2"), 0));
    let s3 = add(&t, IN, XfrmPolicyInfo { ptype: SUB, ..info(host("10.0.0.4", "10.0.0.2"), 0) });
    let p4 = add(&t, FWD, info(host("10.0.0.5", "10.0.0.2"), 0));
    let sk = ok(t.xfrm_sk_policy_link(OUT, info(host("10.0.0.6", "10.0.0.2"), 0), 0));

    // Stop after two entries: the third call's error leaves the marker at
    // the third.
    let mut seen = Vec::new();
    let mut w = XfrmPolicyWalk::new(MAIN);
    let r = t.xfrm_policy_walk(&mut w, |p, dir, seq| {
        if seen.len() == 2 {
            return Err(Errno::EMSGSIZE);
        }
        seen.push((p.index(), dir, seq));
        Ok(())
    });
    assert_eq!(r, Err(Errno::EMSGSIZE));
    assert_eq!(seen, vec![(sk.index(), 4, 0), (p4.index(), FWD, 1)]);
    // A policy added meanwhile is not visited; the resumed walk continues.
    add(&t, OUT, info(host("10.0.0.7", "10.0.0.2"), 0));
    let r = t.xfrm_policy_walk(&mut w, |p, dir, seq| {
        seen.push((p.index(), dir, seq));
        Ok(())
    });
    assert_eq!(r, Ok(()));
    assert_eq!(
        seen,
        vec![(sk.index(), 4, 0), (p4.index(), FWD, 1), (p2.index(), IN, 2), (p1.index(), OUT, 3)]
    );
    // Finished: returns 0 at once.
    assert_eq!(t.xfrm_policy_walk(&mut w, |_, _, _| panic!("walked again")), Ok(()));

    // Resuming at a policy deleted meanwhile continues with the next older.
    let mut w = XfrmPolicyWalk::new(XFRM_POLICY_TYPE_ANY);
    let mut n = 0;
    let _ = t.xfrm_policy_walk(&mut w, |_, _, _| {
        n += 1;
        if n == 4 { Err(Errno::ENOBUFS) } else { Ok(()) }
    });
    // Stopped at the 4th newest: s3.
    ok(t.xfrm_policy_delete(&s3, IN));
    let mut rest = Vec::new();
    ok(t.xfrm_policy_walk(&mut w, |p, _, _| {
        rest.push(p.index());
        Ok(())
    }));
    assert_eq!(rest, vec![p2.index(), p1.index()]);
    assert_eq!(w.seq(), 5);
    t.xfrm_policy_walk_done(&mut w);
}

#[test]
fn thresholds_move_policies_between_hash_and_inexact() {
    let t = PolicyTable::new();
    assert_eq!(t.hthresh(), XfrmPolicyHthresh { lbits4: 32, rbits4: 32, lbits6: 128, rbits6: 128 });
    let out = add(&t, OUT, info(sel("10.0.0.0", 24, "192.168.1.0", 24), 2));
    let inn = add(&t, IN, info(sel("192.168.1.0", 24, "10.0.0.0", 16), 2));
    let v6 = add(&t, OUT, info(sel("2001:db8::", 64, "2001:db8:1::", 64), 2));
    let bad = |l4, r4, l6, r6| XfrmPolicyHthresh { lbits4: l4, rbits4: r4, lbits6: l6, rbits6: r6 };
    assert_eq!(t.xfrm_set_hthresh(bad(33, 0, 0, 0)), Err(Errno::EINVAL));
    assert_eq!(t.xfrm_set_hthresh(bad(0, 33, 0, 0)), Err(Errno::EINVAL));
    assert_eq!(t.xfrm_set_hthresh(bad(0, 0, 129, 0)), Err(Errno::EINVAL));
    assert_eq!(t.xfrm_set_hthresh(bad(0, 0, 0, 129)), Err(Errno::EINVAL));
    // local 24, remote 24: OUT (dst remote /24, src local /24) hashes; IN
    // (dst local /24, src remote /16) stays inexact.
    ok(t.xfrm_set_hthresh(bad(24, 24, 64, 64)));
    assert!(t.check_consistency().is_ok());
    {
        let g = t.lock();
        let d = &g.bydst[usize::from(OUT)];
        assert!(d.bysel_bucket(out.selector(), AF_INET).is_some());
        assert!(d.bysel_bucket(v6.selector(), AF_INET6).is_some());
        let d = &g.bydst[usize::from(IN)];
        assert!(d.bysel_bucket(inn.selector(), AF_INET).is_none());
    }
    // Lookups still find each, and bysel too.
    let fl = flow("10.0.0.9", "192.168.1.9");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(out.index()));
    let fl = flow("192.168.1.9", "10.0.3.3");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, IN, 0).map(|p| p.index()), Some(inn.index()));
    let fl = flow("2001:db8::5", "2001:db8:1::7");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET6, OUT, 0).map(|p| p.index()), Some(v6.index()));
    let m = XfrmMark::default();
    assert!(t.xfrm_policy_bysel_ctx(m, 0, MAIN, IN, inn.selector(), None, false).is_ok());
    assert!(t.xfrm_policy_bysel_ctx(m, 0, MAIN, OUT, out.selector(), None, false).is_ok());
    // EEXIST still applies across a rebuild.
    assert_eq!(
        t.xfrm_policy_insert(OUT, info(*out.selector(), 0), true, 0).err(),
        Some(Errno::EEXIST)
    );
    // Back to the defaults.
    ok(t.xfrm_set_hthresh(XfrmPolicyHthresh::default()));
    assert!(t.check_consistency().is_ok());
}

#[test]
fn tables_grow_with_counts_and_spdinfo_reports_them() {
    let t = PolicyTable::new();
    let i = t.xfrm_spd_getinfo();
    assert_eq!(i.spdhcnt, 7);
    assert_eq!(i.spdhmcnt, 1024 * 1024);
    for n in 0..8u8 {
        add(&t, OUT, info(host(&format!("10.0.0.{n}"), "10.1.0.1"), 0));
    }
    assert_eq!(t.bydst_hmask(OUT), Some(15));
    assert_eq!(t.bydst_hmask(IN), Some(7));
    assert_eq!(t.xfrm_spd_getinfo().spdhcnt, 15);
    for n in 0..20u8 {
        add(&t, IN, info(host(&format!("10.2.0.{n}"), "10.1.0.1"), 0));
    }
    assert_eq!(t.bydst_hmask(IN), Some(31));
    assert_eq!(t.xfrm_spd_getinfo().spdhcnt, 31);
    let i = t.xfrm_spd_getinfo();
    assert_eq!((i.incnt, i.outcnt, i.fwdcnt), (20, 8, 0));
    assert!(t.check_consistency().is_ok());
    // Every policy is still found after the resizes.
    for n in 0..8u8 {
        let fl = flow(&format!("10.0.0.{n}"), "10.1.0.1");
        assert!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).is_some());
    }
}

#[test]
fn pos_overflow_renumbers_oldest_first() {
    let t = PolicyTable::new();
    let a = add(&t, OUT, info(sel("10.0.0.0", 8, "0.0.0.0", 0), 0));
    let b = add(&t, OUT, info(sel("10.0.0.0", 16, "0.0.0.0", 0), 0));
    b.set_pos(u32::MAX);
    let c = add(&t, OUT, info(sel("10.0.0.0", 24, "0.0.0.0", 0), 0));
    // xfrm_gen_pos_slow renumbers from 1 and returns the last number given,
    // so the new policy shares the newest old one's pos (as in Linux).
    assert_eq!((a.pos(), b.pos(), c.pos()), (1, 2, 2));
    let fl = flow("10.0.0.1", "1.1.1.1");
    assert_eq!(t.xfrm_policy_lookup(&fl, AF_INET, OUT, 0).map(|p| p.index()), Some(a.index()));
}

#[test]
fn to_info_reports_live_fields() {
    let t = PolicyTable::new();
    let p = add(&t, FWD, info(host("10.0.0.1", "10.0.0.2"), 4));
    p.set_use_time(150);
    p.set_use_time(160);
    let i = p.to_info();
    assert_eq!((i.index, i.dir, i.priority), (2, FWD, 4));
    assert_eq!((i.curlft.add_time, i.curlft.use_time), (100, 150));
}

#[test]
fn lockdep_reports_nothing() {
    let t = PolicyTable::new();
    for n in 0..40u8 {
        add(&t, OUT, info(host(&format!("10.0.0.{n}"), "10.1.0.1"), 0));
    }
    ok(t.xfrm_set_hthresh(XfrmPolicyHthresh { lbits4: 16, rbits4: 16, lbits6: 64, rbits6: 64 }));
    let _ = t.xfrm_policy_lookup(&flow("10.0.0.1", "10.1.0.1"), AF_INET, OUT, 0);
    ok(t.xfrm_policy_flush(MAIN));
    let mine = |r: &crate::lockdep::Report| {
        r.classes.iter().any(|c| *c == "xfrm_policy_lock" || *c == "hash_resize_mutex")
    };
    let reports = crate::lockdep::take_reports();
    assert!(!reports.iter().any(mine), "{reports:?}");
}
