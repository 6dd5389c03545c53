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
    /// The bin a policy of direction `dir` belongs to.
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
    /// Empty buckets `0..=hmask` with the thresholds of `dir`.
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

/// The destination address masked to `plen` bits of its family: the key of
/// an inexact list.
fn masked(a: &XfrmAddress, family: u16, plen: u8) -> [u8; 16] {
    let bits = if family == AF_INET { 32 } else { 128 };
    let plen = usize::from(plen.min(bits));
    let mut out = [0u8; 16];
    for (i, (o, b)) in out.iter_mut().zip(a.as_bytes()).enumerate() {
        let keep = plen.saturating_sub(i * 8).min(8);
        // keep is 0..=8 high bits of this byte.
        let mask = if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
        *o = b & mask;
    }
    out
}

/// One inexact bin (`struct xfrm_pol_inexact_bin`): the policies of one
/// (dir, type, family, if_id) whose selector is not hashable. Linux keeps
/// an any:any list and rb-trees of merged destination and source prefix
/// nodes; here the lists are keyed by the destination prefix (length and
/// masked address), plus one list for prefix 0. A lookup probes each prefix
/// length present. Every list is ordered by (priority, pos), so the result
/// — the lowest (priority, pos) among matching policies — is the kernel's.
#[derive(Default)]
pub(super) struct InexactBin {
    any: Chain,
    by_dst: std::collections::BTreeMap<(u8, [u8; 16]), Chain>,
}

impl InexactBin {
    fn key(sel: &XfrmSelector, family: u16) -> Option<(u8, [u8; 16])> {
        (sel.prefixlen_d != 0)
            .then(|| (sel.prefixlen_d, masked(&sel.daddr, family, sel.prefixlen_d)))
    }

    /// The list a selector belongs in, created on demand.
    pub fn chain_mut(&mut self, sel: &XfrmSelector, family: u16) -> &mut Chain {
        match Self::key(sel, family) {
            None => &mut self.any,
            Some(k) => self.by_dst.entry(k).or_default(),
        }
    }

    /// The list a selector belongs in, if it exists.
    pub fn chain(&self, sel: &XfrmSelector, family: u16) -> Option<&Chain> {
        match Self::key(sel, family) {
            None => Some(&self.any),
            Some(k) => self.by_dst.get(&k),
        }
    }

    /// Drops the selector's list if it became empty.
    pub fn prune(&mut self, sel: &XfrmSelector, family: u16) {
        if let Some(k) =
            Self::key(sel, family).filter(|k| self.by_dst.get(k).is_some_and(|c| c.is_empty()))
        {
            self.by_dst.remove(&k);
        }
    }

    /// Removes every empty list.
    pub fn prune_all(&mut self) {
        self.by_dst.retain(|_, c| !c.is_empty());
    }

    /// Whether the bin holds no policy (it can then be freed).
    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.by_dst.values().all(|c| c.is_empty())
    }

    /// The prefix-0 list, then every keyed list.
    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        core::iter::once(&self.any).chain(self.by_dst.values())
    }

    /// `xfrm_policy_eval_candidates`: starting from `prefer` (the exact
    /// match, if any), the first match of each candidate list that is not
    /// worse — lower priority wins, equal priority keeps the older.
    pub fn eval_candidates<'a>(
        &'a self,
        mut prefer: Option<&'a Arc<XfrmPolicy>>,
        daddr: &XfrmAddress,
        family: u16,
        matches: impl Fn(&XfrmPolicy) -> bool,
    ) -> Option<&'a Arc<XfrmPolicy>> {
        let scan = |chain: &'a Chain, prefer: &mut Option<&'a Arc<XfrmPolicy>>| {
            let limit = prefer.map_or(u32::MAX, |p| p.priority());
            for p in chain {
                if p.priority() > limit {
                    break;
                }
                if !matches(p) {
                    continue;
                }
                let older = prefer.filter(|e| p.priority() == limit && e.pos() < p.pos());
                if older.is_none() {
                    *prefer = Some(p);
                }
                break;
            }
        };
        scan(&self.any, &mut prefer);
        // One probe per prefix length present (a skip scan over the keys).
        let mut next = self.by_dst.keys().next().map(|k| k.0);
        while let Some(plen) = next {
            if let Some(c) = self.by_dst.get(&(plen, masked(daddr, family, plen))) {
                scan(c, &mut prefer);
            }
            next = plen
                .checked_add(1)
                .and_then(|n| self.by_dst.range((n, [0u8; 16])..).next().map(|(k, _)| k.0));
        }
        prefer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_prefix_bits_of_the_family() {
        let a: XfrmAddress = std::net::Ipv4Addr::new(10, 1, 0xff, 7).into();
        assert_eq!(masked(&a, AF_INET, 20)[..4], [10, 1, 0xf0, 0]);
        assert_eq!(masked(&a, AF_INET, 0), [0; 16]);
        assert_eq!(masked(&a, AF_INET, 99)[..4], [10, 1, 0xff, 7]);
        let b: XfrmAddress = "2001:db8:ffff::1".parse::<std::net::Ipv6Addr>().unwrap().into();
        let m = masked(&b, AF_INET6, 36);
        assert_eq!(m[..6], [0x20, 0x01, 0x0d, 0xb8, 0xf0, 0]);
        assert_eq!(masked(&b, AF_INET6, 128), *b.as_bytes());
    }
}
