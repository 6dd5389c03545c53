//! The SAD of one network namespace (`net->xfrm.state_*` and the functions
//! of `net/xfrm/xfrm_state.c` that manage them).
//!
//! Layout. Every state sits in a slot of a slab; the four Linux hash tables
//! (`state_bydst`, `state_bysrc`, `state_byspi`, `state_byseq`) are arrays
//! of chain heads holding slot numbers, chained through per-slot links, with
//! Linux's hash functions and head insertion, so chain order — and thus
//! which of several candidates a lookup returns — is Linux's. The slot keeps
//! a copy of the SPI-lookup key so a miss never touches the state.
//! `state_all` (newest first) is an ordered map from a monotonically
//! increasing insertion id to the slot; dumps walk it downwards.
//!
//! Locking. `xfrm_state_lock` (a BH spinlock) guards all of it. Linux's
//! `xfrm_state_lookup` runs under RCU; here lookups take the table lock
//! briefly. The order is `&x->lock` → `xfrm_state_lock`, as in Linux, so
//! nothing here takes a state's lock while holding the table lock.
//!
//! Growth. Linux schedules `xfrm_hash_resize` from `xfrm_hash_grow_check`
//! and doubles the tables later in a work item; here the doubling happens
//! synchronously at the same trigger, moving states in `xfrm_hash_transfer`
//! order.

use std::collections::BTreeMap;

use crate::hashmap::WordHashMap;

use super::addr::{AF_INET, AF_INET6, XfrmAddress, addr_match, xfrm_addr_equal};
use super::hash::{xfrm_dst_hash, xfrm_seq_hash, xfrm_spi_hash, xfrm_src_hash};
use super::lifetime::{
    StateTimerFields, UseCheck, xfrm_state_check_expire_eval, xfrm_state_timer_eval,
};
use super::locks::XFRM_STATE_LOCK;
use super::selector::XfrmSelector;
use super::state::{
    XfrmKmState, XfrmMark, XfrmState, XfrmStateMut, flags::XFRM_STATE_WILDRECV,
    xfrm_id_proto_match, xfrm_proto_uses_spi,
};
use crate::errno::{Errno, KResult};
use crate::lockdep::{SpinLock, SpinLockGuard};
use crate::rng::KernelRng;
use crate::sync::Arc;
use crate::sync::atomic::{AtomicU32, Ordering};

/// `xfrm_state_hashmax`: the largest bucket count (1 048 576).
pub const XFRM_STATE_HASHMAX: u32 = 1 << 20;
/// Buckets of a new namespace's tables (`xfrm_state_init`: 8).
pub const XFRM_STATE_INITIAL_BUCKETS: u32 = 8;

const NIL: u32 = u32::MAX;
const DST: usize = 0;
const SRC: usize = 1;
const SPI: usize = 2;
const SEQ: usize = 3;

/// `struct xfrmk_sadinfo` as `xfrm_sad_getinfo` fills it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct XfrmkSadinfo {
    /// `sadcnt`: states, larval ones included.
    pub sadcnt: u32,
    /// `sadhcnt`: buckets (hmask + 1).
    pub sadhcnt: u32,
    /// `sadhmcnt`: the maximum bucket count.
    pub sadhmcnt: u32,
}

/// `struct xfrm_address_filter`: the dump filter of `XFRMA_ADDRESS_FILTER`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct XfrmAddressFilter {
    pub saddr: XfrmAddress,
    pub daddr: XfrmAddress,
    pub family: u16,
    pub splen: u8,
    pub dplen: u8,
}

/// `struct xfrm_state_walk` used as a dump cursor (`xfrm_state_walk_init`).
///
/// Linux links the walker into `state_all` as a marker. Here the cursor is
/// the insertion id of the next state to visit: states are visited in
/// decreasing id order (newest first), so a state that exists for the whole
/// walk is visited exactly once, states inserted after the walk began are
/// not visited (they are in front of the marker in Linux too), and deleted
/// ones simply vanish.
#[derive(Clone, Debug)]
pub struct XfrmStateWalk {
    /// `proto` filter (`xfrm_id_proto_match`).
    pub proto: u8,
    pub filter: Option<XfrmAddressFilter>,
    /// Entries returned so far (`walk->seq`).
    pub seq: u32,
    /// `Some(id)`: linked, resume at ids ≤ id. `None`: not linked.
    marker: Option<u64>,
}

impl XfrmStateWalk {
    /// `xfrm_state_walk_init(walk, proto, filter)`.
    pub fn new(proto: u8, filter: Option<XfrmAddressFilter>) -> Self {
        XfrmStateWalk { proto, filter, seq: 0, marker: None }
    }

    /// Whether the walk has finished (`seq != 0` and unlinked).
    pub fn is_done(&self) -> bool {
        self.seq != 0 && self.marker.is_none()
    }

    /// `xfrm_state_walk_done`: unlink the marker.
    pub fn done(&mut self) {
        self.marker = None;
    }
}

/// Arms a state's lifetime timer (`hrtimer_start(&x->mtimer, secs)`); the
/// key-manager layer supplies it. Called after the table lock is released.
pub trait XfrmStateTimerArm: Send + Sync {
    fn arm(&self, x: &Arc<XfrmState>, secs: u64);
}

/// Where expiries go: the key-manager layer wires these to
/// `km_state_expired` / `km_policy_expired`.
pub trait XfrmExpiryHook {
    /// The policy object type of the SPD.
    type Policy: ?Sized;
    /// `km_state_expired(x, hard, 0)`.
    fn state_expired(&self, x: &Arc<XfrmState>, hard: bool);
    /// `km_policy_expired(xp, dir, hard, 0)`.
    fn policy_expired(&self, xp: &Self::Policy, dir: u8, hard: bool);
}

/// `xfrm_get_acqseq`'s counter. Linux has one static counter for all
/// namespaces; a simulated kernel owns one of these (so runs replay).
#[derive(Debug, Default)]
pub struct XfrmAcqSeq(AtomicU32);

impl XfrmAcqSeq {
    pub fn new() -> Self {
        XfrmAcqSeq(AtomicU32::new(0))
    }

    /// `xfrm_get_acqseq()`: pre-increment, skipping 0.
    pub fn next(&self) -> u32 {
        loop {
            let v = self.0.fetch_add(1, Ordering::AcqRel).wrapping_add(1);
            if v != 0 {
                return v;
            }
        }
    }
}

/// `xfrm_state_addr_check(x, daddr, saddr, family)`: daddr equal and the
/// sources equal or either one the wildcard.
pub fn xfrm_state_addr_check(
    x: &XfrmState,
    daddr: &XfrmAddress,
    saddr: &XfrmAddress,
    family: u16,
) -> bool {
    match family {
        AF_INET | AF_INET6 => {
            xfrm_addr_equal(daddr, &x.daddr, family)
                && (xfrm_addr_equal(saddr, &x.saddr, family)
                    || saddr.is_any(family)
                    || x.saddr.is_any(family))
        }
        _ => false,
    }
}

/// `verify_spi_info(proto, min, max)`.
pub fn verify_spi_info(proto: u8, min: u32, max: u32) -> KResult<()> {
    use super::state::{IPPROTO_AH, IPPROTO_COMP, IPPROTO_ESP};
    match proto {
        IPPROTO_AH | IPPROTO_ESP => {}
        // IPcomp SPIs are 16 bits.
        IPPROTO_COMP if max >= 0x10000 => return Err(Errno::EINVAL),
        IPPROTO_COMP => {}
        _ => return Err(Errno::EINVAL),
    }
    if min > max {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// One state's place in the slab: the state, its chain links and a copy of
/// the SPI-lookup key.
struct Slot {
    x: Option<Arc<XfrmState>>,
    next: [u32; 4],
    daddr: XfrmAddress,
    spi: u32,
    mark: XfrmMark,
    family: u16,
    proto: u8,
}

struct Sad {
    hmask: u32,
    heads: [Vec<u32>; 4],
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// `state_all`: insertion id → slot (largest id = newest).
    all: BTreeMap<u64, u32>,
    next_id: u64,
    state_num: u32,
    /// States per (spi, proto) in `state_byspi`, for
    /// `xfrm_state_lookup_spi_proto`.
    spi_proto: WordHashMap<(u32, u8), u32>,
}

/// The SAD of one namespace.
pub struct StateTable {
    sad: SpinLock<Sad>,
    timer: Option<Arc<dyn XfrmStateTimerArm>>,
    /// `net->xfrm.sysctl_acq_expires` (seconds).
    acq_expires: AtomicU32,
}

impl core::fmt::Debug for StateTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StateTable").finish_non_exhaustive()
    }
}

impl Default for StateTable {
    fn default() -> Self {
        Self::new()
    }
}

fn state_hashes(x: &XfrmState, hmask: u32) -> [u32; 4] {
    [
        xfrm_dst_hash(&x.daddr, &x.saddr, x.reqid, x.family, hmask),
        xfrm_src_hash(&x.daddr, &x.saddr, x.family, hmask),
        xfrm_spi_hash(&x.daddr, x.spi(), x.proto, x.family, hmask),
        xfrm_seq_hash(x.seq(), hmask),
    ]
}

impl Sad {
    fn new() -> Self {
        let n = XFRM_STATE_INITIAL_BUCKETS as usize;
        Sad {
            hmask: XFRM_STATE_INITIAL_BUCKETS - 1,
            heads: [vec![NIL; n], vec![NIL; n], vec![NIL; n], vec![NIL; n]],
            slots: Vec::new(),
            free: Vec::new(),
            all: BTreeMap::new(),
            next_id: 1,
            state_num: 0,
            spi_proto: WordHashMap::default(),
        }
    }

    fn slot_state(&self, s: u32) -> Option<&Arc<XfrmState>> {
        self.slots.get(s as usize).and_then(|sl| sl.x.as_ref())
    }

    /// Iterates the chain of `table` at bucket `h`.
    fn chain(&self, table: usize, h: u32) -> ChainIter<'_> {
        let head = self.heads[table].get(h as usize).copied().unwrap_or(NIL);
        ChainIter { sad: self, table, cur: head }
    }

    fn link_head(&mut self, table: usize, h: u32, s: u32) {
        let Some(head) = self.heads[table].get_mut(h as usize) else { return };
        let old = *head;
        *head = s;
        if let Some(sl) = self.slots.get_mut(s as usize) {
            sl.next[table] = old;
        }
    }

    fn unlink(&mut self, table: usize, h: u32, s: u32) {
        let Some(&head) = self.heads[table].get(h as usize) else { return };
        let next_of =
            |sad: &Sad, i: u32| sad.slots.get(i as usize).map_or(NIL, |sl| sl.next[table]);
        if head == s {
            let n = next_of(self, s);
            self.heads[table][h as usize] = n;
            return;
        }
        let mut prev = head;
        while prev != NIL {
            let n = next_of(self, prev);
            if n == s {
                let after = next_of(self, s);
                if let Some(sl) = self.slots.get_mut(prev as usize) {
                    sl.next[table] = after;
                }
                return;
            }
            prev = n;
        }
    }

    fn alloc_slot(&mut self, x: &Arc<XfrmState>) -> u32 {
        let slot = Slot {
            x: Some(x.clone()),
            next: [NIL; 4],
            daddr: x.daddr,
            spi: x.spi(),
            mark: x.mark,
            family: x.family,
            proto: x.proto,
        };
        if let Some(s) = self.free.pop() {
            self.slots[s as usize] = slot;
            s
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    /// Links `x` into `state_all` and bydst/bysrc, and byspi/byseq when
    /// `with_spi_seq` (larval states from `__find_acq_core` are linked into
    /// bydst and bysrc only). Returns whether the new bydst entry has a
    /// successor (`x->bydst.next != NULL`).
    fn link(&mut self, x: &Arc<XfrmState>, with_spi_seq: bool) -> bool {
        let s = self.alloc_slot(x);
        let id = self.next_id;
        self.next_id += 1;
        self.all.insert(id, s);
        x.all_id.store(id, Ordering::Release);
        x.slot.store(s, Ordering::Release);
        let h = state_hashes(x, self.hmask);
        self.link_head(DST, h[DST], s);
        self.link_head(SRC, h[SRC], s);
        if with_spi_seq {
            if x.spi() != 0 {
                self.link_head(SPI, h[SPI], s);
                *self.spi_proto.entry((x.spi(), x.proto)).or_insert(0) += 1;
            }
            if x.seq() != 0 {
                self.link_head(SEQ, h[SEQ], s);
            }
        }
        self.state_num += 1;
        self.slots.get(s as usize).is_some_and(|sl| sl.next[DST] != NIL)
    }

    /// Whether `x` is in this table (slot check).
    fn slot_of(&self, x: &Arc<XfrmState>) -> Option<u32> {
        if !x.is_linked() {
            return None;
        }
        let s = x.slot.load(Ordering::Acquire);
        match self.slot_state(s) {
            Some(y) if Arc::ptr_eq(x, y) => Some(s),
            _ => None,
        }
    }

    fn unlink_state(&mut self, x: &Arc<XfrmState>) -> bool {
        let Some(s) = self.slot_of(x) else { return false };
        let h = state_hashes(x, self.hmask);
        self.unlink(DST, h[DST], s);
        self.unlink(SRC, h[SRC], s);
        if x.seq() != 0 {
            self.unlink(SEQ, h[SEQ], s);
        }
        let spi = x.spi();
        if spi != 0 {
            self.unlink(SPI, h[SPI], s);
            if let Some(c) = self.spi_proto.get_mut(&(spi, x.proto)) {
                *c -= 1;
                if *c == 0 {
                    self.spi_proto.remove(&(spi, x.proto));
                }
            }
        }
        self.all.remove(&x.all_id.load(Ordering::Acquire));
        x.all_id.store(0, Ordering::Release);
        if let Some(sl) = self.slots.get_mut(s as usize) {
            sl.x = None;
            sl.next = [NIL; 4];
        }
        self.free.push(s);
        self.state_num -= 1;
        true
    }

    /// `xfrm_hash_grow_check` + `xfrm_hash_resize`, synchronously.
    fn grow_check(&mut self, have_hash_collision: bool) {
        if have_hash_collision && self.hmask + 1 < XFRM_STATE_HASHMAX && self.state_num > self.hmask
        {
            self.resize();
        }
    }

    /// `xfrm_hash_resize`: double all four tables, moving states bucket by
    /// bucket from the last bydst bucket to the first, each chain from its
    /// head, inserting at the heads of the new chains
    /// (`xfrm_hash_transfer`).
    fn resize(&mut self) {
        let nmask = (self.hmask + 1) * 2 - 1;
        let n = (nmask + 1) as usize;
        let old_dst = std::mem::replace(&mut self.heads[DST], vec![NIL; n]);
        self.heads[SRC] = vec![NIL; n];
        self.heads[SPI] = vec![NIL; n];
        self.heads[SEQ] = vec![NIL; n];
        // Collect the transfer order first: relinking rewrites the links.
        let mut order = Vec::with_capacity(self.state_num as usize);
        for &head in old_dst.iter().rev() {
            let mut cur = head;
            while cur != NIL {
                order.push(cur);
                cur = self.slots.get(cur as usize).map_or(NIL, |sl| sl.next[DST]);
            }
        }
        self.hmask = nmask;
        for s in order {
            let Some(x) = self.slot_state(s).cloned() else { continue };
            let h = state_hashes(&x, nmask);
            self.link_head(DST, h[DST], s);
            self.link_head(SRC, h[SRC], s);
            if x.spi() != 0 {
                self.link_head(SPI, h[SPI], s);
            }
            if x.seq() != 0 {
                self.link_head(SEQ, h[SEQ], s);
            }
        }
    }

    /// `__xfrm_state_lookup`.
    fn lookup(
        &self,
        mark: u32,
        daddr: &XfrmAddress,
        spi: u32,
        proto: u8,
        family: u16,
    ) -> Option<&Arc<XfrmState>> {
        let h = xfrm_spi_hash(daddr, spi, proto, family, self.hmask);
        let mut cur = self.heads[SPI].get(h as usize).copied().unwrap_or(NIL);
        while let Some(sl) = self.slots.get(cur as usize) {
            if sl.family == family
                && sl.spi == spi
                && sl.proto == proto
                && xfrm_addr_equal(&sl.daddr, daddr, family)
                && sl.mark.matches(mark)
            {
                return sl.x.as_ref();
            }
            cur = sl.next[SPI];
        }
        None
    }

    /// `__xfrm_state_lookup_byaddr`.
    fn lookup_byaddr(
        &self,
        mark: u32,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        proto: u8,
        family: u16,
    ) -> Option<&Arc<XfrmState>> {
        let h = xfrm_src_hash(daddr, saddr, family, self.hmask);
        self.chain(SRC, h).find(|x| {
            x.family == family
                && x.proto == proto
                && xfrm_addr_equal(&x.daddr, daddr, family)
                && xfrm_addr_equal(&x.saddr, saddr, family)
                && x.mark.matches(mark)
        })
    }

    /// `__xfrm_state_locate(x, use_spi, family)`.
    fn locate(&self, x: &XfrmState, use_spi: bool) -> Option<&Arc<XfrmState>> {
        let mark = x.mark.v & x.mark.m;
        if use_spi {
            self.lookup(mark, &x.daddr, x.spi(), x.proto, x.family)
        } else {
            self.lookup_byaddr(mark, &x.daddr, &x.saddr, x.proto, x.family)
        }
    }

    /// `__xfrm_find_acq_byseq`.
    fn find_acq_byseq(&self, mark: u32, seq: u32, pcpu_num: u32) -> Option<&Arc<XfrmState>> {
        let h = xfrm_seq_hash(seq, self.hmask);
        self.chain(SEQ, h).find(|x| {
            x.seq() == seq
                && x.mark.matches(mark)
                && x.pcpu_num == pcpu_num
                && x.km_state() == XfrmKmState::Acq
        })
    }

    /// The search half of `__find_acq_core` (note: if_id is not compared).
    #[allow(clippy::too_many_arguments)]
    fn find_acq_core(
        &self,
        mark: &XfrmMark,
        family: u16,
        mode: u8,
        reqid: u32,
        pcpu_num: u32,
        proto: u8,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
    ) -> Option<&Arc<XfrmState>> {
        let m = mark.v & mark.m;
        let h = xfrm_dst_hash(daddr, saddr, reqid, family, self.hmask);
        self.chain(DST, h).find(|x| {
            x.reqid == reqid
                && x.mode == mode
                && x.family == family
                && x.km_state() == XfrmKmState::Acq
                && x.spi() == 0
                && x.proto == proto
                && x.mark.matches(m)
                && x.pcpu_num == pcpu_num
                && xfrm_addr_equal(&x.daddr, daddr, family)
                && xfrm_addr_equal(&x.saddr, saddr, family)
        })
    }

    /// `__xfrm_state_bump_genids(xnew)`.
    fn bump_genids(&self, xnew: &XfrmState) {
        let mark = xnew.mark.v & xnew.mark.m;
        let (family, reqid, if_id) = (xnew.family, xnew.reqid, xnew.if_id());
        let h = xfrm_dst_hash(&xnew.daddr, &xnew.saddr, reqid, family, self.hmask);
        for x in self.chain(DST, h) {
            if x.family == family
                && x.reqid == reqid
                && x.if_id() == if_id
                && x.pcpu_num == xnew.pcpu_num
                && x.mark.matches(mark)
                && xfrm_addr_equal(&x.daddr, &xnew.daddr, family)
                && xfrm_addr_equal(&x.saddr, &xnew.saddr, family)
            {
                x.bump_genid();
            }
        }
    }
}

struct ChainIter<'a> {
    sad: &'a Sad,
    table: usize,
    cur: u32,
}

impl<'a> Iterator for ChainIter<'a> {
    type Item = &'a Arc<XfrmState>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let sl = self.sad.slots.get(self.cur as usize)?;
            self.cur = sl.next[self.table];
            if let Some(x) = sl.x.as_ref() {
                return Some(x);
            }
        }
    }
}

/// Arguments of `xfrm_find_acq`/`__find_acq_core`.
#[derive(Clone, Copy, Debug)]
pub struct FindAcq<'a> {
    pub mark: XfrmMark,
    pub mode: u8,
    pub reqid: u32,
    pub if_id: u32,
    pub pcpu_num: u32,
    pub proto: u8,
    pub daddr: &'a XfrmAddress,
    pub saddr: &'a XfrmAddress,
    pub family: u16,
}

impl StateTable {
    /// `xfrm_state_init`: empty tables of 8 buckets, `xfrm_acq_expires` 30.
    pub fn new() -> Self {
        StateTable {
            sad: SpinLock::new(&XFRM_STATE_LOCK, Sad::new()),
            timer: None,
            acq_expires: AtomicU32::new(30),
        }
    }

    /// A table whose inserts arm lifetime timers through `timer`.
    pub fn with_timer(timer: Arc<dyn XfrmStateTimerArm>) -> Self {
        StateTable { timer: Some(timer), ..Self::new() }
    }

    /// Sets `xfrm_acq_expires` (read when a larval state is created).
    pub fn set_acq_expires(&self, secs: u32) {
        self.acq_expires.store(secs, Ordering::Relaxed);
    }

    fn lock(&self) -> SpinLockGuard<'_, Sad> {
        self.sad.lock_bh()
    }

    fn arm(&self, x: &Arc<XfrmState>, secs: u64) {
        if let Some(t) = &self.timer {
            t.arm(x, secs);
        }
    }

    /// `xfrm_sad_getinfo`.
    pub fn xfrm_sad_getinfo(&self) -> XfrmkSadinfo {
        let sad = self.lock();
        XfrmkSadinfo { sadcnt: sad.state_num, sadhcnt: sad.hmask + 1, sadhmcnt: XFRM_STATE_HASHMAX }
    }

    /// `net->xfrm.state_num`.
    pub fn len(&self) -> usize {
        self.lock().state_num as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `__xfrm_state_insert` with the table lock held: link everywhere,
    /// count, grow check. The caller arms the 1 s timer after unlocking.
    fn insert_locked(sad: &mut Sad, x: &Arc<XfrmState>) {
        let collision = sad.link(x, true);
        sad.grow_check(collision);
    }

    /// `xfrm_state_insert`: bump genids and insert, no checks (migrate).
    /// A state already linked somewhere is refused with `EEXIST`.
    pub fn xfrm_state_insert(&self, x: &Arc<XfrmState>) -> KResult<()> {
        if x.is_linked() {
            return Err(Errno::EEXIST);
        }
        {
            let mut sad = self.lock();
            sad.bump_genids(x);
            Self::insert_locked(&mut sad, x);
        }
        self.arm(x, 1);
        Ok(())
    }

    /// `xfrm_state_add`: `EEXIST` if the state's identity is taken (by SPI
    /// for AH/ESP/COMP, by addresses otherwise; with the mark rule), else
    /// insert; a larval state it completes (found by `km.seq`, or by
    /// `__find_acq_core`) is then deleted without notification.
    pub fn xfrm_state_add(&self, x: &Arc<XfrmState>) -> KResult<()> {
        if x.is_linked() {
            return Err(Errno::EEXIST);
        }
        let use_spi = xfrm_proto_uses_spi(x.proto);
        let mark = x.mark.v & x.mark.m;
        let larval = {
            let mut sad = self.lock();
            if sad.locate(x, use_spi).is_some() {
                return Err(Errno::EEXIST);
            }
            let mut x1 = None;
            if use_spi && x.seq() != 0 {
                x1 = sad
                    .find_acq_byseq(mark, x.seq(), x.pcpu_num)
                    .filter(|y| y.proto == x.proto && xfrm_addr_equal(&y.daddr, &x.daddr, x.family))
                    .cloned();
            }
            if use_spi && x1.is_none() {
                x1 = sad
                    .find_acq_core(
                        &x.mark, x.family, x.mode, x.reqid, x.pcpu_num, x.proto, &x.daddr, &x.saddr,
                    )
                    .cloned();
            }
            sad.bump_genids(x);
            Self::insert_locked(&mut sad, x);
            x1
        };
        self.arm(x, 1);
        if let Some(x1) = larval {
            let _ = self.xfrm_state_delete(&x1);
        }
        Ok(())
    }

    /// `xfrm_state_update`: `ESRCH` if no state has `x`'s identity (or the
    /// SA direction differs), `EEXIST` if that state is kernel-owned. A
    /// larval (ACQ) state is replaced by `x`. A VALID one is updated in
    /// place — encapsulation (same type only, else `EINVAL`), care-of
    /// address (if both have one), selector (non-SPI protocols), lifetime
    /// limits, `dying` cleared, output mark and if_id if given — and `x` is
    /// discarded (DEAD). Any other lifecycle state: `EINVAL`.
    /// `now` is used to re-check byte/packet limits of a used state.
    pub fn xfrm_state_update<H: XfrmExpiryHook + ?Sized>(
        &self,
        x: &Arc<XfrmState>,
        now: u64,
        hook: &H,
    ) -> KResult<()> {
        if x.is_linked() {
            return Err(Errno::EEXIST);
        }
        let use_spi = xfrm_proto_uses_spi(x.proto);
        let (x1, replaced) = {
            let mut sad = self.lock();
            let Some(x1) = sad.locate(x, use_spi).cloned() else {
                return Err(Errno::ESRCH);
            };
            if x1.is_kern() {
                return Err(Errno::EEXIST);
            }
            if x1.km_state() == XfrmKmState::Acq {
                if x.dir != 0 && x1.dir != x.dir {
                    return Err(Errno::ESRCH);
                }
                Self::insert_locked(&mut sad, x);
                (x1, true)
            } else {
                if x1.dir != x.dir {
                    return Err(Errno::ESRCH);
                }
                (x1, false)
            }
        };
        if replaced {
            self.arm(x, 1);
            let _ = self.xfrm_state_delete(&x1);
            return Ok(());
        }

        let new = x.lock_bh().clone();
        let mut m = x1.lock_bh();
        if x1.km_state() != XfrmKmState::Valid {
            return Err(Errno::EINVAL);
        }
        match (&new.encap, &mut m.encap) {
            (Some(e), Some(e1)) if e.encap_type == e1.encap_type => *e1 = *e,
            (None, None) => {}
            _ => return Err(Errno::EINVAL),
        }
        if let (Some(c), Some(c1)) = (&new.coaddr, &mut m.coaddr) {
            *c1 = *c;
        }
        if !use_spi && m.sel != new.sel {
            m.sel = new.sel;
        }
        m.lft = new.lft;
        x1.set_dying(false);
        let used = m.curlft.use_time != 0;
        let mut expire = UseCheck::Ok;
        if used {
            let mm = &mut *m;
            expire = xfrm_state_check_expire_eval(&mm.lft, &mut mm.curlft, x1.dying(), now);
            match expire {
                UseCheck::Hard => x1.set_km_state(XfrmKmState::Expired),
                UseCheck::Soft => x1.set_dying(true),
                UseCheck::Ok => {}
            }
        }
        let smark_given = new.smark.m != 0 || new.smark.v != 0;
        if smark_given || x.if_id() != 0 {
            let sad = self.lock();
            if smark_given {
                m.smark = new.smark;
            }
            if x.if_id() != 0 {
                x1.set_if_id(x.if_id());
            }
            sad.bump_genids(&x1);
        }
        x.set_km_state(XfrmKmState::Dead);
        drop(m);
        // The timer restarts at 1 s (at once after a hard byte/packet hit).
        self.arm(&x1, if expire == UseCheck::Hard { 0 } else { 1 });
        if expire == UseCheck::Soft {
            hook.state_expired(&x1, false);
        }
        Ok(())
    }

    /// `__xfrm_state_delete`, for a caller holding `x->lock` (the guard is
    /// the proof): DEAD, unlinked from every table; `ESRCH` if it was
    /// already DEAD.
    pub fn __xfrm_state_delete(
        &self,
        x: &Arc<XfrmState>,
        _locked: &SpinLockGuard<'_, XfrmStateMut>,
    ) -> KResult<()> {
        if x.km_state() == XfrmKmState::Dead {
            return Err(Errno::ESRCH);
        }
        x.set_km_state(XfrmKmState::Dead);
        let mut sad = self.sad.lock();
        sad.unlink_state(x);
        Ok(())
    }

    /// `xfrm_state_delete`: `__xfrm_state_delete` under `x->lock`.
    pub fn xfrm_state_delete(&self, x: &Arc<XfrmState>) -> KResult<()> {
        let g = x.lock_bh();
        self.__xfrm_state_delete(x, &g)
    }

    /// `xfrm_state_flush(net, proto)`: delete every state that is not
    /// kernel-owned and whose protocol matches (`xfrm_id_proto_match`),
    /// bucket by bucket in bydst order, restarting the bucket after each
    /// delete. Returns how many were deleted; `ESRCH` if none was. No
    /// notification.
    pub fn xfrm_state_flush(&self, proto: u8) -> KResult<u32> {
        let mut cnt = 0u32;
        let mut i = 0u32;
        loop {
            let victim = {
                let sad = self.lock();
                let mut found = None;
                while i <= sad.hmask {
                    found = sad
                        .chain(DST, i)
                        .find(|x| !x.is_kern() && xfrm_id_proto_match(x.proto, proto))
                        .cloned();
                    if found.is_some() {
                        break;
                    }
                    i += 1;
                }
                if let Some(x) = &found
                    && crate::planted::planted(crate::planted::Bug::LockInversion)
                {
                    // Planted: the state's lock under xfrm_state_lock,
                    // the reverse of xfrm_state_delete's order.
                    drop(x.lock_bh());
                }
                found
            };
            let Some(x) = victim else { break };
            if self.xfrm_state_delete(&x).is_ok() {
                cnt += 1;
            }
        }
        if cnt == 0 { Err(Errno::ESRCH) } else { Ok(cnt) }
    }

    /// `xfrm_state_lookup(net, mark, daddr, spi, proto, family)`.
    pub fn xfrm_state_lookup(
        &self,
        mark: u32,
        daddr: &XfrmAddress,
        spi: u32,
        proto: u8,
        family: u16,
    ) -> Option<Arc<XfrmState>> {
        self.lock().lookup(mark, daddr, spi, proto, family).cloned()
    }

    /// `xfrm_state_lookup_byaddr(net, mark, daddr, saddr, proto, family)`.
    pub fn xfrm_state_lookup_byaddr(
        &self,
        mark: u32,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        proto: u8,
        family: u16,
    ) -> Option<Arc<XfrmState>> {
        self.lock().lookup_byaddr(mark, daddr, saddr, proto, family).cloned()
    }

    /// `xfrm_state_lookup_byspi(net, spi, family)`: the newest state with
    /// that SPI and family (a `state_all` walk).
    pub fn xfrm_state_lookup_byspi(&self, spi: u32, family: u16) -> Option<Arc<XfrmState>> {
        let sad = self.lock();
        sad.all
            .values()
            .rev()
            .filter_map(|&s| sad.slot_state(s))
            .find(|x| x.family == family && x.spi() == spi)
            .cloned()
    }

    /// `xfrm_stateonly_find`: the first VALID, non-WILDRECV state of the
    /// bydst bucket matching family, reqid, mark, if_id, addresses
    /// (`xfrm_state_addr_check`), mode and proto.
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_stateonly_find(
        &self,
        mark: u32,
        if_id: u32,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        family: u16,
        mode: u8,
        proto: u8,
        reqid: u32,
    ) -> Option<Arc<XfrmState>> {
        let sad = self.lock();
        let h = xfrm_dst_hash(daddr, saddr, reqid, family, sad.hmask);
        sad.chain(DST, h)
            .find(|x| {
                x.family == family
                    && x.reqid == reqid
                    && x.mark.matches(mark)
                    && x.if_id() == if_id
                    && x.flags & XFRM_STATE_WILDRECV == 0
                    && xfrm_state_addr_check(x, daddr, saddr, family)
                    && x.mode == mode
                    && x.proto == proto
                    && x.km_state() == XfrmKmState::Valid
            })
            .cloned()
    }

    /// The states of the bydst bucket for (daddr, saddr, reqid, family), in
    /// chain order — what `xfrm_state_find` scans. Taken under the table
    /// lock and returned so the caller can judge them without it.
    pub fn bydst_candidates(
        &self,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        reqid: u32,
        family: u16,
    ) -> Vec<Arc<XfrmState>> {
        let sad = self.lock();
        let h = xfrm_dst_hash(daddr, saddr, reqid, family, sad.hmask);
        sad.chain(DST, h).cloned().collect()
    }

    /// Inserts a larval state made by `xfrm_state_find` after a successful
    /// `km_query`: ACQ, linked everywhere (byspi/byseq if it has an SPI /
    /// acquire seq), hard add-expiry `xfrm_acq_expires`, timer armed for
    /// that long.
    pub fn xfrm_state_insert_larval(&self, x: &Arc<XfrmState>) -> KResult<()> {
        if x.is_linked() {
            return Err(Errno::EEXIST);
        }
        let expires = u64::from(self.acq_expires.load(Ordering::Relaxed));
        x.set_km_state(XfrmKmState::Acq);
        x.lock_bh().lft.hard_add_expires_seconds = expires;
        {
            let mut sad = self.lock();
            Self::insert_locked(&mut sad, x);
        }
        self.arm(x, expires);
        Ok(())
    }

    /// `xfrm_find_acq(net, mark, mode, reqid, if_id, pcpu_num, proto, daddr,
    /// saddr, create, family)`: a larval state (ACQ, SPI 0) with these
    /// parameters, or with `create` a new one (host-to-host selector, hard
    /// add-expiry `xfrm_acq_expires`), linked into `state_all`, bydst and
    /// bysrc. `now` is its add time.
    pub fn xfrm_find_acq(&self, a: &FindAcq<'_>, create: bool, now: u64) -> Option<Arc<XfrmState>> {
        let expires = u64::from(self.acq_expires.load(Ordering::Relaxed));
        let x = {
            let mut sad = self.lock();
            if let Some(x) = sad
                .find_acq_core(
                    &a.mark, a.family, a.mode, a.reqid, a.pcpu_num, a.proto, a.daddr, a.saddr,
                )
                .cloned()
            {
                return Some(x);
            }
            if !create {
                return None;
            }
            // __find_acq_core fills addresses and host-to-host prefixes for
            // AF_INET and AF_INET6 only: another family keeps them zero.
            let mut info = match a.family {
                AF_INET | AF_INET6 => {
                    let mut i =
                        super::state::XfrmStateInfo::new(a.family, *a.daddr, *a.saddr, 0, a.proto);
                    i.sel = XfrmSelector::host_to_host(a.family, *a.daddr, *a.saddr);
                    i
                }
                _ => super::state::XfrmStateInfo::new(
                    a.family,
                    XfrmAddress::default(),
                    XfrmAddress::default(),
                    0,
                    a.proto,
                ),
            };
            // __find_acq_core leaves sel.family 0.
            info.sel.family = 0;
            info.mode = a.mode;
            info.reqid = a.reqid;
            info.if_id = a.if_id;
            info.mark = a.mark;
            info.pcpu_num = a.pcpu_num;
            info.lft.hard_add_expires_seconds = expires;
            let x = Arc::new(XfrmState::new(info, now));
            x.set_km_state(XfrmKmState::Acq);
            let collision = sad.link(&x, false);
            sad.grow_check(collision);
            x
        };
        self.arm(&x, expires);
        Some(x)
    }

    /// `xfrm_find_acq_byseq(net, mark, seq, pcpu_num)`.
    pub fn xfrm_find_acq_byseq(
        &self,
        mark: u32,
        seq: u32,
        pcpu_num: u32,
    ) -> Option<Arc<XfrmState>> {
        self.lock().find_acq_byseq(mark, seq, pcpu_num).cloned()
    }

    /// Whether any state of this namespace holds (spi, proto)
    /// (`xfrm_state_lookup_spi_proto`, kept O(1) by a count index).
    pub fn xfrm_state_spi_proto_in_use(&self, spi: u32, proto: u8) -> bool {
        self.lock().spi_proto.contains_key(&(spi, proto))
    }

    /// `xfrm_alloc_spi(x, low, high)`: `ENOENT` if `x` is DEAD; 0 if it
    /// already has an SPI. `low == high`: that SPI unless some state of the
    /// namespace holds it with the same protocol. Otherwise up to
    /// `high - low + 1` uniform draws from `rng`, the first free one wins;
    /// if all draws hit used SPIs the range is scanned from `low` upwards,
    /// so `ENOENT` means the range is exhausted. The SPI is stored and `x`
    /// hashed into byspi.
    pub fn xfrm_alloc_spi(
        &self,
        x: &Arc<XfrmState>,
        low: u32,
        high: u32,
        rng: &KernelRng,
    ) -> KResult<()> {
        let _g = x.lock_bh();
        if x.km_state() == XfrmKmState::Dead {
            return Err(Errno::ENOENT);
        }
        if x.spi() != 0 {
            return Ok(());
        }
        if low > high {
            return Err(Errno::ENOENT);
        }
        let range = u64::from(high - low) + 1;
        let try_take = |spi: u32| -> bool {
            // SPI 0 means "none": never hand it out.
            if spi == 0 {
                return false;
            }
            let mut sad = self.lock();
            if sad.spi_proto.contains_key(&(spi, x.proto)) {
                return false;
            }
            Self::set_spi_locked(&mut sad, x, spi);
            true
        };
        if low == high {
            return if try_take(low) { Ok(()) } else { Err(Errno::ENOENT) };
        }
        let mut h = 0u64;
        while h < range {
            if try_take(rng.u32_inclusive(low, high)) {
                return Ok(());
            }
            h += 1;
        }
        for spi in low..=high {
            if try_take(spi) {
                return Ok(());
            }
        }
        Err(Errno::ENOENT)
    }

    fn set_spi_locked(sad: &mut Sad, x: &Arc<XfrmState>, spi: u32) {
        x.set_spi(spi);
        let s = sad.slot_of(x);
        if let Some(s) = s {
            if let Some(sl) = sad.slots.get_mut(s as usize) {
                sl.spi = spi;
            }
            let h = xfrm_spi_hash(&x.daddr, spi, x.proto, x.family, sad.hmask);
            sad.link_head(SPI, h, s);
            *sad.spi_proto.entry((spi, x.proto)).or_insert(0) += 1;
        }
    }

    /// `xfrm_state_walk(net, walk, fn)`: visit states newest first,
    /// skipping DEAD ones and those the walk's proto/address filter
    /// rejects; `f(x, seq)` for each. When `f` fails, the walk stops there
    /// and resumes with the same state next time (the error is returned).
    /// At the end: `ENOENT` if nothing was ever visited, else the walk is
    /// finished (further calls return `Ok` at once).
    ///
    /// `f` runs without the table lock (states are collected in batches
    /// under it), so it may take `x->lock`.
    pub fn xfrm_state_walk<F>(&self, walk: &mut XfrmStateWalk, mut f: F) -> KResult<()>
    where
        F: FnMut(&Arc<XfrmState>, u32) -> KResult<()>,
    {
        const BATCH: usize = 256;
        if walk.is_done() {
            return Ok(());
        }
        let mut from = walk.marker.unwrap_or(u64::MAX);
        let mut batch: Vec<(u64, Arc<XfrmState>)> = Vec::with_capacity(BATCH);
        loop {
            batch.clear();
            {
                let sad = self.lock();
                for (&id, &s) in sad.all.range(..=from).rev() {
                    let Some(x) = sad.slot_state(s) else { continue };
                    if x.km_state() == XfrmKmState::Dead
                        || !xfrm_id_proto_match(x.proto, walk.proto)
                        || !state_filter_match(x, walk.filter.as_ref())
                    {
                        from = id.saturating_sub(1);
                        if id == 0 {
                            break;
                        }
                        continue;
                    }
                    batch.push((id, x.clone()));
                    if batch.len() == BATCH {
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            for (id, x) in &batch {
                if let Err(e) = f(x, walk.seq) {
                    walk.marker = Some(*id);
                    return Err(e);
                }
                walk.seq += 1;
                from = id - 1;
            }
            if from == 0 {
                break;
            }
        }
        if walk.seq == 0 {
            return Err(Errno::ENOENT);
        }
        walk.marker = None;
        Ok(())
    }

    /// `xfrm_timer_handler` for `x` at `now` (wall-clock seconds), in
    /// simulated softirq context as the kernel's hrtimer runs it: DEAD →
    /// nothing; hard expiry → (a timed-out larval state becomes EXPIRED)
    /// delete and, if that deleted it, a hard expiry; soft expiry → `dying`
    /// and a soft expiry once. Returns when to run again (seconds), if at
    /// all; the caller re-arms.
    pub fn xfrm_timer_handler<H: XfrmExpiryHook + ?Sized>(
        &self,
        x: &Arc<XfrmState>,
        now: u64,
        hook: &H,
    ) -> Option<u64> {
        // hrtimers in soft mode run in softirq; nesting is harmless when the
        // timer code has already entered it.
        crate::lockdep::softirq_enter();
        let r = self.timer_handler_softirq(x, now, hook);
        crate::lockdep::softirq_exit();
        r
    }

    fn timer_handler_softirq<H: XfrmExpiryHook + ?Sized>(
        &self,
        x: &Arc<XfrmState>,
        now: u64,
        hook: &H,
    ) -> Option<u64> {
        let mut g = x.lock.lock();
        let st = x.km_state();
        if st == XfrmKmState::Dead {
            return None;
        }
        let hard = if st == XfrmKmState::Expired {
            true
        } else {
            let m = &mut *g;
            let e = xfrm_state_timer_eval(
                StateTimerFields {
                    lft: &m.lft,
                    curlft: &mut m.curlft,
                    xflags: &mut m.xflags,
                    saved_tmo: &mut m.saved_tmo,
                    dying: x.dying(),
                },
                now,
            );
            if !e.hard {
                if !x.dying() {
                    x.set_dying(e.soft);
                    if e.soft {
                        // The key managers read the state under its lock
                        // themselves: notify after releasing it.
                        drop(g);
                        hook.state_expired(x, false);
                    }
                }
                return e.next;
            }
            true
        };
        if hard {
            if x.km_state() == XfrmKmState::Acq && x.spi() == 0 {
                x.set_km_state(XfrmKmState::Expired);
            }
            if self.__xfrm_state_delete(x, &g).is_ok() {
                drop(g);
                hook.state_expired(x, true);
            }
        }
        None
    }

    /// `xfrm_state_check_expire(x)` from the packet path after accounting
    /// `bytes`/`packets` of use at `now`: a hard byte/packet limit makes
    /// the state EXPIRED, runs its timer at once (delete + hard expiry)
    /// and refuses the packet with `EINVAL`; a soft one marks it dying and
    /// reports a soft expiry once.
    pub fn xfrm_state_account_use<H: XfrmExpiryHook + ?Sized>(
        &self,
        x: &Arc<XfrmState>,
        bytes: u64,
        packets: u64,
        now: u64,
        hook: &H,
    ) -> KResult<()> {
        let verdict = {
            let mut g = x.lock_bh();
            g.curlft.bytes = g.curlft.bytes.saturating_add(bytes);
            g.curlft.packets = g.curlft.packets.saturating_add(packets);
            g.lastused = now;
            let m = &mut *g;
            let v = xfrm_state_check_expire_eval(&m.lft, &mut m.curlft, x.dying(), now);
            match v {
                UseCheck::Hard => x.set_km_state(XfrmKmState::Expired),
                UseCheck::Soft => x.set_dying(true),
                UseCheck::Ok => {}
            }
            v
        };
        if verdict == UseCheck::Soft {
            // Notified outside x->lock: the key managers read the state.
            hook.state_expired(x, false);
        }
        if verdict == UseCheck::Hard {
            // hrtimer_start(&x->mtimer, 0): the timer runs at once.
            self.xfrm_timer_handler(x, now, hook);
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// Every state, newest first (tests and teardown).
    pub fn states(&self) -> Vec<Arc<XfrmState>> {
        let sad = self.lock();
        sad.all.values().rev().filter_map(|&s| sad.slot_state(s)).cloned().collect()
    }

    /// Index snapshot for consistency checks: for each of bydst, bysrc,
    /// byspi, byseq, the states of each bucket in chain order (as slot
    /// pointers' states), plus the bucket count.
    #[doc(hidden)]
    pub fn debug_indexes(&self) -> (u32, [Vec<Vec<Arc<XfrmState>>>; 4]) {
        let sad = self.lock();
        let n = sad.hmask + 1;
        let dump = |t: usize| (0..n).map(|h| sad.chain(t, h).cloned().collect()).collect();
        (n, [dump(DST), dump(SRC), dump(SPI), dump(SEQ)])
    }
}

/// `__xfrm_state_filter_match`.
fn state_filter_match(x: &XfrmState, filter: Option<&XfrmAddressFilter>) -> bool {
    match filter {
        None => true,
        Some(f) => {
            if (f.family == AF_INET || f.family == AF_INET6) && x.family != f.family {
                return false;
            }
            addr_match(&x.saddr, &f.saddr, f.splen) && addr_match(&x.daddr, &f.daddr, f.dplen)
        }
    }
}

#[cfg(all(test, not(xfrmsim_loom)))]
#[path = "state_table_tests.rs"]
mod tests;
