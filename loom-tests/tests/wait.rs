//! Wait-queue models: no wake-up is lost between the condition check and
//! the sleep, a raised signal ends an interruptible sleep, and a virtual
//! clock's advance ends a timed sleep. A lost wake-up leaves the waiter
//! asleep forever, which loom reports as a deadlock.
#![cfg(xfrmsim_loom)]

use std::time::Duration;

use loom_tests::model;
use sim_core::Errno;
use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::sync::{Arc, thread};
use sim_core::task::SignalState;
use sim_core::time::Clock;
use sim_core::wait::WaitQueue;

#[test]
fn wake_up_between_check_and_sleep_is_not_lost() {
    model(|| {
        let wq = Arc::new(WaitQueue::new());
        let flag = Arc::new(AtomicBool::new(false));
        let (w, f) = (wq.clone(), flag.clone());
        let waker = thread::spawn(move || {
            f.store(true, Ordering::SeqCst);
            w.wake_up();
        });
        wq.wait_event(|| flag.load(Ordering::SeqCst));
        waker.join().unwrap();
    });
}

#[test]
fn raised_signal_ends_an_interruptible_sleep() {
    model(|| {
        let wq = WaitQueue::new();
        let signal = SignalState::new();
        let s = signal.clone();
        let raiser = thread::spawn(move || s.raise());
        assert_eq!(wq.wait_event_interruptible(&signal, || false), Err(Errno::ERESTARTSYS));
        raiser.join().unwrap();
    });
}

#[test]
fn virtual_clock_advance_ends_a_timed_sleep() {
    model(|| {
        let clock = Clock::new_virtual();
        let wq = WaitQueue::new();
        let done = Arc::new(AtomicBool::new(false));
        let (c, d) = (clock.clone(), done.clone());
        let ticker = thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                c.advance(Duration::from_millis(5));
                thread::yield_now();
            }
        });
        assert_eq!(wq.wait_event_timeout(&clock, Duration::from_millis(5), || false), None);
        done.store(true, Ordering::SeqCst);
        ticker.join().unwrap();
    });
}
