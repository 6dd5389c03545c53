//! Timer models: `del_timer_sync` returns only once the callback is not
//! running, and a timer deleted before it fires never runs. The callback
//! writes a loom `UnsafeCell` that the deleting thread writes after the
//! delete returns, so an overlap is a data race loom reports.
#![cfg(xfrmsim_loom)]

use std::time::Duration;

use loom_tests::model;
use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::sync::{Arc, UnsafeCell, thread};
use sim_core::time::Clock;

struct Cell(UnsafeCell<u32>);

// SAFETY: the models check that the two writers never overlap.
unsafe impl Sync for Cell {}
unsafe impl Send for Cell {}

#[test]
fn del_timer_sync_waits_for_a_running_callback() {
    model(|| {
        let clock = Clock::new_virtual();
        let cell = Arc::new(Cell(UnsafeCell::new(0)));
        let c = cell.clone();
        let timer = clock.timer(move || c.0.with_mut(|p| unsafe { *p += 1 }));
        timer.mod_timer(Duration::from_millis(1));
        let advancer = {
            let clock = clock.clone();
            thread::spawn(move || clock.advance(Duration::from_millis(1)))
        };
        timer.del_timer_sync();
        // The callback is not running and will not run.
        cell.0.with_mut(|p| unsafe { *p += 10 });
        advancer.join().unwrap();
        let total = cell.0.with(|p| unsafe { *p });
        assert!(total == 10 || total == 11);
    });
}

#[test]
fn deleted_timer_never_fires() {
    model(|| {
        let clock = Clock::new_virtual();
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        let timer = clock.timer(move || f.store(true, Ordering::SeqCst));
        timer.mod_timer(Duration::from_millis(1));
        let deleted = Arc::new(AtomicBool::new(false));
        let advancer = {
            let (clock, deleted, fired) = (clock.clone(), deleted.clone(), fired.clone());
            thread::spawn(move || {
                let was_deleted = deleted.load(Ordering::SeqCst);
                clock.advance(Duration::from_millis(1));
                if was_deleted {
                    assert!(!fired.load(Ordering::SeqCst), "a deleted timer fired");
                }
            })
        };
        let was_pending = timer.del_timer();
        deleted.store(true, Ordering::SeqCst);
        advancer.join().unwrap();
        // Either the delete won (and it never fired) or the timer had fired.
        assert_ne!(was_pending, fired.load(Ordering::SeqCst));
    });
}
