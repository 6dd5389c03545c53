//! The SPD's chains: `policy_bydst[dir]` hash tables and the inexact bins,
//! and the ordered insertion of `xfrm_policy_insert_list`.

use crate::sync::Arc;
use crate::xfrm::addr::{AF_INET, AF_INET6, XfrmAddress};
use crate::xfrm::hash::{addr_hash, sel_hash};
use crate::xfrm::policy::XfrmPolicyInfo;
use crate::xfrm::selector::XfrmSelector;
use crate::{Errno, KResult};

use super::{XfrmPolicy, XfrmPolicyHthresh, dst_is_remote};

/// One hash chain or inexact list, ordered by ascending priority with equal
/// priorities in insertion order.
pub(super) type Chain = Vec<Arc<XfrmPolicy>>;

/// `struct xfrm_pol_inexact_key` (without the netns: each namespace has
/// its own table). One ordered list per bin; Linux splits a bin further
/// into prefix trees (see docs/differences.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct BinKey {
    pub dir: u8,
    pub ptype: u8,
    pub family: u16,
    pub if_id: u32,
}

impl BinKey {
    pub fn of(p: &XfrmPolicy, dir: u8) -> BinKey {
        BinKey { dir, ptype: p.ptype(), family: p.family(), if_id: p.if_id() }
    }
}

/// `net->xfrm.policy_bydst[dir]`.
pub(super) struct DirHash {
    pub table: Vec<Chain>,
    pub hmask: u32,
    pub dbits4: u8,
    pub sbits4: u8,
    pub dbits6: u8,
    pub sbits6: u8,
}

impl DirHash {
    pub fn new(hmask: u32, dir: u8, th: XfrmPolicyHthresh) -> Self {
        let mut d = DirHash {
            table: (0..=hmask).map(|_| Vec::new()).collect(),
            hmask,
            dbits4: 0,
            sbits4: 0,
            dbits6: 0,
            sbits6: 0,
        };
        d.set_thresholds(dir, th);
        d
    }

    /// OUT: dst = remote, src = local; IN/FWD: dst = local, src = remote.
    pub fn set_thresholds(&mut self, dir: u8, th: XfrmPolicyHthresh) {
        if dst_is_remote(dir) {
            (self.dbits4, self.sbits4, self.dbits6, self.sbits6) =
                (th.rbits4, th.lbits4, th.rbits6, th.lbits6);
        } else {
            (self.dbits4, self.sbits4, self.dbits6, self.sbits6) =
                (th.lbits4, th.rbits4, th.lbits6, th.rbits6);
        }
    }

    /// `__get_hash_thresh`.
    fn thresh(&self, family: u16) -> (u8, u8) {
        match family {
            AF_INET => (self.dbits4, self.sbits4),
            AF_INET6 => (self.dbits6, self.sbits6),
            _ => (0, 0),
        }
    }

    /// `policy_hash_bysel`: the bucket of a selector, `None` when it is not
    /// hashable (inexact).
    pub fn bysel_bucket(&self, sel: &XfrmSelector, family: u16) -> Option<usize> {
        let (dbits, sbits) = self.thresh(family);
        let h = sel_hash(sel, family, self.hmask, dbits, sbits);
        if h == self.hmask.wrapping_add(1) {
            return None;
        }
        usize::try_from(h).ok()
    }

    /// `policy_hash_direct`: the bucket a flow's addresses fall in.
    pub fn direct_bucket(&self, d: &XfrmAddress, s: &XfrmAddress, family: u16) -> usize {
        let (dbits, sbits) = self.thresh(family);
        usize::try_from(addr_hash(d, s, family, self.hmask, dbits, sbits)).unwrap_or(0)
    }

    /// `xfrm_bydst_resize`: twice the buckets; each chain's entries keep
    /// their relative order in their new bucket (`xfrm_dst_hash_transfer`).
    pub fn grow(&mut self) {
        let nmask = ((self.hmask + 1) << 1) - 1;
        let mut ntable: Vec<Chain> = (0..=nmask).map(|_| Vec::new()).collect();
        let old = core::mem::take(&mut self.table);
        self.hmask = nmask;
        for chain in old {
            for pol in chain {
                let (dbits, sbits) = self.thresh(pol.family());
                let sel = pol.selector();
                let h = addr_hash(&sel.daddr, &sel.saddr, pol.family(), nmask, dbits, sbits);
                if let Some(c) = usize::try_from(h).ok().and_then(|h| ntable.get_mut(h)) {
                    c.push(pol);
                }
            }
        }
        self.table = ntable;
    }
}

/// `xfrm_policy_insert_list(chain, policy, excl)`: finds a duplicate (same
/// identity; `EEXIST` with `excl`) and places the new policy after the last
/// entry of priority ≤ its own (not counting the duplicate). Returns the
/// duplicate, still in the chain.
pub(super) fn insert_list(
    chain: &mut Chain,
    new: &Arc<XfrmPolicy>,
    excl: bool,
) -> KResult<Option<Arc<XfrmPolicy>>> {
    let info: &XfrmPolicyInfo = new.info();
    let mut newpos: Option<usize> = None;
    let mut delpol: Option<usize> = None;
    for (i, pol) in chain.iter().enumerate() {
        if delpol.is_none() && pol.same_identity(info) {
            if excl {
                return Err(Errno::EEXIST);
            }
            delpol = Some(i);
            if new.priority() > pol.priority() {
                continue;
            }
        } else if new.priority() >= pol.priority() {
            newpos = Some(i);
            continue;
        }
        if delpol.is_some() {
            break;
        }
    }
    let del = delpol.and_then(|i| chain.get(i).cloned());
    let at = newpos.map_or(0, |i| i + 1);
    chain.insert(at.min(chain.len()), new.clone());
    Ok(del)
}

/// The re-insertion of `xfrm_hash_rebuild`: after the last entry of
/// priority ≤ the policy's.
pub(super) fn insert_by_priority(chain: &mut Chain, pol: &Arc<XfrmPolicy>) {
    let at = chain.iter().rposition(|p| pol.priority() >= p.priority()).map_or(0, |i| i + 1);
    chain.insert(at, pol.clone());
}
