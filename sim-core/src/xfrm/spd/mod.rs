//! The SPD of one namespace (`net/xfrm/xfrm_policy.c`, the non-packet
//! parts): `policy_all`, the per-direction selector hash tables with their
//! prefix thresholds, the inexact bins, the index table, the index
//! generator, and the operations on them — insert, lookup by selector and
//! by index, delete, flush, walk, the flow lookup, hash resize and rebuild,
//! and `xfrm_spd_getinfo`.
//!
//! Every table is guarded by `xfrm_policy_lock`. Flow lookups take it too
//! (the kernel's are lock-free under RCU); see docs/differences.md.

mod policy;
mod tables;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use policy::XfrmPolicy;

use std::collections::BTreeMap;

use crate::hashmap::WordHashMap;
use crate::lockdep::{LockClassKey, LockKind, Mutex, SpinLock, SpinLockGuard};
use crate::prefetch::prefetch_range;
use crate::sync::Arc;
use crate::xfrm::addr::{AF_INET, AF_INET6};
use crate::xfrm::locks::XFRM_POLICY_LOCK;
use crate::xfrm::policy::{
    XFRM_POLICY_MAX, XFRM_POLICY_OUT, XFRM_POLICY_TYPE_ANY, XFRM_POLICY_TYPE_MAIN,
    XFRM_POLICY_TYPE_MAX, XFRM_POLICY_TYPE_SUB, XfrmPolicyInfo, xfrm_policy_id2dir,
};
use crate::xfrm::selector::{XfrmFlow, XfrmSelector, xfrm_selector_match};
use crate::xfrm::state::{XfrmMark, XfrmSecCtx};
use crate::{Errno, KResult};

use tables::{BinKey, Chain, DirHash, InexactBin, insert_by_priority, insert_list};

/// `hash_resize_mutex`: serialises SPD resizes and rebuilds (taken before
/// `xfrm_policy_lock`).
pub static HASH_RESIZE_MUTEX: LockClassKey =
    LockClassKey::new("hash_resize_mutex", LockKind::Mutex);

/// `xfrm_policy_hashmax`: no table grows beyond this many buckets.
pub const XFRM_POLICY_HASHMAX: u32 = 1024 * 1024;

/// Initial buckets of each table (`xfrm_policy_init`: hmask 7).
pub const XFRM_POLICY_INIT_HMASK: u32 = 7;

/// How many policies ahead `xfrm_policy_walk` prefetches: enough to cover
/// a memory miss (hundreds of ns on a loaded machine) with the ~50 ns a
/// dump spends per policy (measured: 16 beat 4 and 8 on the 100k dump).
const WALK_PREFETCH_DISTANCE: usize = 16;

/// `struct xfrmk_spdinfo` (`xfrm_spd_getinfo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XfrmkSpdinfo {
    pub incnt: u32,
    pub outcnt: u32,
    pub fwdcnt: u32,
    /// Socket policies, per direction.
    pub inscnt: u32,
    pub outscnt: u32,
    pub fwdscnt: u32,
    /// `policy_idx_hmask` (buckets − 1 of the index table).
    pub spdhcnt: u32,
    /// `xfrm_policy_hashmax`.
    pub spdhmcnt: u32,
}

/// `net->xfrm.policy_hthresh`: selector prefix lengths from which policies
/// are hashed (local/remote, per family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XfrmPolicyHthresh {
    pub lbits4: u8,
    pub rbits4: u8,
    pub lbits6: u8,
    pub rbits6: u8,
}

impl Default for XfrmPolicyHthresh {
    /// `xfrm_policy_init`: 32/32 and 128/128 — only host-to-host selectors
    /// are hashed.
    fn default() -> Self {
        XfrmPolicyHthresh { lbits4: 32, rbits4: 32, lbits6: 128, rbits6: 128 }
    }
}

/// What [`PolicyTable::xfrm_policy_insert`] did.
#[derive(Debug)]
pub struct PolicyInsert {
    /// The inserted policy, with its index assigned.
    pub policy: Arc<XfrmPolicy>,
    /// The policy it replaced (already unlinked and killed).
    pub replaced: Option<Arc<XfrmPolicy>>,
}

/// `struct xfrm_policy_walk`: a resumable dump position over
/// `policy_all` (newest first).
#[derive(Clone, Debug)]
pub struct XfrmPolicyWalk {
    ptype: u8,
    seq: u32,
    /// The marker's position: the `policy_all` key to resume from
    /// (inclusive). `None`: not linked.
    marker: Option<u64>,
}

impl XfrmPolicyWalk {
    /// `xfrm_policy_walk_init(walk, type)`.
    pub fn new(ptype: u8) -> Self {
        XfrmPolicyWalk { ptype, seq: 0, marker: None }
    }

    /// Entries delivered so far.
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

/// The state under `xfrm_policy_lock`.
struct Spd {
    /// `policy_all`: every linked policy, socket ones too; larger key =
    /// newer, so the kernel's head-first order is reverse key order.
    all: BTreeMap<u64, Arc<XfrmPolicy>>,
    next_all_id: u64,
    /// `policy_byidx` (a map by index; `idx_hmask` keeps the bucket count
    /// the kernel reports and resizes).
    byidx: WordHashMap<u32, Arc<XfrmPolicy>>,
    idx_hmask: u32,
    /// `policy_bydst[dir]`.
    bydst: [DirHash; XFRM_POLICY_MAX as usize],
    /// The inexact bins (`xfrm_pol_inexact_bin`).
    inexact: BTreeMap<BinKey, InexactBin>,
    /// `policy_count[2 * XFRM_POLICY_MAX]`.
    count: [u32; 2 * XFRM_POLICY_MAX as usize],
    /// `idx_generator`.
    idx_generator: u32,
    hthresh: XfrmPolicyHthresh,
}

/// The SPD of one namespace (the policy part of `struct netns_xfrm`).
pub struct PolicyTable {
    inner: SpinLock<Spd>,
    resize: Mutex<()>,
}

impl Default for PolicyTable {
    fn default() -> Self {
        Self::new()
    }
}

impl Spd {
    /// `xfrm_gen_index(net, dir, index)`: the index asked for if free,
    /// otherwise generator | dir (generator += 8; 0 becomes 8) until free.
    fn gen_index(&mut self, dir: u8, mut index: u32) -> u32 {
        loop {
            let idx = if index == 0 {
                let i = self.idx_generator | u32::from(dir);
                self.idx_generator = self.idx_generator.wrapping_add(8);
                i
            } else {
                core::mem::take(&mut index)
            };
            let idx = if idx == 0 { 8 } else { idx };
            if !self.byidx.contains_key(&idx) {
                return idx;
            }
        }
    }

    /// `xfrm_gen_pos`: one more than the newest SPD policy's pos (0 if
    /// none). When that would overflow, `xfrm_gen_pos_slow` renumbers every
    /// SPD policy oldest-first from 1 and returns the last number given —
    /// the newest old policy's, which the new one then shares.
    fn gen_pos(&mut self) -> u32 {
        let newest = self.all.values().rev().find(|p| !p.is_socket_policy()).map(|p| p.pos());
        match newest {
            None => 0,
            Some(u32::MAX) => {
                let mut i = 0;
                for p in self.all.values().filter(|p| !p.is_socket_policy()) {
                    i += 1;
                    p.set_pos(i);
                }
                i
            }
            Some(p) => p + 1,
        }
    }

    /// `__xfrm_policy_link`.
    fn link(&mut self, pol: &Arc<XfrmPolicy>, dir: u8) {
        if dir < XFRM_POLICY_MAX {
            let pos = self.gen_pos();
            pol.set_pos(pos);
        }
        let id = self.next_all_id;
        self.next_all_id += 1;
        pol.all_id.store(id, crate::sync::atomic::Ordering::Relaxed);
        self.all.insert(id, pol.clone());
        if let Some(c) = self.count.get_mut(usize::from(dir)) {
            *c += 1;
        }
    }

    /// The chain holding a linked SPD policy: its hash bucket or its bin.
    fn chain_of(&mut self, pol: &XfrmPolicy, dir: u8) -> Option<&mut Chain> {
        let d = self.bydst.get_mut(usize::from(dir))?;
        match d.bysel_bucket(pol.selector(), pol.family()) {
            Some(b) => d.table.get_mut(b),
            None => self
                .inexact
                .get_mut(&BinKey::of(pol, dir))
                .map(|b| b.chain_mut(pol.selector(), pol.family())),
        }
    }

    /// `__xfrm_policy_unlink`: out of every table; `None` if it was not
    /// linked.
    fn unlink(&mut self, pol: &Arc<XfrmPolicy>, dir: u8) -> Option<Arc<XfrmPolicy>> {
        let id = pol.all_id.swap(0, crate::sync::atomic::Ordering::Relaxed);
        if id == 0 {
            return None;
        }
        self.all.remove(&id);
        if dir < XFRM_POLICY_MAX {
            if let Some(chain) = self.chain_of(pol, dir) {
                chain.retain(|p| !Arc::ptr_eq(p, pol));
            }
            self.byidx.remove(&pol.index());
        }
        if let Some(c) = self.count.get_mut(usize::from(dir)) {
            *c = c.saturating_sub(1);
        }
        Some(pol.clone())
    }

    /// Drops the policy's inexact list, and its bin, once empty
    /// (`xfrm_policy_inexact_prune_bin`).
    fn prune_bin(&mut self, pol: &XfrmPolicy, dir: u8) {
        let key = BinKey::of(pol, dir);
        if let Some(b) = self.inexact.get_mut(&key) {
            b.prune(pol.selector(), pol.family());
            if b.is_empty() {
                self.inexact.remove(&key);
            }
        }
    }

    /// `xfrm_bydst_should_resize(dir)`.
    fn bydst_should_resize(&self, dir: usize) -> bool {
        let (Some(d), Some(&cnt)) = (self.bydst.get(dir), self.count.get(dir)) else {
            return false;
        };
        d.hmask + 1 < XFRM_POLICY_HASHMAX && cnt > d.hmask
    }

    /// `__xfrm_policy_bysel_ctx` over the chain a selector falls in.
    fn find_bysel(
        &self,
        mark: XfrmMark,
        if_id: u32,
        ptype: u8,
        dir: u8,
        sel: &XfrmSelector,
        ctx: Option<&XfrmSecCtx>,
    ) -> Option<Arc<XfrmPolicy>> {
        let d = self.bydst.get(usize::from(dir))?;
        let matches = |p: &&Arc<XfrmPolicy>| {
            p.ptype() == ptype
                && p.if_id() == if_id
                && p.mark() == mark
                && p.selector() == sel
                && p.security() == ctx
        };
        match d.bysel_bucket(sel, sel.family) {
            Some(b) => d.table.get(b)?.iter().find(matches).cloned(),
            None => {
                let key = BinKey { dir, ptype, family: sel.family, if_id };
                // Smallest pos among the matches (one at most in practice).
                let chain = self.inexact.get(&key)?.chain(sel, sel.family)?;
                chain.iter().filter(matches).min_by_key(|p| p.pos()).cloned()
            }
        }
    }
}

/// `xfrm_policy_match`: family, if_id, mark, type, then the selector.
fn policy_match(pol: &XfrmPolicy, fl: &XfrmFlow, ptype: u8, family: u16, if_id: u32) -> bool {
    pol.family() == family
        && pol.if_id() == if_id
        && pol.mark().matches(fl.mark)
        && pol.ptype() == ptype
        && xfrm_selector_match(pol.selector(), fl, family)
}

impl PolicyTable {
    /// `xfrm_policy_init`: empty tables of 8 buckets, thresholds 32/128,
    /// index generator 0.
    pub fn new() -> Self {
        let hthresh = XfrmPolicyHthresh::default();
        let bydst = [0u8, 1, 2].map(|dir| DirHash::new(XFRM_POLICY_INIT_HMASK, dir, hthresh));
        PolicyTable {
            inner: SpinLock::new(
                &XFRM_POLICY_LOCK,
                Spd {
                    all: BTreeMap::new(),
                    next_all_id: 1,
                    byidx: WordHashMap::default(),
                    idx_hmask: XFRM_POLICY_INIT_HMASK,
                    bydst,
                    inexact: BTreeMap::new(),
                    count: [0; 2 * XFRM_POLICY_MAX as usize],
                    idx_generator: 0,
                    hthresh,
                },
            ),
            resize: Mutex::new(&HASH_RESIZE_MUTEX, ()),
        }
    }

    fn lock(&self) -> SpinLockGuard<'_, Spd> {
        self.inner.lock_bh()
    }

    /// `xfrm_policy_insert(dir, policy, excl)`. The policy goes into its
    /// selector's hash bucket, or its inexact bin when a prefix is shorter
    /// than the thresholds, after the last entry of priority ≤ its own. A
    /// policy with the same type, if_id, selector, mark and security
    /// context is a duplicate: `EEXIST` with `excl`, otherwise it is
    /// replaced and its index inherited. A new policy gets the index it asks
    /// for if free, else a generated one. `now` is `add_time`. A table that
    /// outgrew its buckets is resized before returning (the kernel schedules
    /// that work). `EINVAL` for a direction ≥ 3, or for an index asked for
    /// whose direction bits are not `dir` (`verify_newpolicy_info` refuses
    /// it in Linux; the table refuses it too, since everything else derives
    /// a policy's direction from its index).
    pub fn xfrm_policy_insert(
        &self,
        dir: u8,
        info: XfrmPolicyInfo,
        excl: bool,
        now: u64,
    ) -> KResult<PolicyInsert> {
        if dir >= XFRM_POLICY_MAX || (info.index != 0 && xfrm_policy_id2dir(info.index) != dir) {
            return Err(Errno::EINVAL);
        }
        let new = Arc::new(XfrmPolicy::new(info));
        let (replaced, should_resize) = {
            let mut t = self.lock();
            let spd = &mut *t;
            let d = spd.bydst.get_mut(usize::from(dir)).ok_or(Errno::EINVAL)?;
            let bucket = d.bysel_bucket(new.selector(), new.family());
            let delpol = match bucket {
                Some(b) => {
                    let chain = d.table.get_mut(b).ok_or(Errno::EINVAL)?;
                    insert_list(chain, &new, excl)?
                }
                None => {
                    let key = BinKey::of(&new, dir);
                    let bin = spd.inexact.entry(key).or_default();
                    let r = insert_list(bin.chain_mut(new.selector(), new.family()), &new, excl);
                    if r.is_err() {
                        spd.prune_bin(&new, dir);
                    }
                    r?
                }
            };
            spd.link(&new, dir);
            if let Some(old) = &delpol {
                spd.unlink(old, dir);
            }
            let index = match &delpol {
                Some(old) => old.index(),
                None => spd.gen_index(dir, new.info().index),
            };
            new.set_index(index);
            spd.byidx.insert(index, new.clone());
            new.set_times(now, 0);
            let grow = delpol.is_none() && spd.bydst_should_resize(usize::from(dir));
            (delpol, grow)
        };
        if let Some(old) = &replaced {
            old.kill();
        }
        if should_resize {
            self.xfrm_hash_resize();
        }
        Ok(PolicyInsert { policy: new, replaced })
    }

    /// `xfrm_policy_bysel_ctx(mark, if_id, type, dir, sel, ctx, delete)`:
    /// the policy with exactly this identity; with `delete` it is unlinked
    /// and killed. `ENOENT` when there is none (the front ends' answer to
    /// the kernel's NULL).
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_policy_bysel_ctx(
        &self,
        mark: XfrmMark,
        if_id: u32,
        ptype: u8,
        dir: u8,
        sel: &XfrmSelector,
        ctx: Option<&XfrmSecCtx>,
        delete: bool,
    ) -> KResult<Arc<XfrmPolicy>> {
        let pol = {
            let mut t = self.lock();
            let pol = t.find_bysel(mark, if_id, ptype, dir, sel, ctx).ok_or(Errno::ENOENT)?;
            if delete {
                t.unlink(&pol, dir);
                t.prune_bin(&pol, dir);
            }
            pol
        };
        if delete {
            pol.kill();
        }
        Ok(pol)
    }

    /// `xfrm_policy_byid(mark, if_id, type, dir, id, delete)`: the policy
    /// with this index, type, if_id and exact mark; `ENOENT` if the index's
    /// direction bits are not `dir` or nothing matches.
    pub fn xfrm_policy_byid(
        &self,
        mark: XfrmMark,
        if_id: u32,
        ptype: u8,
        dir: u8,
        id: u32,
        delete: bool,
    ) -> KResult<Arc<XfrmPolicy>> {
        if xfrm_policy_id2dir(id) != dir {
            return Err(Errno::ENOENT);
        }
        let pol = {
            let mut t = self.lock();
            let pol = t
                .byidx
                .get(&id)
                .filter(|p| p.ptype() == ptype && p.if_id() == if_id && p.mark() == mark)
                .cloned()
                .ok_or(Errno::ENOENT)?;
            if delete {
                t.unlink(&pol, dir);
                t.prune_bin(&pol, dir);
            }
            pol
        };
        if delete {
            pol.kill();
        }
        Ok(pol)
    }

    /// `xfrm_policy_delete(pol, dir)`: unlink and kill; `ENOENT` if it is
    /// no longer linked.
    pub fn xfrm_policy_delete(&self, pol: &Arc<XfrmPolicy>, dir: u8) -> KResult<()> {
        let r = {
            let mut t = self.lock();
            let r = t.unlink(pol, dir);
            if dir < XFRM_POLICY_MAX {
                t.prune_bin(pol, dir);
            }
            r
        };
        match r {
            Some(p) => {
                p.kill();
                Ok(())
            }
            None => Err(Errno::ENOENT),
        }
    }

    /// `xfrm_policy_flush(net, type)`: unlinks and kills every SPD (not
    /// socket) policy of `type`, newest first; returns how many. `ESRCH` if
    /// there was none.
    pub fn xfrm_policy_flush(&self, ptype: u8) -> KResult<usize> {
        let victims: Vec<Arc<XfrmPolicy>> = {
            let mut t = self.lock();
            let victims: Vec<_> = t
                .all
                .values()
                .rev()
                .filter(|p| !p.is_socket_policy() && p.ptype() == ptype)
                .cloned()
                .collect();
            for p in &victims {
                t.unlink(p, p.dir());
            }
            if !victims.is_empty() {
                t.inexact.values_mut().for_each(InexactBin::prune_all);
                t.inexact.retain(|_, b| !b.is_empty());
            }
            victims
        };
        if victims.is_empty() {
            return Err(Errno::ESRCH);
        }
        victims.iter().for_each(|p| p.kill());
        Ok(victims.len())
    }

    /// `xfrm_policy_walk(net, walk, func)`: calls `f(policy, dir, seq)` for
    /// each linked policy of the walk's type (or any) newest first, socket
    /// policies included (dir 3–5). When `f` fails the walk stops before
    /// that policy, so the next call resumes with it, and the error is
    /// returned. `ENOENT` if nothing at all was visited; `EINVAL` for a type
    /// that is neither < 2 nor ANY; a finished walk returns 0 at once.
    pub fn xfrm_policy_walk<F>(&self, walk: &mut XfrmPolicyWalk, mut f: F) -> KResult<()>
    where
        F: FnMut(&Arc<XfrmPolicy>, u8, u32) -> KResult<()>,
    {
        if walk.ptype >= XFRM_POLICY_TYPE_MAX && walk.ptype != XFRM_POLICY_TYPE_ANY {
            return Err(Errno::EINVAL);
        }
        if walk.marker.is_none() && walk.seq != 0 {
            return Ok(());
        }
        let t = self.lock();
        let start = walk.marker.unwrap_or(u64::MAX);
        // The policies lie wherever they were allocated; asking for the
        // ones a few steps ahead overlaps the misses a dump would
        // otherwise take one by one.
        let mut ahead = t.all.range(..=start).rev().skip(WALK_PREFETCH_DISTANCE);
        for (&id, pol) in t.all.range(..=start).rev() {
            if let Some((_, next)) = ahead.next() {
                prefetch_range::<XfrmPolicy>(next);
            }
            if walk.ptype != XFRM_POLICY_TYPE_ANY && walk.ptype != pol.ptype() {
                continue;
            }
            if let Err(e) = f(pol, pol.dir(), walk.seq) {
                walk.marker = Some(id);
                return Err(e);
            }
            walk.seq += 1;
        }
        if walk.seq == 0 {
            return Err(Errno::ENOENT);
        }
        walk.marker = None;
        Ok(())
    }

    /// `xfrm_policy_walk_done`: drops the marker.
    pub fn xfrm_policy_walk_done(&self, walk: &mut XfrmPolicyWalk) {
        walk.marker = None;
    }

    /// `xfrm_policy_lookup_bytype(net, type, fl, family, dir, if_id)`: the
    /// first match in the flow's hash bucket, then the inexact bin of
    /// (dir, type, family, if_id) scanned up to that priority; the lowest
    /// priority wins, ties go to the older policy (smaller pos).
    pub fn xfrm_policy_lookup_bytype(
        &self,
        ptype: u8,
        fl: &XfrmFlow,
        family: u16,
        dir: u8,
        if_id: u32,
    ) -> Option<Arc<XfrmPolicy>> {
        if family != AF_INET && family != AF_INET6 {
            return None;
        }
        let t = self.lock();
        let d = t.bydst.get(usize::from(dir))?;
        let chain = d.table.get(d.direct_bucket(&fl.daddr, &fl.saddr, family))?;
        let exact = chain.iter().find(|p| policy_match(p, fl, ptype, family, if_id));
        let key = BinKey { dir, ptype, family, if_id };
        let Some(bin) = t.inexact.get(&key) else {
            return exact.cloned();
        };
        bin.eval_candidates(exact, &fl.daddr, family, |p| policy_match(p, fl, ptype, family, if_id))
            .cloned()
    }

    /// `xfrm_policy_lookup`: SUB policies first, then MAIN.
    pub fn xfrm_policy_lookup(
        &self,
        fl: &XfrmFlow,
        family: u16,
        dir: u8,
        if_id: u32,
    ) -> Option<Arc<XfrmPolicy>> {
        self.xfrm_policy_lookup_bytype(XFRM_POLICY_TYPE_SUB, fl, family, dir, if_id).or_else(|| {
            self.xfrm_policy_lookup_bytype(XFRM_POLICY_TYPE_MAIN, fl, family, dir, if_id)
        })
    }

    /// `xfrm_sk_policy_insert`'s table part for a new socket policy: index
    /// generated for direction 3 + `dir`, linked into `policy_all` and
    /// counted, but not hashed. `EINVAL` for a SUB policy or `dir` ≥ 3.
    pub fn xfrm_sk_policy_link(
        &self,
        dir: u8,
        info: XfrmPolicyInfo,
        now: u64,
    ) -> KResult<Arc<XfrmPolicy>> {
        if info.ptype != XFRM_POLICY_TYPE_MAIN || dir >= XFRM_POLICY_MAX {
            return Err(Errno::EINVAL);
        }
        let pol = Arc::new(XfrmPolicy::new(info));
        let mut t = self.lock();
        pol.set_times(now, 0);
        let index = t.gen_index(XFRM_POLICY_MAX + dir, 0);
        pol.set_index(index);
        t.link(&pol, XFRM_POLICY_MAX + dir);
        Ok(pol)
    }

    /// `xfrm_sk_policy_unlink` + kill of a socket policy.
    pub fn xfrm_sk_policy_unlink(&self, pol: &Arc<XfrmPolicy>) -> KResult<()> {
        self.xfrm_policy_delete(pol, pol.dir())
    }

    /// `xfrm_spd_getinfo`.
    pub fn xfrm_spd_getinfo(&self) -> XfrmkSpdinfo {
        let t = self.lock();
        let c = |i: usize| t.count.get(i).copied().unwrap_or(0);
        XfrmkSpdinfo {
            incnt: c(0),
            outcnt: c(1),
            fwdcnt: c(2),
            inscnt: c(3),
            outscnt: c(4),
            fwdscnt: c(5),
            spdhcnt: t.idx_hmask,
            spdhmcnt: XFRM_POLICY_HASHMAX,
        }
    }

    /// `policy_count[dir]` (0–5).
    pub fn policy_count(&self, dir: u8) -> u32 {
        self.lock().count.get(usize::from(dir)).copied().unwrap_or(0)
    }

    /// `policy_bydst[dir].hmask`.
    pub fn bydst_hmask(&self, dir: u8) -> Option<u32> {
        self.lock().bydst.get(usize::from(dir)).map(|d| d.hmask)
    }

    /// The hash thresholds in force.
    pub fn hthresh(&self) -> XfrmPolicyHthresh {
        self.lock().hthresh
    }

    /// NEWSPDINFO's threshold change (`xfrm_set_spdinfo`): `EINVAL` if a
    /// v4 threshold exceeds 32 or a v6 one 128; otherwise store them and
    /// rebuild the tables (`xfrm_hash_rebuild`, run here at once).
    pub fn xfrm_set_hthresh(&self, th: XfrmPolicyHthresh) -> KResult<()> {
        if th.lbits4 > 32 || th.rbits4 > 32 || th.lbits6 > 128 || th.rbits6 > 128 {
            return Err(Errno::EINVAL);
        }
        self.lock().hthresh = th;
        self.xfrm_hash_rebuild();
        Ok(())
    }

    /// `xfrm_hash_rebuild`: per direction, dst = remote and src = local for
    /// OUT, the reverse for IN/FWD; then every SPD policy is re-placed,
    /// oldest first, into its bucket or bin after the entries of priority ≤
    /// its own.
    pub fn xfrm_hash_rebuild(&self) {
        let _m = self.resize.lock();
        let mut t = self.lock();
        let spd = &mut *t;
        let th = spd.hthresh;
        for (dir, d) in spd.bydst.iter_mut().enumerate() {
            d.set_thresholds(dir as u8, th);
            d.table.iter_mut().for_each(Vec::clear);
        }
        spd.inexact.clear();
        let policies: Vec<Arc<XfrmPolicy>> =
            spd.all.values().filter(|p| !p.is_socket_policy()).cloned().collect();
        for pol in policies {
            let dir = pol.dir();
            let Some(d) = spd.bydst.get_mut(usize::from(dir)) else { continue };
            match d.bysel_bucket(pol.selector(), pol.family()) {
                Some(b) => {
                    if let Some(chain) = d.table.get_mut(b) {
                        insert_by_priority(chain, &pol);
                    }
                }
                None => {
                    let bin = spd.inexact.entry(BinKey::of(&pol, dir)).or_default();
                    insert_by_priority(bin.chain_mut(pol.selector(), pol.family()), &pol)
                }
            }
        }
    }

    /// `xfrm_hash_resize`: doubles each direction's table whose count
    /// exceeds its mask, and the index table when the total does.
    pub fn xfrm_hash_resize(&self) {
        let _m = self.resize.lock();
        let mut t = self.lock();
        let spd = &mut *t;
        let mut total = 0u32;
        for dir in 0..usize::from(XFRM_POLICY_MAX) {
            total = total.saturating_add(spd.count.get(dir).copied().unwrap_or(0));
            let grow = spd.bydst_should_resize(dir);
            if let Some(d) = spd.bydst.get_mut(dir).filter(|_| grow) {
                d.grow();
            }
        }
        if spd.idx_hmask + 1 < XFRM_POLICY_HASHMAX && total > spd.idx_hmask {
            spd.idx_hmask = ((spd.idx_hmask + 1) << 1) - 1;
        }
    }

    /// Every linked policy, newest first (`policy_all` order).
    pub fn policies(&self) -> Vec<Arc<XfrmPolicy>> {
        self.lock().all.values().rev().cloned().collect()
    }

    /// Number of linked policies, socket ones included.
    pub fn len(&self) -> usize {
        self.lock().all.len()
    }

    /// Whether no policy is linked (`list_empty(&net->xfrm.policy_all)`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the tables against each other: every SPD policy is in exactly
    /// the chain its selector and the thresholds pick, chains are ordered
    /// by (priority, pos), the index table and counts agree with
    /// `policy_all`. Returns a description of the first inconsistency.
    pub fn check_consistency(&self) -> Result<(), String> {
        let t = self.lock();
        let mut counts = [0u32; 6];
        let mut seen = 0usize;
        for pol in t.all.values() {
            let dir = pol.dir();
            if let Some(c) = counts.get_mut(usize::from(dir)) {
                *c += 1;
            }
            if dir >= XFRM_POLICY_MAX {
                continue;
            }
            seen += 1;
            if !t.byidx.get(&pol.index()).is_some_and(|p| Arc::ptr_eq(p, pol)) {
                return Err(format!("index {} not in byidx", pol.index()));
            }
            let Some(d) = t.bydst.get(usize::from(dir)) else {
                return Err("bad dir".into());
            };
            let chain = match d.bysel_bucket(pol.selector(), pol.family()) {
                Some(b) => d.table.get(b),
                None => t
                    .inexact
                    .get(&BinKey::of(pol, dir))
                    .and_then(|b| b.chain(pol.selector(), pol.family())),
            };
            let n = chain.map_or(0, |c| c.iter().filter(|p| Arc::ptr_eq(p, pol)).count());
            if n != 1 {
                return Err(format!("policy {} found {n} times in its chain", pol.index()));
            }
        }
        let chained: usize =
            t.bydst.iter().map(|d| d.table.iter().map(Vec::len).sum::<usize>()).sum::<usize>()
                + t.inexact.values().flat_map(|b| b.chains()).map(Vec::len).sum::<usize>();
        if chained != seen {
            return Err(format!("{chained} chained, {seen} linked"));
        }
        if t.byidx.len() != seen {
            return Err(format!("{} indexed, {seen} linked", t.byidx.len()));
        }
        if counts != t.count {
            return Err(format!("counts {:?} != {:?}", t.count, counts));
        }
        let inexact = t.inexact.values().flat_map(|b| b.chains());
        for chain in t.bydst.iter().flat_map(|d| d.table.iter()).chain(inexact) {
            if chain.windows(2).any(|w| match w {
                [a, b] => (a.priority(), a.pos()) > (b.priority(), b.pos()),
                _ => false,
            }) {
                return Err("chain out of (priority, pos) order".into());
            }
        }
        let empty_list = |b: &InexactBin| b.chains().skip(1).any(Vec::is_empty);
        if t.inexact.values().any(|b| b.is_empty() || empty_list(b)) {
            return Err("empty inexact bin or list left".into());
        }
        Ok(())
    }
}

/// Whether `dir` puts the remote end in the destination (OUT) — the rule
/// that maps lbits/rbits to dbits/sbits.
pub(crate) fn dst_is_remote(dir: u8) -> bool {
    dir == XFRM_POLICY_OUT
}
