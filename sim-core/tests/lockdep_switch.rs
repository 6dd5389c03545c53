//! Switching the validator off stops recording; switching it on mid-way is
//! safe. (Its own binary: the switch is global.)

use sim_core::lockdep::{self, LockClassKey, LockKind, SpinLock};

#[test]
fn off_records_nothing_and_on_resumes() {
    let ka = LockClassKey::new_leaked("switch_a", LockKind::Spin);
    let kb = LockClassKey::new_leaked("switch_b", LockKind::Spin);
    let (a, b) = (SpinLock::new(ka, ()), SpinLock::new(kb, ()));
    lockdep::set_enabled(false);
    {
        let _x = a.lock();
        let _y = b.lock();
    }
    {
        let _y = b.lock();
        let _x = a.lock();
    }
    assert!(lockdep::take_reports().is_empty());
    assert_eq!(lockdep::held_count(), 0);
    // Taken while off, released while on: must not corrupt the held stack.
    let g = a.lock();
    lockdep::set_enabled(true);
    drop(g);
    assert_eq!(lockdep::held_count(), 0);
    {
        let _x = a.lock();
        let _y = b.lock();
    }
    {
        let _y = b.lock();
        let _x = a.lock();
    }
    let r = lockdep::take_reports();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].kind, lockdep::ReportKind::CircularDependency);
}
