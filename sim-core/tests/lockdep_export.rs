//! `XFRMSIM_LOCKDEP_EDGES`: every new edge between kernel classes is
//! appended to the named file; made-up classes and edges taken while a bug
//! is planted are not. (Its own binary: the variable is read once.)

use sim_core::lockdep::{self, LockClassKey, LockKind, SpinLock};
use sim_core::planted::{Bug, plant};

static EXPORT_OUTER: LockClassKey = LockClassKey::new("export_outer", LockKind::Mutex);
static EXPORT_INNER: LockClassKey = LockClassKey::new("export_inner", LockKind::SpinBh);
static EXPORT_PLANTED: LockClassKey = LockClassKey::new("export_planted", LockKind::Spin);
static EXPORT_MADE_UP: LockClassKey = LockClassKey::new_test("export_made_up", LockKind::Spin);

#[test]
fn new_kernel_edges_are_appended_once() {
    let path = std::env::temp_dir().join(format!("xfrmsim-edges-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // SAFETY: the only test of this binary; no other thread reads the
    // environment while it is set.
    unsafe { std::env::set_var("XFRMSIM_LOCKDEP_EDGES", &path) };

    let outer = lockdep::Mutex::new(&EXPORT_OUTER, ());
    let inner = SpinLock::new(&EXPORT_INNER, ());
    let made_up = SpinLock::new(&EXPORT_MADE_UP, ());
    let planted = SpinLock::new(&EXPORT_PLANTED, ());
    for _ in 0..3 {
        let _o = outer.lock();
        let _i = inner.lock_bh();
        let _m = made_up.lock();
    }
    plant(Bug::NoKmWaitqWakeUp, true);
    {
        let _o = outer.lock();
        let _p = planted.lock();
    }
    plant(Bug::NoKmWaitqWakeUp, false);

    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    assert_eq!(text, "export_outer -> export_inner\n");
    lockdep::assert_no_reports();
}
