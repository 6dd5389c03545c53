//! Property test: the SAD's four indexes, `state_all`, the bucket count and
//! the SPI-in-use index stay consistent with a plain reference model under
//! random add/update/delete/flush/find_acq/alloc_spi sequences (growth
//! included).

use std::collections::HashSet;

use proptest::prelude::*;
use sim_core::KernelRng;
use sim_core::errno::Errno;
use sim_core::sync::Arc;
use sim_core::xfrm::hash::{xfrm_dst_hash, xfrm_seq_hash, xfrm_spi_hash, xfrm_src_hash};
use sim_core::xfrm::state::{
    IPPROTO_AH, IPPROTO_ESP, IPPROTO_ROUTING, IPSEC_PROTO_ANY, xfrm_id_proto_match,
    xfrm_proto_uses_spi,
};
use sim_core::xfrm::state_table::{FindAcq, XFRM_STATE_HASHMAX};
use sim_core::xfrm::{
    AF_INET, StateTable, XfrmAddress, XfrmExpiryHook, XfrmKmState, XfrmMark, XfrmState,
    XfrmStateInfo,
};

struct NoHook;
impl XfrmExpiryHook for NoHook {
    type Policy = ();
    fn state_expired(&self, _: &Arc<XfrmState>, _: bool) {}
    fn policy_expired(&self, _: &(), _: u8, _: bool) {}
}

#[derive(Clone, Debug)]
struct Params {
    d: u8,
    s: u8,
    spi: u32,
    proto: u8,
    mark: u8,
    reqid: u32,
    seq: u32,
    lft: u64,
}

#[derive(Clone, Debug)]
enum Op {
    Add(Params),
    Update(Params),
    Delete(usize),
    Flush(u8),
    FindAcq(Params, bool),
    AllocSpi(usize, u32, u32),
    Bulk(u16),
}

fn params() -> impl Strategy<Value = Params> {
    (
        0u8..6,
        0u8..3,
        0u32..12,
        prop_oneof![Just(IPPROTO_ESP), Just(IPPROTO_AH), Just(IPPROTO_ROUTING)],
        0u8..3,
        0u32..3,
        0u32..4,
        0u64..100,
    )
        .prop_map(|(d, s, spi, proto, mark, reqid, seq, lft)| Params {
            d,
            s,
            spi,
            proto,
            mark,
            reqid,
            seq,
            lft,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => params().prop_map(Op::Add),
        2 => params().prop_map(Op::Update),
        2 => (0usize..64).prop_map(Op::Delete),
        1 => prop_oneof![Just(0u8), Just(IPPROTO_ESP), Just(IPPROTO_AH), Just(IPSEC_PROTO_ANY), Just(IPPROTO_ROUTING)].prop_map(Op::Flush),
        2 => (params(), any::<bool>()).prop_map(|(p, c)| Op::FindAcq(p, c)),
        2 => (0usize..64, 1u32..8, 0u32..8).prop_map(|(i, lo, w)| Op::AllocSpi(i, lo, lo + w)),
        1 => (1u16..80).prop_map(Op::Bulk),
    ]
}

fn addr(n: u32) -> XfrmAddress {
    XfrmAddress::from_v4_u32(0x0a00_0000 | n)
}

fn mark_of(m: u8) -> XfrmMark {
    match m {
        0 => XfrmMark::default(),
        v => XfrmMark::new(u32::from(v), 0xff),
    }
}

fn make(p: &Params) -> Arc<XfrmState> {
    let spi = if xfrm_proto_uses_spi(p.proto) { p.spi } else { 0 };
    let mut i = XfrmStateInfo::new(
        AF_INET,
        addr(u32::from(p.d)),
        addr(0x100 + u32::from(p.s)),
        spi,
        p.proto,
    );
    i.mark = mark_of(p.mark);
    i.reqid = p.reqid;
    i.seq = p.seq;
    i.mode = 1;
    i.lft.hard_add_expires_seconds = p.lft;
    let x = Arc::new(XfrmState::new(i, 1));
    x.set_km_state(XfrmKmState::Valid);
    x
}

fn locate_match(x: &XfrmState, y: &XfrmState) -> bool {
    let mark = x.mark.v & x.mark.m;
    let base =
        y.family == x.family && y.proto == x.proto && y.daddr == x.daddr && y.mark.matches(mark);
    if xfrm_proto_uses_spi(x.proto) {
        // Only states hashed by SPI (spi != 0) are found.
        base && y.spi() != 0 && y.spi() == x.spi()
    } else {
        base && y.saddr == x.saddr
    }
}

fn acq_core_match(
    y: &XfrmState,
    mark: &XfrmMark,
    reqid: u32,
    proto: u8,
    d: &XfrmAddress,
    s: &XfrmAddress,
) -> bool {
    y.reqid == reqid
        && y.mode == 1
        && y.family == AF_INET
        && y.km_state() == XfrmKmState::Acq
        && y.spi() == 0
        && y.proto == proto
        && y.mark.matches(mark.v & mark.m)
        && y.pcpu_num == u32::MAX
        && y.daddr == *d
        && y.saddr == *s
}

struct Model {
    all: Vec<Arc<XfrmState>>,
    hmask: u32,
}

impl Model {
    fn dst(x: &XfrmState, hmask: u32) -> u32 {
        xfrm_dst_hash(&x.daddr, &x.saddr, x.reqid, x.family, hmask)
    }

    fn link(&mut self, x: &Arc<XfrmState>) {
        let h = Self::dst(x, self.hmask);
        let coll = self.all.iter().any(|y| Self::dst(y, self.hmask) == h);
        self.all.push(x.clone());
        if coll && self.hmask + 1 < XFRM_STATE_HASHMAX && self.all.len() as u32 > self.hmask {
            self.hmask = self.hmask * 2 + 1;
        }
    }

    fn remove(&mut self, x: &Arc<XfrmState>) {
        self.all.retain(|y| !Arc::ptr_eq(x, y));
    }

    fn has(&self, x: &Arc<XfrmState>) -> bool {
        self.all.iter().any(|y| Arc::ptr_eq(x, y))
    }
}

fn ptrs(v: &[Arc<XfrmState>]) -> Vec<usize> {
    let mut p: Vec<usize> = v.iter().map(|x| Arc::as_ptr(x) as usize).collect();
    p.sort_unstable();
    p
}

fn check(t: &StateTable, m: &Model) -> Result<(), TestCaseError> {
    let states = t.states();
    let newest_first: Vec<_> = m.all.iter().rev().cloned().collect();
    prop_assert_eq!(states.len(), newest_first.len());
    for (a, b) in states.iter().zip(&newest_first) {
        prop_assert!(Arc::ptr_eq(a, b), "state_all order differs");
    }
    let info = t.xfrm_sad_getinfo();
    prop_assert_eq!(info.sadcnt as usize, m.all.len());
    prop_assert_eq!(info.sadhcnt, m.hmask + 1);
    let (n, idx) = t.debug_indexes();
    prop_assert_eq!(n, m.hmask + 1);
    for h in 0..n {
        let want = |f: &dyn Fn(&XfrmState) -> Option<u32>| -> Vec<Arc<XfrmState>> {
            m.all.iter().filter(|x| f(x) == Some(h)).cloned().collect()
        };
        let hm = m.hmask;
        let dst = want(&|x| Some(Model::dst(x, hm)));
        let src = want(&|x| Some(xfrm_src_hash(&x.daddr, &x.saddr, x.family, hm)));
        let spi = want(&|x| {
            (x.spi() != 0).then(|| xfrm_spi_hash(&x.daddr, x.spi(), x.proto, x.family, hm))
        });
        let seq = want(&|x| (x.seq() != 0).then(|| xfrm_seq_hash(x.seq(), hm)));
        let hu = h as usize;
        prop_assert_eq!(ptrs(&idx[0][hu]), ptrs(&dst), "bydst bucket {}", h);
        prop_assert_eq!(ptrs(&idx[1][hu]), ptrs(&src), "bysrc bucket {}", h);
        prop_assert_eq!(ptrs(&idx[2][hu]), ptrs(&spi), "byspi bucket {}", h);
        prop_assert_eq!(ptrs(&idx[3][hu]), ptrs(&seq), "byseq bucket {}", h);
    }
    // SPI-in-use index and lookups.
    let used: HashSet<(u32, u8)> =
        m.all.iter().filter(|x| x.spi() != 0).map(|x| (x.spi(), x.proto)).collect();
    for spi in 0..20u32 {
        for proto in [IPPROTO_ESP, IPPROTO_AH] {
            prop_assert_eq!(
                t.xfrm_state_spi_proto_in_use(spi, proto),
                used.contains(&(spi, proto))
            );
        }
    }
    for x in &m.all {
        if x.spi() != 0 {
            let y = t.xfrm_state_lookup(x.mark.v, &x.daddr, x.spi(), x.proto, x.family);
            let y = y.ok_or_else(|| TestCaseError::fail("lookup missed a hashed state"))?;
            prop_assert!(
                m.has(&y)
                    && y.spi() == x.spi()
                    && y.daddr == x.daddr
                    && y.proto == x.proto
                    && y.mark.matches(x.mark.v)
            );
        }
        let y = t.xfrm_state_lookup_byaddr(x.mark.v, &x.daddr, &x.saddr, x.proto, x.family);
        let y = y.ok_or_else(|| TestCaseError::fail("lookup_byaddr missed a state"))?;
        prop_assert!(m.has(&y) && y.saddr == x.saddr && y.daddr == x.daddr && y.proto == x.proto);
    }
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let t = StateTable::new();
    let mut m = Model { all: vec![], hmask: 7 };
    let rng = KernelRng::from_seed(11);
    let mut bulk_spi = 1000u32;
    for op in ops {
        match op {
            Op::Add(p) => {
                let x = make(&p);
                let exists = m.all.iter().any(|y| locate_match(&x, y));
                let use_spi = xfrm_proto_uses_spi(x.proto);
                let mark = x.mark.v & x.mark.m;
                let byseq: Vec<_> = m
                    .all
                    .iter()
                    .filter(|y| {
                        use_spi
                            && x.seq() != 0
                            && y.seq() == x.seq()
                            && y.mark.matches(mark)
                            && y.km_state() == XfrmKmState::Acq
                    })
                    .cloned()
                    .collect();
                let byseq_ok: Vec<_> = byseq
                    .iter()
                    .filter(|y| y.proto == x.proto && y.daddr == x.daddr)
                    .cloned()
                    .collect();
                let core: Vec<_> = m
                    .all
                    .iter()
                    .filter(|y| {
                        use_spi && acq_core_match(y, &x.mark, x.reqid, x.proto, &x.daddr, &x.saddr)
                    })
                    .cloned()
                    .collect();
                let before = m.all.clone();
                let r = t.xfrm_state_add(&x);
                if exists {
                    prop_assert_eq!(r, Err(Errno::EEXIST));
                } else {
                    prop_assert_eq!(r, Ok(()));
                    m.link(&x);
                    let now: Vec<_> = t.states();
                    let removed: Vec<_> = before
                        .iter()
                        .filter(|y| !now.iter().any(|z| Arc::ptr_eq(y, z)))
                        .cloned()
                        .collect();
                    prop_assert!(removed.len() <= 1);
                    let allowed = |y: &Arc<XfrmState>| {
                        byseq_ok.iter().chain(&core).any(|z| Arc::ptr_eq(y, z))
                    };
                    for y in &removed {
                        prop_assert!(
                            allowed(y),
                            "add deleted a state that is not its larval state"
                        );
                        prop_assert_eq!(y.km_state(), XfrmKmState::Dead);
                        m.remove(y);
                    }
                    let must = (!byseq_ok.is_empty() && byseq_ok.len() == byseq.len())
                        || (byseq.is_empty() && !core.is_empty());
                    if must {
                        prop_assert_eq!(removed.len(), 1);
                    }
                }
            }
            Op::Update(p) => {
                let x = make(&p);
                let c: Vec<_> = m.all.iter().filter(|y| locate_match(&x, y)).cloned().collect();
                if c.len() > 1 {
                    continue;
                }
                // Read before the update, which kills a larval match.
                let larval = c.first().is_some_and(|x1| x1.km_state() == XfrmKmState::Acq);
                let r = t.xfrm_state_update(&x, 5, &NoHook);
                match c.first() {
                    None => prop_assert_eq!(r, Err(Errno::ESRCH)),
                    Some(x1) if larval => {
                        prop_assert_eq!(r, Ok(()));
                        m.link(&x);
                        m.remove(x1);
                        prop_assert_eq!(x1.km_state(), XfrmKmState::Dead);
                    }
                    Some(x1) => {
                        prop_assert_eq!(r, Ok(()));
                        prop_assert_eq!(x.km_state(), XfrmKmState::Dead);
                        prop_assert_eq!(x1.lock_bh().lft.hard_add_expires_seconds, p.lft);
                    }
                }
            }
            Op::Delete(i) => {
                if m.all.is_empty() {
                    continue;
                }
                let x = m.all[i % m.all.len()].clone();
                prop_assert_eq!(t.xfrm_state_delete(&x), Ok(()));
                prop_assert_eq!(t.xfrm_state_delete(&x), Err(Errno::ESRCH));
                m.remove(&x);
            }
            Op::Flush(proto) => {
                let n = m.all.iter().filter(|x| xfrm_id_proto_match(x.proto, proto)).count() as u32;
                let r = t.xfrm_state_flush(proto);
                if n == 0 {
                    prop_assert_eq!(r, Err(Errno::ESRCH));
                } else {
                    prop_assert_eq!(r, Ok(n));
                }
                m.all.retain(|x| !xfrm_id_proto_match(x.proto, proto));
            }
            Op::FindAcq(p, create) => {
                let proto = if p.proto == IPPROTO_ROUTING { IPPROTO_ESP } else { p.proto };
                let (d, s) = (addr(u32::from(p.d)), addr(0x100 + u32::from(p.s)));
                let mark = mark_of(p.mark);
                let c: Vec<_> = m
                    .all
                    .iter()
                    .filter(|y| acq_core_match(y, &mark, p.reqid, proto, &d, &s))
                    .cloned()
                    .collect();
                let a = FindAcq {
                    mark,
                    mode: 1,
                    reqid: p.reqid,
                    if_id: 0,
                    pcpu_num: u32::MAX,
                    proto,
                    daddr: &d,
                    saddr: &s,
                    family: AF_INET,
                };
                let r = t.xfrm_find_acq(&a, create, 3);
                match (c.is_empty(), r) {
                    (false, Some(y)) => prop_assert!(c.iter().any(|z| Arc::ptr_eq(z, &y))),
                    (true, Some(y)) => {
                        prop_assert!(create);
                        prop_assert_eq!(y.km_state(), XfrmKmState::Acq);
                        m.link(&y);
                    }
                    (true, None) => prop_assert!(!create),
                    (false, None) => prop_assert!(false, "find_acq missed a larval state"),
                }
            }
            Op::AllocSpi(i, lo, hi) => {
                if m.all.is_empty() {
                    continue;
                }
                let x = m.all[i % m.all.len()].clone();
                if !xfrm_proto_uses_spi(x.proto) {
                    continue;
                }
                let old = x.spi();
                let free: Vec<u32> = (lo..=hi)
                    .filter(|s| !m.all.iter().any(|y| y.spi() == *s && y.proto == x.proto))
                    .collect();
                let r = t.xfrm_alloc_spi(&x, lo, hi, &rng);
                if old != 0 {
                    prop_assert_eq!(r, Ok(()));
                    prop_assert_eq!(x.spi(), old);
                } else if free.is_empty() {
                    prop_assert_eq!(r, Err(Errno::ENOENT));
                } else {
                    prop_assert_eq!(r, Ok(()));
                    prop_assert!(free.contains(&x.spi()));
                }
            }
            Op::Bulk(n) => {
                for k in 0..u32::from(n) {
                    bulk_spi += 1;
                    let mut i = XfrmStateInfo::new(
                        AF_INET,
                        addr(0x1000 + bulk_spi),
                        addr(0x200 + (k % 3)),
                        bulk_spi,
                        IPPROTO_ESP,
                    );
                    i.reqid = k % 4;
                    let x = Arc::new(XfrmState::new(i, 1));
                    prop_assert_eq!(t.xfrm_state_add(&x), Ok(()));
                    m.link(&x);
                }
            }
        }
        check(&t, &m)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn sad_indexes_match_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
