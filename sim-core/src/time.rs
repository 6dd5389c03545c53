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

use std::collections::BTreeMap;
use std::time::Duration;

use crate::hashmap::WordHashMap;
use crate::lockdep;
use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::thread::{self, ThreadId};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The wall-clock second a virtual clock boots at (2023-11-14T22:13:20Z).
pub const VIRTUAL_BOOT_EPOCH: u64 = 1_700_000_000;

/// A timer callback (`timer->function`).
type Callback = Arc<dyn Fn() + Send + Sync>;

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
    timers: WordHashMap<u64, TimerEntry>,
    next_seq: u64,
    next_id: u64,
    /// Real clocks: the softirq thread exits when set.
    shutdown: bool,
}

struct TimerBase {
    state: Mutex<BaseState>,
    /// Signalled when a callback finishes and when the queue changes.
    cond: Condvar,
    /// Virtual clocks: `state.now` in nanoseconds, written with it under
    /// the lock, so reading the time (every add, insert and lookup does)
    /// takes no lock, as `ktime_get` takes none.
    now_ns: AtomicU64,
}

impl TimerBase {
    fn new() -> Self {
        TimerBase {
            state: Mutex::new(BaseState::default()),
            cond: Condvar::new(),
            now_ns: AtomicU64::new(0),
        }
    }

    /// Moves the virtual time to `t` (callers hold `state`).
    fn set_now(&self, st: &mut BaseState, t: Duration) {
        st.now = t;
        self.now_ns.store(u64::try_from(t.as_nanos()).unwrap_or(u64::MAX), Ordering::Release);
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
                self.set_now(&mut st, key.0);
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
            Kind::Virtual => Duration::from_nanos(self.inner.base.now_ns.load(Ordering::Acquire)),
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
            base.set_now(&mut st, target);
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
            TimerEntry {
                callback: crate::arc_dyn!(callback => dyn Fn() + Send + Sync),
                armed: None,
                running: None,
            },
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

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests {
    use super::*;
    use crate::lockdep::{LockClassKey, LockKind, SpinLock};
    use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A timer that appends `tag` to `log` when it fires.
    fn logging_timer(clock: &Clock, log: &Arc<Mutex<Vec<u32>>>, tag: u32) -> Timer {
        let log = log.clone();
        clock.timer(move || log.lock().push(tag))
    }

    #[test]
    fn timers_fire_in_expiry_order_ties_in_arming_order() {
        let clock = Clock::new_virtual();
        let log = Arc::new(Mutex::new(Vec::new()));
        let t1 = logging_timer(&clock, &log, 1);
        let t2 = logging_timer(&clock, &log, 2);
        let t3 = logging_timer(&clock, &log, 3);
        let t4 = logging_timer(&clock, &log, 4);
        t1.mod_timer(ms(30));
        t2.mod_timer(ms(10));
        t3.mod_timer(ms(20));
        t4.mod_timer(ms(10));
        clock.advance(ms(25));
        assert_eq!(*log.lock(), vec![2, 4, 3]);
        assert_eq!(clock.now(), ms(25));
        assert!(t1.pending());
        assert!(!t2.pending());
        clock.advance(ms(5));
        assert_eq!(*log.lock(), vec![2, 4, 3, 1]);
        assert!(!t1.pending());
    }

    #[test]
    fn callback_sees_its_expiry_and_runs_in_softirq() {
        let clock = Clock::new_virtual();
        let seen = Arc::new(Mutex::new(None));
        let (c, s) = (clock.clone(), seen.clone());
        let t = clock.timer(move || *s.lock() = Some((c.now(), lockdep::in_softirq())));
        t.mod_timer_in(ms(7));
        assert_eq!(t.expires(), Some(ms(7)));
        clock.advance(ms(100));
        assert_eq!(*seen.lock(), Some((ms(7), true)));
        assert!(!lockdep::in_softirq());
        assert_eq!(clock.now(), ms(100));
    }

    #[test]
    fn cancelled_timer_never_fires() {
        let clock = Clock::new_virtual();
        let log = Arc::new(Mutex::new(Vec::new()));
        let t = logging_timer(&clock, &log, 1);
        assert!(!t.del_timer(), "not pending yet");
        t.mod_timer(ms(5));
        assert!(t.del_timer());
        assert!(!t.pending());
        clock.advance(ms(50));
        let dropped = logging_timer(&clock, &log, 2);
        dropped.mod_timer(ms(60));
        drop(dropped);
        clock.advance(ms(50));
        assert!(log.lock().is_empty());
    }

    #[test]
    fn mod_timer_rearms() {
        let clock = Clock::new_virtual();
        let log = Arc::new(Mutex::new(Vec::new()));
        let t = logging_timer(&clock, &log, 1);
        assert!(!t.mod_timer(ms(10)));
        assert!(t.mod_timer(ms(30)), "mod_timer reports a pending timer");
        clock.advance(ms(20));
        assert!(log.lock().is_empty());
        clock.advance(ms(10));
        assert_eq!(*log.lock(), vec![1]);
        // Re-armed after firing, it fires again, once.
        t.mod_timer_in(ms(1));
        clock.advance(ms(10));
        assert_eq!(*log.lock(), vec![1, 1]);
    }

    #[test]
    fn callbacks_may_rearm_themselves_within_one_advance() {
        let clock = Clock::new_virtual();
        let fired = Arc::new(Mutex::new(Vec::new()));
        let slot: Arc<Mutex<Option<Arc<Timer>>>> = Arc::new(Mutex::new(None));
        let (c, f, s) = (clock.clone(), fired.clone(), slot.clone());
        let periodic = Arc::new(clock.timer(move || {
            f.lock().push(c.now());
            let rearm = c.now() < ms(40);
            if let Some(t) = s.lock().as_ref().filter(|_| rearm) {
                t.mod_timer_in(ms(10));
            }
        }));
        *slot.lock() = Some(periodic.clone());
        periodic.mod_timer(ms(10));
        clock.advance(ms(100));
        assert_eq!(*fired.lock(), vec![ms(10), ms(20), ms(30), ms(40)]);
        slot.lock().take();
    }

    #[test]
    fn past_expiry_fires_at_next_advance() {
        let clock = Clock::new_virtual();
        clock.advance(ms(50));
        let log = Arc::new(Mutex::new(Vec::new()));
        let t = logging_timer(&clock, &log, 9);
        t.mod_timer(ms(10));
        clock.advance(Duration::ZERO);
        assert_eq!(*log.lock(), vec![9]);
        assert_eq!(clock.now(), ms(50), "time never goes backwards");
    }

    #[test]
    fn virtual_wall_clock_starts_at_the_boot_epoch() {
        let clock = Clock::new_virtual();
        assert_eq!(clock.real_seconds(), VIRTUAL_BOOT_EPOCH);
        clock.advance(Duration::from_millis(2500));
        assert_eq!(clock.real_seconds(), VIRTUAL_BOOT_EPOCH + 2);
        assert!(clock.is_virtual());
    }

    #[test]
    fn del_timer_sync_waits_for_a_running_callback() {
        let clock = Clock::new_virtual();
        let entered = Arc::new(std::sync::Barrier::new(2));
        let release = Arc::new(std::sync::Barrier::new(2));
        let finished = Arc::new(AtomicBool::new(false));
        let (e, r, f) = (entered.clone(), release.clone(), finished.clone());
        let timer = Arc::new(clock.timer(move || {
            e.wait();
            r.wait();
            f.store(true, Ordering::SeqCst);
        }));
        timer.mod_timer(ms(1));
        let c = clock.clone();
        let advancer = std::thread::spawn(move || c.advance(ms(5)));
        entered.wait(); // the callback is running
        let about_to_sync = Arc::new(AtomicBool::new(false));
        let (t, f, a) = (timer.clone(), finished.clone(), about_to_sync.clone());
        let syncer = std::thread::spawn(move || {
            a.store(true, Ordering::SeqCst);
            assert!(!t.del_timer_sync(), "the timer was no longer pending");
            // When it returns the callback has finished.
            assert!(f.load(Ordering::SeqCst));
        });
        while !about_to_sync.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        // Give the syncer a chance to block before the callback ends.
        std::thread::sleep(ms(20));
        release.wait();
        syncer.join().unwrap();
        advancer.join().unwrap();
        assert!(!timer.pending());
    }

    #[test]
    fn del_timer_sync_from_its_own_callback_cancels_a_rearm_and_returns() {
        let clock = Clock::new_virtual();
        let runs = Arc::new(AtomicUsize::new(0));
        let slot: Arc<Mutex<Option<Arc<Timer>>>> = Arc::new(Mutex::new(None));
        let result = Arc::new(Mutex::new(None));
        let (s, n, res) = (slot.clone(), runs.clone(), result.clone());
        let timer = Arc::new(clock.timer(move || {
            n.fetch_add(1, Ordering::SeqCst);
            if let Some(t) = s.lock().clone() {
                t.mod_timer_in(ms(1));
                *res.lock() = Some(t.del_timer_sync());
            }
        }));
        *slot.lock() = Some(timer.clone());
        timer.mod_timer(ms(1));
        clock.advance(ms(10));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(*result.lock(), Some(true), "the re-arm was pending and is cancelled");
        assert!(!timer.pending());
        slot.lock().take();
    }

    #[test]
    fn real_clock_fires_timers_on_its_softirq_thread() {
        let clock = Clock::new_real();
        assert!(!clock.is_virtual());
        assert!(clock.real_seconds() > VIRTUAL_BOOT_EPOCH);
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = Mutex::new(tx);
        let t = clock.timer(move || {
            let _ = tx.lock().send((lockdep::in_softirq(), std::thread::current().id()));
        });
        let before = clock.now();
        t.mod_timer_in(ms(2));
        let (in_softirq, tid) = rx.recv().unwrap();
        assert!(in_softirq);
        assert_ne!(tid, std::thread::current().id());
        assert!(clock.now() >= before + ms(2));
        assert!(!t.pending());
        // Advancing a real clock does nothing.
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() < Duration::from_secs(3600));
    }

    #[test]
    fn timer_callbacks_and_bh_locking_make_no_lockdep_reports() {
        static TIMER_TEST_LOCK: LockClassKey =
            LockClassKey::new_test("time_test_lock", LockKind::SpinBh);
        let clock = Clock::new_virtual();
        let lock = Arc::new(SpinLock::new(&TIMER_TEST_LOCK, 0u32));
        let l = lock.clone();
        // Softirq takes it plainly; process context with BH disabled.
        let t = clock.timer(move || *l.lock() += 1);
        t.mod_timer(ms(1));
        *lock.lock_bh() += 1;
        clock.advance(ms(1));
        *lock.lock_bh() += 1;
        assert_eq!(*lock.lock_bh(), 3);
        assert!(lockdep::take_reports_for(&TIMER_TEST_LOCK).is_empty());
    }
}
