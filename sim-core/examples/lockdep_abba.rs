//! The lock validator catching an AB-BA inversion that never deadlocks.
//!
//! Two threads take the kernel's `xfrm_state_lock` and `xfrm_policy_lock`
//! classes in opposite orders. They run one after the other, so this run
//! cannot deadlock — but on another schedule it would, and lockdep reports
//! the inversion the first time the second order is taken, just as the
//! kernel does.

use sim_core::lockdep::{self, LockClassKey, LockKind, SpinLock};
use sim_core::sync::{Arc, thread};

static XFRM_STATE_LOCK: LockClassKey = LockClassKey::new("xfrm_state_lock", LockKind::SpinBh);
static XFRM_POLICY_LOCK: LockClassKey = LockClassKey::new("xfrm_policy_lock", LockKind::SpinBh);

fn main() {
    let state = Arc::new(SpinLock::new(&XFRM_STATE_LOCK, "SAD"));
    let policy = Arc::new(SpinLock::new(&XFRM_POLICY_LOCK, "SPD"));

    println!("thread 1: lock(xfrm_state_lock); lock(xfrm_policy_lock)");
    let (s, p) = (state.clone(), policy.clone());
    thread::spawn(move || {
        let _s = s.lock_bh();
        let _p = p.lock_bh();
    })
    .join()
    .expect("thread 1");

    println!("thread 2: lock(xfrm_policy_lock); lock(xfrm_state_lock)");
    thread::spawn(move || {
        let _p = policy.lock_bh();
        let _s = state.lock_bh();
    })
    .join()
    .expect("thread 2");

    println!("both threads finished: no deadlock in this run.\n");
    let reports = lockdep::take_reports();
    for r in &reports {
        print!("{}", r.text);
    }
    println!("observed lock order (DOT):\n{}", lockdep::dependency_graph().to_dot());
    if reports.is_empty() {
        eprintln!("lockdep missed the inversion");
        std::process::exit(1);
    }
}
