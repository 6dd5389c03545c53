//! Wait queues: `wait_queue_head_t` and the `wait_event*()` family of
//! `include/linux/wait.h` / `kernel/sched/wait.c`.
//!
//! A waiter sleeps until a condition it evaluates itself becomes true; the
//! side that makes it true calls [`WaitQueue::wake_up`]. Lost wake-ups are
//! impossible: the queue keeps a generation counter, bumped under its lock
//! by every wake-up, and a waiter reads the generation *before* it checks
//! the condition and sleeps only while the generation is unchanged. A
//! wake-up that comes after the check therefore ends the sleep, just as the
//! kernel's `prepare_to_wait` puts the task on the queue before testing the
//! condition.
//!
//! Every waiter is non-exclusive, so [`WaitQueue::wake_up`] and
//! [`WaitQueue::wake_up_all`] both wake every sleeper (which is what
//! `wake_up()` does for non-exclusive waiters). Each wait calls
//! `lockdep::might_sleep("wait_event")` first, so waiting under a spinlock,
//! in softirq or in an RCU read section is reported.

use std::time::Duration;

use crate::errno::{Errno, KResult};
use crate::lockdep;
use crate::sync::{Arc, Condvar, Mutex};
use crate::task::SignalState;
use crate::time::Clock;

/// The shared part of a wait queue (what sleeping tasks and timers hold).
pub(crate) struct WaitQueueHead {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl WaitQueueHead {
    pub(crate) fn wake_up_all(&self) {
        let mut g = self.generation.lock();
        *g = g.wrapping_add(1);
        drop(g);
        self.cond.notify_all();
    }

    fn generation(&self) -> u64 {
        *self.generation.lock()
    }
}

/// `wait_queue_head_t`: where tasks sleep until a condition holds.
pub struct WaitQueue {
    head: Arc<WaitQueueHead>,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// What ended a wait.
enum Woken {
    Condition,
    Signal,
    TimedOut,
}

impl WaitQueue {
    /// `init_waitqueue_head()`.
    pub fn new() -> Self {
        WaitQueue {
            head: Arc::new(WaitQueueHead { generation: Mutex::new(0), cond: Condvar::new() }),
        }
    }

    /// `wake_up()`: wakes the sleepers so they re-check their conditions.
    /// Make the condition true before calling it.
    pub fn wake_up(&self) {
        self.head.wake_up_all();
    }

    /// `wake_up_all()`.
    pub fn wake_up_all(&self) {
        self.head.wake_up_all();
    }

    /// `wait_event()`: sleeps uninterruptibly until `cond` returns true.
    pub fn wait_event(&self, cond: impl FnMut() -> bool) {
        self.wait_common(cond, None, None);
    }

    /// `wait_event_timeout()`: sleeps until `cond` holds or `timeout` has
    /// passed on `clock`. Returns `None` if it timed out with the condition
    /// still false, else `Some(time left)` (the kernel's 0 / remaining
    /// jiffies; the condition may have become true with zero left).
    ///
    /// On a virtual clock the wait ends when [`Clock::advance`] passes the
    /// deadline (a timer on `clock` wakes the queue); on a real clock it is
    /// a timed condition-variable wait.
    pub fn wait_event_timeout(
        &self,
        clock: &Clock,
        timeout: Duration,
        cond: impl FnMut() -> bool,
    ) -> Option<Duration> {
        match self.wait_common(cond, None, Some((clock, timeout))) {
            (Woken::Condition, left) => Some(left),
            _ => None,
        }
    }

    /// `wait_event_interruptible()`: sleeps until `cond` holds or the task
    /// whose signal state is `signal` has a signal pending; then fails with
    /// `ERESTARTSYS`. The condition is checked first, as in the kernel.
    pub fn wait_event_interruptible(
        &self,
        signal: &SignalState,
        cond: impl FnMut() -> bool,
    ) -> KResult<()> {
        match self.wait_common(cond, Some(signal), None) {
            (Woken::Signal, _) => Err(Errno::ERESTARTSYS),
            _ => Ok(()),
        }
    }

    /// `wait_event_interruptible_timeout()`: `Err(ERESTARTSYS)` on a signal,
    /// `Ok(None)` on time-out, `Ok(Some(time left))` when `cond` held.
    pub fn wait_event_interruptible_timeout(
        &self,
        signal: &SignalState,
        clock: &Clock,
        timeout: Duration,
        cond: impl FnMut() -> bool,
    ) -> KResult<Option<Duration>> {
        match self.wait_common(cond, Some(signal), Some((clock, timeout))) {
            (Woken::Condition, left) => Ok(Some(left)),
            (Woken::Signal, _) => Err(Errno::ERESTARTSYS),
            (Woken::TimedOut, _) => Ok(None),
        }
    }

    /// `___wait_event()`: the loop behind every variant. Returns why it
    /// ended and the time left before the deadline (zero without one).
    fn wait_common(
        &self,
        mut cond: impl FnMut() -> bool,
        signal: Option<&SignalState>,
        timeout: Option<(&Clock, Duration)>,
    ) -> (Woken, Duration) {
        lockdep::might_sleep("wait_event");
        let deadline = timeout.map(|(clock, t)| (clock, clock.now().saturating_add(t)));
        let left = || deadline.map_or(Duration::ZERO, |(c, d)| d.saturating_sub(c.now()));
        if cond() {
            return (Woken::Condition, left());
        }
        // `signal_wake_up` must find us before we test for a signal.
        let _registration = signal.map(|s| s.sleep_on(&self.head));
        // A virtual clock has no passing time to wait for: a timer on it
        // wakes the queue when `advance` reaches the deadline. It is armed
        // before the first check so an advance past the deadline between
        // the check and the sleep still bumps the generation.
        let _timer = match deadline {
            Some((clock, at)) if clock.is_virtual() => {
                let head = self.head.clone();
                let timer = clock.timer(move || head.wake_up_all());
                timer.mod_timer(at);
                Some(timer)
            }
            _ => None,
        };
        loop {
            let seen = self.head.generation();
            if cond() {
                return (Woken::Condition, left());
            }
            if signal.is_some_and(SignalState::pending) {
                return (Woken::Signal, left());
            }
            let mut remaining = None;
            if let Some((clock, at)) = deadline {
                let now = clock.now();
                if now >= at {
                    return (Woken::TimedOut, Duration::ZERO);
                }
                if !clock.is_virtual() {
                    remaining = Some(at - now);
                }
            }
            let mut g = self.head.generation.lock();
            while *g == seen {
                match remaining {
                    // Re-check everything after any timed wake-up.
                    Some(r) => {
                        self.head.cond.wait_for(&mut g, r);
                        break;
                    }
                    None => self.head.cond.wait(&mut g),
                }
            }
        }
    }
}

#[cfg(all(test, not(xfrmsim_loom)))]
mod tests {
    use super::*;
    use crate::lockdep::{LockClassKey, LockKind, ReportKind};
    use crate::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn wait_event_returns_at_once_when_the_condition_holds() {
        let wq = WaitQueue::new();
        let mut checks = 0;
        wq.wait_event(|| {
            checks += 1;
            true
        });
        assert_eq!(checks, 1);
    }

    #[test]
    fn wake_up_after_setting_the_condition_is_never_lost() {
        let wq = Arc::new(WaitQueue::new());
        let value = Arc::new(AtomicU32::new(0));
        let (w, v) = (wq.clone(), value.clone());
        let waker = std::thread::spawn(move || {
            for i in 1..=200 {
                v.store(i, Ordering::SeqCst);
                if i % 2 == 0 {
                    w.wake_up();
                } else {
                    w.wake_up_all();
                }
            }
        });
        for i in 1..=200 {
            wq.wait_event(|| value.load(Ordering::SeqCst) >= i);
        }
        waker.join().unwrap();
    }

    #[test]
    fn virtual_timeout_ends_when_advance_passes_the_deadline() {
        let clock = Clock::new_virtual();
        let wq = Arc::new(WaitQueue::new());
        let done = Arc::new(AtomicBool::new(false));
        let (c, d) = (clock.clone(), done.clone());
        // Advances in small steps until the waiter gives up, whenever it
        // armed its deadline.
        let ticker = std::thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                c.advance(ms(1));
                std::thread::yield_now();
            }
        });
        let start = clock.now();
        let r = wq.wait_event_timeout(&clock, ms(30), || false);
        done.store(true, Ordering::SeqCst);
        ticker.join().unwrap();
        assert_eq!(r, None);
        assert!(clock.now() >= start + ms(30));
    }

    #[test]
    fn timeout_wait_reports_time_left_when_the_condition_holds() {
        let clock = Clock::new_virtual();
        let wq = Arc::new(WaitQueue::new());
        let flag = Arc::new(AtomicBool::new(false));
        let (w, f) = (wq.clone(), flag.clone());
        let waker = std::thread::spawn(move || {
            f.store(true, Ordering::SeqCst);
            w.wake_up();
        });
        // The virtual clock does not move: all of the timeout is left.
        let r = wq.wait_event_timeout(&clock, ms(30), || flag.load(Ordering::SeqCst));
        waker.join().unwrap();
        assert_eq!(r, Some(ms(30)));
    }

    #[test]
    fn zero_timeout_with_a_false_condition_times_out_at_once() {
        let clock = Clock::new_virtual();
        let wq = WaitQueue::new();
        assert_eq!(wq.wait_event_timeout(&clock, Duration::ZERO, || false), None);
        assert_eq!(wq.wait_event_timeout(&clock, Duration::ZERO, || true), Some(Duration::ZERO));
    }

    #[test]
    fn real_clock_timeout_expires() {
        let clock = Clock::new_real();
        let wq = WaitQueue::new();
        assert_eq!(wq.wait_event_timeout(&clock, ms(5), || false), None);
    }

    #[test]
    fn signal_raised_while_sleeping_ends_the_wait_with_erestartsys() {
        let wq = Arc::new(WaitQueue::new());
        let signal = SignalState::new();
        let s = signal.clone();
        let raiser = std::thread::spawn(move || s.raise());
        assert_eq!(wq.wait_event_interruptible(&signal, || false), Err(Errno::ERESTARTSYS));
        raiser.join().unwrap();
        assert!(signal.pending());
        signal.clear();
        assert!(!signal.pending());
    }

    #[test]
    fn pending_signal_fails_at_once_but_a_true_condition_wins() {
        let wq = WaitQueue::new();
        let signal = SignalState::new();
        signal.raise();
        assert_eq!(wq.wait_event_interruptible(&signal, || false), Err(Errno::ERESTARTSYS));
        assert_eq!(wq.wait_event_interruptible(&signal, || true), Ok(()));
        let clock = Clock::new_virtual();
        assert_eq!(
            wq.wait_event_interruptible_timeout(&signal, &clock, ms(5), || false),
            Err(Errno::ERESTARTSYS)
        );
        signal.clear();
        assert_eq!(
            wq.wait_event_interruptible_timeout(&signal, &clock, Duration::ZERO, || false),
            Ok(None)
        );
    }

    #[test]
    fn interruptible_wait_is_woken_by_the_condition() {
        let wq = Arc::new(WaitQueue::new());
        let signal = SignalState::new();
        let flag = Arc::new(AtomicBool::new(false));
        let (w, f) = (wq.clone(), flag.clone());
        let waker = std::thread::spawn(move || {
            f.store(true, Ordering::SeqCst);
            w.wake_up();
        });
        assert_eq!(wq.wait_event_interruptible(&signal, || flag.load(Ordering::SeqCst)), Ok(()));
        waker.join().unwrap();
        assert!(!signal.pending());
    }

    #[test]
    fn waiting_inside_an_rcu_read_section_is_reported() {
        static OUTER: LockClassKey =
            LockClassKey::new_test("wait_test_outer_mutex", LockKind::Mutex);
        let outer = crate::lockdep::Mutex::new(&OUTER, ());
        let _m = outer.lock();
        let guard = crate::rcu::rcu_read_lock();
        WaitQueue::new().wait_event(|| true);
        drop(guard);
        let reports = crate::lockdep::take_reports_for(&OUTER);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].kind, ReportKind::SleepingWhileAtomic);
        assert!(reports[0].text.contains("(wait_event)"));
        assert!(reports[0].text.contains("RCU nest depth: 1"));
    }

    #[test]
    fn waiting_in_process_context_under_a_mutex_is_not_reported() {
        static OUTER: LockClassKey = LockClassKey::new_test("wait_test_ok_mutex", LockKind::Mutex);
        let outer = crate::lockdep::Mutex::new(&OUTER, ());
        let _m = outer.lock();
        let clock = Clock::new_virtual();
        let wq = WaitQueue::new();
        wq.wait_event(|| true);
        assert_eq!(wq.wait_event_timeout(&clock, Duration::ZERO, || false), None);
        assert!(crate::lockdep::take_reports_for(&OUTER).is_empty());
    }
}
