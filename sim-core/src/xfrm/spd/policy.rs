//! `struct xfrm_policy` as the SPD holds it: the value part plus the fields
//! the tables assign (index, pos, add time) and the kill state.

use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use crate::xfrm::lifetime::XfrmLifetimeCur;
use crate::xfrm::policy::{XFRM_POLICY_MAX, XfrmPolicyInfo, xfrm_policy_id2dir};
use crate::xfrm::selector::XfrmSelector;
use crate::xfrm::state::{XfrmMark, XfrmSecCtx};

/// `struct xfrm_policy`, shared as `Arc<XfrmPolicy>`. The value part never
/// changes after construction; `index`, `pos`, `add_time`, `use_time`,
/// `dead` and `genid` are written under `xfrm_policy_lock` (or by the kill
/// path) and read without it.
#[derive(Debug)]
pub struct XfrmPolicy {
    info: XfrmPolicyInfo,
    index: AtomicU32,
    pos: AtomicU32,
    /// `walk.dead`.
    dead: AtomicBool,
    genid: AtomicU32,
    add_time: AtomicU64,
    use_time: AtomicU64,
    /// Key in `policy_all` (larger = newer); 0 while unlinked.
    pub(super) all_id: AtomicU64,
}

impl XfrmPolicy {
    /// `xfrm_policy_alloc` + construction from its value part. The index
    /// asked for (0 = generate) is `info.index`.
    pub fn new(info: XfrmPolicyInfo) -> Self {
        XfrmPolicy {
            index: AtomicU32::new(info.index),
            add_time: AtomicU64::new(info.curlft.add_time),
            use_time: AtomicU64::new(info.curlft.use_time),
            info,
            pos: AtomicU32::new(0),
            dead: AtomicBool::new(false),
            genid: AtomicU32::new(0),
            all_id: AtomicU64::new(0),
        }
    }

    /// The value part as constructed (its `index`, `dir` and `curlft` are
    /// the requested ones; see [`XfrmPolicy::to_info`] for the live ones).
    pub fn info(&self) -> &XfrmPolicyInfo {
        &self.info
    }

    /// The value part with the live index, direction and lifetimes, as a
    /// dump reports it.
    pub fn to_info(&self) -> XfrmPolicyInfo {
        let mut i = self.info.clone();
        i.index = self.index();
        i.dir = self.dir();
        i.curlft = self.curlft();
        i
    }

    /// `index` (direction in the low 3 bits).
    pub fn index(&self) -> u32 {
        self.index.load(Ordering::Relaxed)
    }

    pub(super) fn set_index(&self, i: u32) {
        self.index.store(i, Ordering::Relaxed);
    }

    /// `xfrm_policy_id2dir(index)`: 0–2 for the SPD, 3–5 for socket policies.
    pub fn dir(&self) -> u8 {
        xfrm_policy_id2dir(self.index())
    }

    /// Whether this is a per-socket policy (`dir >= XFRM_POLICY_MAX`).
    pub fn is_socket_policy(&self) -> bool {
        self.dir() >= XFRM_POLICY_MAX
    }

    /// `pos`: insertion stamp breaking priority ties (smaller = older).
    pub fn pos(&self) -> u32 {
        self.pos.load(Ordering::Relaxed)
    }

    pub(super) fn set_pos(&self, p: u32) {
        self.pos.store(p, Ordering::Relaxed);
    }

    /// `walk.dead`: set once the policy was unlinked and killed.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// `genid`: bumped when the policy is killed.
    pub fn genid(&self) -> u32 {
        self.genid.load(Ordering::Relaxed)
    }

    /// `curlft`, with the add/use times the table keeps.
    pub fn curlft(&self) -> XfrmLifetimeCur {
        XfrmLifetimeCur {
            add_time: self.add_time.load(Ordering::Relaxed),
            use_time: self.use_time.load(Ordering::Relaxed),
            ..self.info.curlft
        }
    }

    pub(super) fn set_times(&self, add_time: u64, use_time: u64) {
        self.add_time.store(add_time, Ordering::Relaxed);
        self.use_time.store(use_time, Ordering::Relaxed);
    }

    /// Records the first use (`curlft.use_time`, set by the packet path).
    pub fn set_use_time(&self, now: u64) {
        let _ = self.use_time.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// `family` (the selector's).
    pub fn family(&self) -> u16 {
        self.info.sel.family
    }

    /// `selector`.
    pub fn selector(&self) -> &XfrmSelector {
        &self.info.sel
    }

    /// `priority` (lower wins).
    pub fn priority(&self) -> u32 {
        self.info.priority
    }

    /// `type`: `XFRM_POLICY_TYPE_MAIN` or `_SUB`.
    pub fn ptype(&self) -> u8 {
        self.info.ptype
    }

    /// `if_id` (xfrm interface).
    pub fn if_id(&self) -> u32 {
        self.info.if_id
    }

    /// `mark` {v, m}.
    pub fn mark(&self) -> XfrmMark {
        self.info.mark
    }

    /// `security` (the LSM context, if any).
    pub fn security(&self) -> Option<&XfrmSecCtx> {
        self.info.security.as_ref()
    }

    /// `xfrm_policy_kill` (table part): mark dead and bump the genid, so
    /// holders of the policy see it is gone. The caller has unlinked it.
    pub fn kill(&self) {
        self.dead.store(true, Ordering::Release);
        self.genid.fetch_add(1, Ordering::Relaxed);
    }

    /// The identity `xfrm_policy_insert_list` compares for a duplicate: type,
    /// if_id, the whole selector (`selector_cmp`), the exact mark
    /// (`xfrm_policy_mark_match`) and the security context
    /// (`xfrm_sec_ctx_match`). Priority and action are not part of it.
    pub fn same_identity(&self, other: &XfrmPolicyInfo) -> bool {
        self.info.ptype == other.ptype
            && self.info.if_id == other.if_id
            && self.info.sel == other.sel
            && self.info.mark == other.mark
            && self.info.security == other.security
    }
}
