//! States' lifetime timers (`x->mtimer`, an hrtimer in soft-IRQ mode) on a
//! simulated [`Clock`]: each armed state gets a timer whose callback runs
//! one [`StateTable::xfrm_timer_handler`] pass at the clock's wall-clock
//! second and re-arms for the deadline it returns.
//!
//! The timers reference the table and the table references them, as
//! `net->xfrm` and `x->mtimer` do; [`XfrmStateTimers::detach`] (namespace
//! teardown, after `xfrm_state_fini`'s flush) breaks the cycle.

use std::collections::HashMap;
use std::time::Duration;

use super::state::{XfrmKmState, XfrmState};
use super::state_table::{StateTable, XfrmExpiryHook, XfrmStateTimerArm};
use crate::sync::{Arc, Mutex};
use crate::time::{Clock, Timer};

struct Inner<H> {
    clock: Clock,
    hook: H,
    table: Mutex<Option<Arc<StateTable>>>,
    /// One timer per armed state, keyed by the state's address (the timer
    /// holds the state, so the address is not reused while keyed).
    timers: Mutex<HashMap<usize, Timer>>,
}

/// The `x->mtimer` timers of one namespace's states; give a clone to
/// [`StateTable::with_timer`], then [`XfrmStateTimers::attach`] the table.
pub struct XfrmStateTimers<H> {
    inner: Arc<Inner<H>>,
}

impl<H> Clone for XfrmStateTimers<H> {
    fn clone(&self) -> Self {
        XfrmStateTimers { inner: self.inner.clone() }
    }
}

fn key(x: &Arc<XfrmState>) -> usize {
    Arc::as_ptr(x) as usize
}

impl<H: XfrmExpiryHook + Send + Sync + 'static> XfrmStateTimers<H> {
    /// Timers on `clock` whose expiries go to `hook`.
    pub fn new(clock: Clock, hook: H) -> Self {
        XfrmStateTimers {
            inner: Arc::new(Inner {
                clock,
                hook,
                table: Mutex::new(None),
                timers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Connects the table whose states these timers run for.
    pub fn attach(&self, table: &Arc<StateTable>) {
        *self.inner.table.lock() = Some(table.clone());
    }

    /// Cancels every timer and forgets the table (`xfrm_state_fini`).
    pub fn detach(&self) {
        let timers = std::mem::take(&mut *self.inner.timers.lock());
        drop(timers);
        *self.inner.table.lock() = None;
    }

    /// How many states have a timer.
    pub fn armed(&self) -> usize {
        self.inner.timers.lock().len()
    }

    /// The hook expiries are reported to.
    pub fn hook(&self) -> &H {
        &self.inner.hook
    }

    /// The timer callback: `xfrm_timer_handler`, then re-arm or retire.
    fn fire(inner: &Arc<Inner<H>>, x: &Arc<XfrmState>) {
        let table = inner.table.lock().clone();
        let Some(table) = table else { return };
        let next = table.xfrm_timer_handler(x, inner.clock.real_seconds(), &inner.hook);
        let mut timers = inner.timers.lock();
        match next {
            Some(secs) => {
                if let Some(t) = timers.get(&key(x)) {
                    t.mod_timer_in(Duration::from_secs(secs));
                }
            }
            None => {
                // Keep a timer that was re-armed meanwhile (an update
                // restarting it) unless the state is gone.
                let rearmed = timers.get(&key(x)).is_some_and(Timer::pending);
                if x.km_state() == XfrmKmState::Dead || !rearmed {
                    let t = timers.remove(&key(x));
                    drop(timers);
                    drop(t);
                }
            }
        }
    }
}

impl<H: XfrmExpiryHook + Send + Sync + 'static> XfrmStateTimerArm for XfrmStateTimers<H> {
    /// `hrtimer_start(&x->mtimer, ktime_set(secs, 0), HRTIMER_MODE_REL_SOFT)`.
    fn arm(&self, x: &Arc<XfrmState>, secs: u64) {
        let mut timers = self.inner.timers.lock();
        let t = timers.entry(key(x)).or_insert_with(|| {
            let inner = self.inner.clone();
            let x = x.clone();
            self.inner.clock.timer(move || Self::fire(&inner, &x))
        });
        t.mod_timer_in(Duration::from_secs(secs));
    }
}

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests {
    use super::*;
    use crate::xfrm::addr::{AF_INET, XfrmAddress};
    use crate::xfrm::state::{IPPROTO_ESP, XfrmMark, XfrmStateInfo};
    use crate::xfrm::state_table::FindAcq;

    struct Hook(Mutex<Vec<(u32, bool, u64)>>, Clock);

    impl XfrmExpiryHook for Hook {
        type Policy = ();
        fn state_expired(&self, x: &Arc<XfrmState>, hard: bool) {
            self.0.lock().push((x.spi(), hard, self.1.now().as_secs()));
        }
        fn policy_expired(&self, _: &(), _: u8, _: bool) {}
    }

    #[test]
    fn soft_and_hard_expiry_on_the_virtual_clock() {
        let clock = Clock::new_virtual();
        let timers = XfrmStateTimers::new(clock.clone(), Hook(Mutex::new(vec![]), clock.clone()));
        let table = Arc::new(StateTable::with_timer(Arc::new(timers.clone())));
        timers.attach(&table);
        let mut i = XfrmStateInfo::new(
            AF_INET,
            XfrmAddress::from_v4_u32(0x0a00_0001),
            XfrmAddress::from_v4_u32(0x0a00_0002),
            0x42,
            IPPROTO_ESP,
        );
        i.lft.soft_add_expires_seconds = 10;
        i.lft.hard_add_expires_seconds = 25;
        let x = Arc::new(XfrmState::new(i, clock.real_seconds()));
        x.set_km_state(XfrmKmState::Valid);
        table.xfrm_state_add(&x).unwrap();
        assert_eq!(timers.armed(), 1);
        clock.advance(Duration::from_secs(9));
        assert!(timers.hook().0.lock().is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(*timers.hook().0.lock(), vec![(0x42, false, 10)]);
        clock.advance(Duration::from_secs(14));
        assert_eq!(timers.hook().0.lock().len(), 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(*timers.hook().0.lock(), vec![(0x42, false, 10), (0x42, true, 25)]);
        assert!(table.is_empty());
        assert_eq!(timers.armed(), 0);
        timers.detach();
        for class in [&crate::xfrm::locks::XFRM_STATE_LOCK, &crate::xfrm::locks::XFRM_STATE_X_LOCK]
        {
            assert!(crate::lockdep::take_reports_for(class).is_empty());
        }
    }

    #[test]
    fn larval_state_expires_after_acq_expires() {
        let clock = Clock::new_virtual();
        let timers = XfrmStateTimers::new(clock.clone(), Hook(Mutex::new(vec![]), clock.clone()));
        let table = Arc::new(StateTable::with_timer(Arc::new(timers.clone())));
        timers.attach(&table);
        let (d, s) = (XfrmAddress::from_v4_u32(1), XfrmAddress::from_v4_u32(2));
        let a = FindAcq {
            mark: XfrmMark::default(),
            mode: 0,
            reqid: 0,
            if_id: 0,
            pcpu_num: u32::MAX,
            proto: IPPROTO_ESP,
            daddr: &d,
            saddr: &s,
            family: AF_INET,
        };
        let l = table.xfrm_find_acq(&a, true, clock.real_seconds()).unwrap();
        clock.advance(Duration::from_secs(29));
        assert_eq!(l.km_state(), XfrmKmState::Acq);
        clock.advance(Duration::from_secs(1));
        assert_eq!(l.km_state(), XfrmKmState::Dead);
        assert_eq!(*timers.hook().0.lock(), vec![(0, true, 30)]);
        assert_eq!(timers.armed(), 0);
        timers.detach();
    }
}
