//! The per-namespace part of the XFRM layer that `struct netns_xfrm`,
//! `net->mib` and the states/policies themselves hold in Linux beyond the
//! SAD, SPD and `km_waitq` of [`NetnsXfrm`]: the statistics, the lifetime
//! timers of states and policies (`x->mtimer`, `xp->timer`), the
//! `km_waitq` wake-up count, and the switch between the old blocking
//! `xfrm_lookup` and the current non-blocking one. It lives in a
//! `net_generic` slot registered by [`crate::Xfrm::new`] (see
//! docs/differences.md).

use sim_core::hashmap::WordHashMap;

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use sim_core::sync::{Arc, Mutex};
use sim_core::time::Timer;
use sim_core::xfrm::{XfrmPolicy, XfrmState};
use sim_netns::NetnsXfrm;

use crate::stats::XfrmMib;

/// The lock that makes larval-state creation in `xfrm_state_find` atomic
/// (find, `km_query`, insert): the older kernels held `xfrm_state_lock`
/// across that whole sequence. A BH spinlock; taken before
/// `xfrm_state_lock` and `&x->lock`, and held across the managers'
/// `acquire` callbacks as the old kernels did. State add/update and
/// `xfrm_find_acq` take it as well (they took the old table lock).
pub static XFRM_STATE_FIND_LOCK: LockClassKey =
    LockClassKey::new("xfrm_state_find_lock", LockKind::SpinBh);

/// Which `xfrm_lookup` a namespace runs when templates are still being
/// negotiated.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(u8)]
pub enum XfrmLookupMode {
    /// The older kernels (the default here): a caller that may sleep waits
    /// on `km_waitq` and restarts the lookup when woken; `ERESTART` on a
    /// signal.
    #[default]
    Sleeping = 0,
    /// Current kernels: never sleep; queue (with `XFRM_LOOKUP_QUEUE`),
    /// blackhole (`xfrm_larval_drop`) or `EAGAIN`.
    NonBlocking = 1,
}

/// The XFRM layer's data for one namespace.
pub struct XfrmKmNet {
    /// Bumped before every `wake_up(&km_waitq)`: a sleeper that read it
    /// before resolving templates sleeps only while it is unchanged, so no
    /// wake-up between its resolution and its sleep is lost.
    pub(crate) waitq_events: AtomicU64,
    /// `net->mib.xfrm_statistics`.
    pub stats: XfrmMib,
    lookup_mode: AtomicU8,
    /// `x->mtimer` of each state that has one, by state address.
    pub(crate) state_timers: Mutex<WordHashMap<usize, Timer>>,
    /// `xp->timer` of each policy that has one, by policy address.
    pub(crate) policy_timers: Mutex<WordHashMap<usize, Timer>>,
    pub(crate) find_lock: SpinLock<()>,
}

impl core::fmt::Debug for XfrmKmNet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("XfrmKmNet").finish_non_exhaustive()
    }
}

impl Default for XfrmKmNet {
    fn default() -> Self {
        Self::new()
    }
}

impl XfrmKmNet {
    /// `xfrm_net_init`'s part: zero statistics, no timers, the sleeping
    /// lookup.
    pub fn new() -> Self {
        XfrmKmNet {
            waitq_events: AtomicU64::new(0),
            stats: XfrmMib::new(),
            lookup_mode: AtomicU8::new(XfrmLookupMode::Sleeping as u8),
            state_timers: Mutex::new(WordHashMap::default()),
            policy_timers: Mutex::new(WordHashMap::default()),
            find_lock: SpinLock::new(&XFRM_STATE_FIND_LOCK, ()),
        }
    }

    /// `wake_up(&net->xfrm.km_waitq)`: every path that can satisfy a
    /// sleeping lookup calls this (front ends too, e.g. PF_KEY's negative
    /// ACQUIRE).
    pub fn km_waitq_wake_up(&self, nx: &NetnsXfrm) {
        if sim_core::planted::planted(sim_core::planted::Bug::NoKmWaitqWakeUp) {
            // Planted: the wake-up is forgotten.
            return;
        }
        self.waitq_events.fetch_add(1, Ordering::SeqCst);
        nx.km_waitq.wake_up();
    }

    /// How many `km_waitq` wake-ups there have been: a sleeper reads it
    /// before resolving and sleeps only while it is unchanged.
    pub fn km_waitq_events(&self) -> u64 {
        self.waitq_events.load(Ordering::SeqCst)
    }

    /// Takes the larval-creation lock of `xfrm_state_find` (for models of
    /// the acquire protocol).
    #[doc(hidden)]
    pub fn find_lock_for_models(&self) -> sim_core::lockdep::SpinLockGuard<'_, ()> {
        self.find_lock.lock_bh()
    }

    /// Which lookup behaviour the namespace runs.
    pub fn lookup_mode(&self) -> XfrmLookupMode {
        match self.lookup_mode.load(Ordering::Relaxed) {
            1 => XfrmLookupMode::NonBlocking,
            _ => XfrmLookupMode::Sleeping,
        }
    }

    /// Switches the lookup behaviour.
    pub fn set_lookup_mode(&self, mode: XfrmLookupMode) {
        self.lookup_mode.store(mode as u8, Ordering::Relaxed);
    }

    /// Drops the lifetime timer of `x`, if any (`hrtimer_cancel`).
    pub(crate) fn cancel_state_timer(&self, x: &Arc<XfrmState>) {
        let t = self.state_timers.lock().remove(&state_key(x));
        drop(t);
    }

    /// Drops the lifetime timer of `pol`, if any (`del_timer`).
    pub(crate) fn cancel_policy_timer(&self, pol: &Arc<XfrmPolicy>) {
        let t = self.policy_timers.lock().remove(&policy_key(pol));
        drop(t);
    }

    /// Drops the timers of states and policies that are gone (after a
    /// flush).
    pub(crate) fn prune_timers(&self, nx: &NetnsXfrm) {
        let live_states: std::collections::HashSet<usize> =
            nx.state.states().iter().map(state_key).collect();
        let dead: Vec<Timer> = {
            let mut m = self.state_timers.lock();
            let keys: Vec<usize> = m.keys().copied().filter(|k| !live_states.contains(k)).collect();
            keys.iter().filter_map(|k| m.remove(k)).collect()
        };
        drop(dead);
        let live_pols: std::collections::HashSet<usize> =
            nx.policy.policies().iter().map(policy_key).collect();
        let dead: Vec<Timer> = {
            let mut m = self.policy_timers.lock();
            let keys: Vec<usize> = m.keys().copied().filter(|k| !live_pols.contains(k)).collect();
            keys.iter().filter_map(|k| m.remove(k)).collect()
        };
        drop(dead);
    }

    /// Number of armed-or-idle state timers (tests).
    pub fn state_timer_count(&self) -> usize {
        self.state_timers.lock().len()
    }
}

pub(crate) fn state_key(x: &Arc<XfrmState>) -> usize {
    Arc::as_ptr(x) as usize
}

pub(crate) fn policy_key(p: &Arc<XfrmPolicy>) -> usize {
    Arc::as_ptr(p) as usize
}
