//! Simulated time: the monotonic clock (`ktime_get`), wall-clock seconds
//! (`ktime_get_real_seconds`) and timers (`struct timer_list`, hrtimers in
//! softirq mode) — `kernel/time/timer.c`, `kernel/time/hrtimer.c`.
//!
//! A [`Clock`] is either *virtual* (the default for tests and labs: time
//! stands still until [`Clock::advance`] moves it, and due timers fire inside
//! that call) or *real* (time is the host's monotonic clock and due timers
//! fire on a background "softirq" thread). Every timer callback runs between
//! [`lockdep::softirq_enter`] and [`lockdep::softirq_exit`], as the kernel
//! runs `timer_list` callbacks from `TIMER_SOFTIRQ`, so a callback that
//! sleeps or takes a lock without `_bh` in process context is reported.
//!
//! The clock's bookkeeping lock is never held while a callback runs, so a
//! callback may arm, re-arm or cancel any timer, including its own. A timer
//! callback never runs concurrently with itself (the kernel's
//! `base->running_timer` rule).
//!
//! Under `--cfg xfrmsim_loom` there is no real time: [`Clock::new_real`]
//! returns a virtual clock.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::lockdep;
use crate::sync::thread::{self, ThreadId};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The wall-clock second a virtual clock boots at (2023-11-14T22:13:20Z).
pub const VIRTUAL_BOOT_EPOCH: u64 = 1_700_000_000;

/// A timer callback (`timer->function`).
type Callback = Arc<Box<dyn Fn() + Send + Sync>>;

/// One timer's bookkeeping, under the base lock.
struct TimerEntry {
    callback: Callback,
    /// `(expires, arming sequence)` while pending: the key in the queue.
    armed: Option<(Duration, u64)>,
    /// The thread running the callback right now (`base->running_timer`).
    running: Option<ThreadId>,
}

/// `struct timer_base`: the pending timers ordered by expiry, ties broken by
/// the order they were armed.
#[derive(Default)]
struct BaseState {
    /// Virtual clocks only: the current time since boot.
    now: Duration,
    queue: BTreeMap<(Duration, u64), u64>,
    timers: HashMap<u64, TimerEntry>,
    next_seq: u64,
    next_id: u64,
    /// Real clocks: the softirq thread exits when set.
    shutdown: bool,
}

struct TimerBase {
    state: Mutex<BaseState>,
    /// Signalled when a callback finishes and when the queue changes.
    cond: Condvar,
}

impl TimerBase {
    fn new() -> Self {
        TimerBase { state: Mutex::new(BaseState::default()), cond: Condvar::new() }
    }

    /// Runs the earliest timer that expires at or before `limit`, if any
    /// (`__run_timers` / `expire_timers`, one timer at a time). Returns
    /// whether one ran. `set_now` makes a virtual clock read the timer's
    /// expiry while its callback runs.
    fn run_one(&self, limit: Duration, set_now: bool) -> bool {
        let me = thread::current().id();
        let mut st = self.state.lock();
        loop {
            let Some((&key, &id)) = st.queue.iter().next() else { return false };
            if key.0 > limit {
                return false;
            }
            let running = st.timers.get(&id).and_then(|e| e.running);
            match running {
                // A nested advance from inside this very callback: leave the
                // re-armed timer for a later pass rather than recurse.
                Some(t) if t == me => return false,
                // Never run a callback concurrently with itself.
                Some(_) => {
                    self.cond.wait(&mut st);
                    continue;
                }
                None => {}
            }
            st.queue.remove(&key);
            if set_now && st.now < key.0 {
                st.now = key.0;
            }
            let Some(entry) = st.timers.get_mut(&id) else { continue };
            entry.armed = None;
            entry.running = Some(me);
            let callback = entry.callback.clone();
            drop(st);

            lockdep::softirq_enter();
            callback();
            lockdep::softirq_exit();

            let mut st = self.state.lock();
            if let Some(entry) = st.timers.get_mut(&id) {
                entry.running = None;
            }
            drop(st);
            self.cond.notify_all();
            return true;
        }
    }
}

enum Kind {
    Virtual,
    #[cfg(not(xfrmsim_loom))]
    Real {
        start: std::time::Instant,
    },
}

struct ClockInner {
    base: Arc<TimerBase>,
    kind: Kind,
}

impl Drop for ClockInner {
    fn drop(&mut self) {
        // Lets a real clock's softirq thread exit.
        self.base.state.lock().shutdown = true;
        self.base.cond.notify_all();
    }
}

/// The simulated machine's clocks: `ktime_get()` and
/// `ktime_get_real_seconds()`, and the timer wheel behind `timer_list`.
/// Cheap to clone; clones share time and timers.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

impl Clock {
    /// A virtual clock at boot (time 0, wall clock [`VIRTUAL_BOOT_EPOCH`]):
    /// time moves only through [`Clock::advance`].
    pub fn new_virtual() -> Clock {
        Clock {
            inner: Arc::new(ClockInner { base: Arc::new(TimerBase::new()), kind: Kind::Virtual }),
        }
    }

    /// A clock that follows the host's monotonic clock; due timers fire on a
    /// background softirq thread (`run_timer_softirq`). Under loom, a
    /// virtual clock.
    pub fn new_real() -> Clock {
        #[cfg(xfrmsim_loom)]
        {
            Clock::new_virtual()
        }
        #[cfg(not(xfrmsim_loom))]
        {
            let start = std::time::Instant::now();
            let base = Arc::new(TimerBase::new());
            let thread_base = base.clone();
            thread::spawn(move || real_softirq_thread(&thread_base, start));
            Clock { inner: Arc::new(ClockInner { base, kind: Kind::Real { start } }) }
        }
    }

    /// Whether time moves only through [`Clock::advance`].
    pub fn is_virtual(&self) -> bool {
        matches!(self.inner.kind, Kind::Virtual)
    }

    /// `ktime_get()`: monotonic time since boot.
    pub fn now(&self) -> Duration {
        match &self.inner.kind {
            Kind::Virtual => self.inner.base.state.lock().now,
            #[cfg(not(xfrmsim_loom))]
            Kind::Real { start } => start.elapsed(),
        }
    }

    /// `ktime_get_real_seconds()`: wall-clock seconds since the Unix epoch.
    /// A virtual clock reads [`VIRTUAL_BOOT_EPOCH`] plus the time since boot.
    pub fn real_seconds(&self) -> u64 {
        match &self.inner.kind {
            Kind::Virtual => VIRTUAL_BOOT_EPOCH + self.now().as_secs(),
            #[cfg(not(xfrmsim_loom))]
            Kind::Real { .. } => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Moves a virtual clock forward by `delta`, running every timer that
    /// falls due on the way, in expiry order (ties in arming order), each in
    /// simulated softirq context and with the clock reading the timer's
    /// expiry. Timers armed by callbacks for a time within the step also
    /// fire. On a real clock it does nothing: real time cannot be moved.
    pub fn advance(&self, delta: Duration) {
        if !self.is_virtual() {
            return;
        }
        let base = &self.inner.base;
        let target = base.state.lock().now.saturating_add(delta);
        while base.run_one(target, true) {}
        let mut st = base.state.lock();
        if st.now < target {
            st.now = target;
        }
    }

    /// `timer_setup()`: a new, inactive timer that runs `callback` when it
    /// expires.
    pub fn timer(&self, callback: impl Fn() + Send + Sync + 'static) -> Timer {
        let mut st = self.inner.base.state.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.timers.insert(
            id,
            TimerEntry { callback: Arc::new(Box::new(callback)), armed: None, running: None },
        );
        drop(st);
        Timer { clock: self.clone(), id }
    }

    fn lock(&self) -> MutexGuard<'_, BaseState> {
        self.inner.base.state.lock()
    }
}

/// The real clock's `TIMER_SOFTIRQ`: sleeps until the earliest expiry, then
/// runs what is due.
#[cfg(not(xfrmsim_loom))]
fn real_softirq_thread(base: &TimerBase, start: std::time::Instant) {
    loop {
        let mut st = base.state.lock();
        if st.shutdown {
            return;
        }
        let first = st.queue.keys().next().map(|k| k.0);
        let now = start.elapsed();
        match first {
            Some(expires) if expires <= now => {
                drop(st);
                while base.run_one(start.elapsed(), false) {}
            }
            Some(expires) => {
                base.cond.wait_for(&mut st, expires - now);
            }
            None => base.cond.wait(&mut st),
        }
    }
}

/// `struct timer_list`: a one-shot timer on a [`Clock`], created inactive by
/// [`Clock::timer`]. Dropping it cancels it (`del_timer`); a callback that
/// is running at that moment finishes.
pub struct Timer {
    clock: Clock,
    id: u64,
}

impl Timer {
    /// `mod_timer()`: (re)arms the timer to expire at `expires_at` (time
    /// since boot). A time already past fires at the next
    /// [`Clock::advance`] (virtual) or at once (real). Returns whether the
    /// timer was pending before, as `mod_timer` does.
    pub fn mod_timer(&self, expires_at: Duration) -> bool {
        let mut st = self.clock.lock();
        let seq = st.next_seq;
        st.next_seq += 1;
        let Some(entry) = st.timers.get_mut(&self.id) else { return false };
        let old = entry.armed.replace((expires_at, seq));
        if let Some(key) = old {
            st.queue.remove(&key);
        }
        st.queue.insert((expires_at, seq), self.id);
        drop(st);
        self.clock.inner.base.cond.notify_all();
        old.is_some()
    }

    /// `mod_timer(timer, jiffies + delta)`: arms the timer `delta` from now.
    pub fn mod_timer_in(&self, delta: Duration) -> bool {
        self.mod_timer(self.clock.now().saturating_add(delta))
    }

    /// `del_timer()` (`timer_delete`): deactivates the timer; returns whether
    /// it was pending. A callback already running is not waited for.
    pub fn del_timer(&self) -> bool {
        let mut st = self.clock.lock();
        Self::deactivate(&mut st, self.id)
    }

    fn deactivate(st: &mut BaseState, id: u64) -> bool {
        let Some(key) = st.timers.get_mut(&id).and_then(|e| e.armed.take()) else { return false };
        st.queue.remove(&key);
        true
    }

    /// `del_timer_sync()` (`timer_delete_sync`): deactivates the timer and
    /// waits until its callback is not running anywhere; when it returns the
    /// callback will not run unless the timer is armed again. Returns whether
    /// the timer was pending.
    ///
    /// Called from the timer's own callback it cannot wait for itself (the
    /// kernel would deadlock there): it deactivates the timer, so a re-arm
    /// made earlier in the callback is undone, and returns at once.
    pub fn del_timer_sync(&self) -> bool {
        let me = thread::current().id();
        let base = &self.clock.inner.base;
        let mut st = base.state.lock();
        let mut was_pending = false;
        loop {
            // The callback may re-arm the timer while we wait: deactivate
            // again each round, as `try_to_del_timer_sync` is retried.
            was_pending |= Self::deactivate(&mut st, self.id);
            match st.timers.get(&self.id).and_then(|e| e.running) {
                Some(t) if t != me => base.cond.wait(&mut st),
                _ => return was_pending,
            }
        }
    }

    /// `timer_pending()`: whether the timer is armed.
    pub fn pending(&self) -> bool {
        self.clock.lock().timers.get(&self.id).is_some_and(|e| e.armed.is_some())
    }

    /// The expiry the timer is armed for (`timer->expires`), if pending.
    pub fn expires(&self) -> Option<Duration> {
        self.clock.lock().timers.get(&self.id).and_then(|e| e.armed.map(|k| k.0))
    }

    /// The clock this timer runs on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let mut st = self.clock.lock();
        Self::deactivate(&mut st, self.id);
        // The callback (and what it captured) goes with the entry; a run in
        // progress holds its own reference.
        let entry = st.timers.remove(&self.id);
        drop(st);
        drop(entry);
    }
}
