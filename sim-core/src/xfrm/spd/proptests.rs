//! Property tests: random add/update/delete/flush/resize/threshold-change
//! sequences keep the hash tables and inexact bins consistent with each
//! other and with a plain reference model (a list of policies, newest
//! first, and a linear scan for lookups).

use proptest::prelude::*;

use super::*;
use crate::xfrm::addr::XfrmAddress;

/// The reference model: policies newest first, with the index rules of
/// `xfrm_gen_index` and an insertion age for tie-breaking.
#[derive(Default)]
struct Model {
    /// (dir, info with the assigned index, age), newest first.
    pols: Vec<(u8, XfrmPolicyInfo, u64)>,
    generator: u32,
    age: u64,
}

fn same_identity(a: &XfrmPolicyInfo, b: &XfrmPolicyInfo) -> bool {
    a.ptype == b.ptype
        && a.if_id == b.if_id
        && a.sel == b.sel
        && a.mark == b.mark
        && a.security == b.security
}

impl Model {
    fn index_used(&self, i: u32) -> bool {
        self.pols.iter().any(|(_, p, _)| p.index == i)
    }

    fn gen_index(&mut self, dir: u8, mut index: u32) -> u32 {
        loop {
            let idx = if index == 0 {
                let i = self.generator | u32::from(dir);
                self.generator = self.generator.wrapping_add(8);
                i
            } else {
                std::mem::take(&mut index)
            };
            let idx = if idx == 0 { 8 } else { idx };
            if !self.index_used(idx) {
                return idx;
            }
        }
    }

    fn insert(&mut self, dir: u8, mut info: XfrmPolicyInfo, excl: bool) -> KResult<Option<u32>> {
        if info.index != 0 && info.index & 7 != u32::from(dir) {
            return Err(Errno::EINVAL);
        }
        let dup = self.pols.iter().position(|(d, p, _)| *d == dir && same_identity(p, &info));
        if dup.is_some() && excl {
            return Err(Errno::EEXIST);
        }
        let old = dup.map(|i| self.pols.remove(i));
        info.index = match &old {
            Some((_, p, _)) => p.index,
            None => self.gen_index(dir, info.index),
        };
        self.age += 1;
        self.pols.insert(0, (dir, info, self.age));
        Ok(old.map(|(_, p, _)| p.index))
    }

    fn lookup(&self, fl: &XfrmFlow, family: u16, dir: u8, if_id: u32) -> Option<u32> {
        for ptype in [XFRM_POLICY_TYPE_SUB, XFRM_POLICY_TYPE_MAIN] {
            let best = self
                .pols
                .iter()
                .filter(|(d, p, _)| {
                    *d == dir
                        && p.sel.family == family
                        && p.if_id == if_id
                        && p.mark.matches(fl.mark)
                        && p.ptype == ptype
                        && xfrm_selector_match(&p.sel, fl, family)
                })
                .min_by_key(|(_, p, age)| (p.priority, *age));
            if let Some((_, p, _)) = best {
                return Some(p.index);
            }
        }
        None
    }
}

const V4: [[u8; 4]; 5] =
    [[10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 1, 1], [192, 168, 0, 1], [0, 0, 0, 0]];
const V6: [&str; 4] = ["2001:db8::1", "2001:db8::2", "2001:db8:1::1", "::"];

fn addr(v6: bool, i: usize) -> XfrmAddress {
    if v6 {
        let s = V6.get(i % V6.len()).copied().unwrap_or("::");
        s.parse::<std::net::Ipv6Addr>().map(XfrmAddress::from).unwrap_or(XfrmAddress::ANY)
    } else {
        let b = V4.get(i % V4.len()).copied().unwrap_or([0; 4]);
        std::net::Ipv4Addr::from(b).into()
    }
}

fn arb_selector() -> impl Strategy<Value = XfrmSelector> {
    (
        prop::bool::weighted(0.25),
        0usize..5,
        0usize..5,
        0usize..5,
        0usize..5,
        prop::sample::select(vec![0u8, 6, 17]),
        prop::sample::select(vec![(0u16, 0u16), (80, 0xffff)]),
    )
        .prop_map(|(v6, d, s, pd, ps, proto, (dport, dport_mask))| {
            let plens: [u8; 5] = if v6 { [0, 48, 64, 128, 128] } else { [0, 8, 16, 24, 32] };
            XfrmSelector {
                daddr: addr(v6, d),
                saddr: addr(v6, s),
                prefixlen_d: plens.get(pd).copied().unwrap_or(0),
                prefixlen_s: plens.get(ps).copied().unwrap_or(0),
                family: if v6 { AF_INET6 } else { AF_INET },
                proto,
                dport,
                dport_mask,
                ..Default::default()
            }
        })
}

fn arb_info() -> impl Strategy<Value = XfrmPolicyInfo> {
    (
        arb_selector(),
        prop::sample::select(vec![0u32, 1, 5, 100]),
        prop::sample::select(vec![XFRM_POLICY_TYPE_MAIN, XFRM_POLICY_TYPE_SUB]),
        prop::sample::select(vec![XfrmMark::new(0, 0), XfrmMark::new(1, 0xff)]),
        0u32..2,
        prop::sample::select(vec![0u32, 0, 0, 8, 9, 10, 17, 64, 66]),
    )
        .prop_map(|(sel, priority, ptype, mark, if_id, index)| XfrmPolicyInfo {
            sel,
            priority,
            ptype,
            mark,
            if_id,
            index,
            ..Default::default()
        })
}

fn arb_flow() -> impl Strategy<Value = (XfrmFlow, u16, u8, u32)> {
    (prop::bool::weighted(0.25), 0usize..4, 0usize..4, 0u8..3, 0u32..2, 0u32..3, 0u8..3).prop_map(
        |(v6, d, s, dir, if_id, mark, proto)| {
            let proto = [0u8, 6, 17].get(usize::from(proto)).copied().unwrap_or(0);
            let mut fl = XfrmFlow::ports(addr(v6, d), addr(v6, s), proto, 80, 4000);
            fl.mark = mark;
            (fl, if v6 { AF_INET6 } else { AF_INET }, dir, if_id)
        },
    )
}

#[derive(Clone, Debug)]
enum Op {
    Add { dir: u8, info: XfrmPolicyInfo, excl: bool },
    DelBySel { pick: usize },
    DelById { pick: usize },
    Flush { ptype: u8 },
    Thresh { l4: u8, r4: u8, l6: u8, r6: u8 },
    Resize,
    Lookup { fl: XfrmFlow, family: u16, dir: u8, if_id: u32 },
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..3, arb_info(), any::<bool>()).prop_map(|(dir, info, excl)| Op::Add { dir, info, excl }),
        2 => any::<usize>().prop_map(|pick| Op::DelBySel { pick }),
        2 => any::<usize>().prop_map(|pick| Op::DelById { pick }),
        1 => prop::sample::select(vec![XFRM_POLICY_TYPE_MAIN, XFRM_POLICY_TYPE_SUB]).prop_map(|ptype| Op::Flush { ptype }),
        1 => (
            prop::sample::select(vec![0u8, 8, 16, 24, 32]),
            prop::sample::select(vec![0u8, 8, 16, 24, 32]),
            prop::sample::select(vec![0u8, 48, 64, 128]),
            prop::sample::select(vec![0u8, 48, 64, 128]),
        )
            .prop_map(|(l4, r4, l6, r6)| Op::Thresh { l4, r4, l6, r6 }),
        1 => Just(Op::Resize),
        6 => arb_flow().prop_map(|(fl, family, dir, if_id)| Op::Lookup { fl, family, dir, if_id }),
    ]
}

fn dump(t: &PolicyTable) -> Vec<(u8, u32)> {
    t.policies().iter().map(|p| (p.dir(), p.index())).collect()
}

fn model_dump(m: &Model) -> Vec<(u8, u32)> {
    m.pols.iter().map(|(d, p, _)| (*d, p.index)).collect()
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let t = PolicyTable::new();
    let mut m = Model::default();
    for op in ops {
        match op {
            Op::Add { dir, info, excl } => {
                let got = t.xfrm_policy_insert(dir, info.clone(), excl, 1);
                let want = m.insert(dir, info, excl);
                match (got, want) {
                    (Ok(r), Ok(old)) => {
                        prop_assert_eq!(r.replaced.map(|p| p.index()), old);
                        prop_assert_eq!(Some(r.policy.index()), m.pols.first().map(|x| x.1.index));
                    }
                    (Err(a), Err(b)) => prop_assert_eq!(a, b),
                    (a, b) => prop_assert!(false, "insert: table {:?} model {:?}", a.err(), b),
                }
            }
            Op::DelBySel { pick } => {
                if m.pols.is_empty() {
                    continue;
                }
                let i = pick % m.pols.len();
                let Some((dir, p, _)) = m.pols.get(i).cloned() else { continue };
                let r = t.xfrm_policy_bysel_ctx(
                    p.mark,
                    p.if_id,
                    p.ptype,
                    dir,
                    &p.sel,
                    p.security.as_ref(),
                    true,
                );
                prop_assert_eq!(r.map(|x| x.index()).ok(), Some(p.index));
                m.pols.remove(i);
                let again =
                    t.xfrm_policy_bysel_ctx(p.mark, p.if_id, p.ptype, dir, &p.sel, None, true);
                prop_assert_eq!(again.err(), Some(Errno::ENOENT));
            }
            Op::DelById { pick } => {
                if m.pols.is_empty() {
                    continue;
                }
                let i = pick % m.pols.len();
                let Some((dir, p, _)) = m.pols.get(i).cloned() else { continue };
                let r = t.xfrm_policy_byid(p.mark, p.if_id, p.ptype, dir, p.index, true);
                prop_assert_eq!(r.map(|x| x.index()).ok(), Some(p.index));
                m.pols.remove(i);
            }
            Op::Flush { ptype } => {
                let n = m.pols.iter().filter(|(_, p, _)| p.ptype == ptype).count();
                m.pols.retain(|(_, p, _)| p.ptype != ptype);
                let r = t.xfrm_policy_flush(ptype);
                if n == 0 {
                    prop_assert_eq!(r, Err(Errno::ESRCH));
                } else {
                    prop_assert_eq!(r, Ok(n));
                }
            }
            Op::Thresh { l4, r4, l6, r6 } => {
                let th = XfrmPolicyHthresh { lbits4: l4, rbits4: r4, lbits6: l6, rbits6: r6 };
                prop_assert!(t.xfrm_set_hthresh(th).is_ok());
            }
            Op::Resize => t.xfrm_hash_resize(),
            Op::Lookup { fl, family, dir, if_id } => {
                let got = t.xfrm_policy_lookup(&fl, family, dir, if_id).map(|p| p.index());
                prop_assert_eq!(got, m.lookup(&fl, family, dir, if_id));
            }
        }
        if let Err(e) = t.check_consistency() {
            prop_assert!(false, "inconsistent: {}", e);
        }
        prop_assert_eq!(dump(&t), model_dump(&m));
        let info = t.xfrm_spd_getinfo();
        let cnt = |d: u8| m.pols.iter().filter(|(x, _, _)| *x == d).count() as u32;
        prop_assert_eq!((info.incnt, info.outcnt, info.fwdcnt), (cnt(0), cnt(1), cnt(2)));
    }
    // Every remaining policy is found by its selector and by its index.
    for (dir, p, _) in &m.pols {
        let s = t.xfrm_policy_bysel_ctx(p.mark, p.if_id, p.ptype, *dir, &p.sel, None, false);
        prop_assert_eq!(s.map(|x| x.index()).ok(), Some(p.index));
        let b = t.xfrm_policy_byid(p.mark, p.if_id, p.ptype, *dir, p.index, false);
        prop_assert_eq!(b.map(|x| x.index()).ok(), Some(p.index));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn spd_matches_reference_model(ops in prop::collection::vec(arb_op(), 1..120)) {
        run(ops)?;
    }
}
