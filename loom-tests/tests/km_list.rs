//! The key-manager list protocol under loom: unregistering races a
//! notification walk, registering races one. No callback may start after
//! `xfrm_unregister_km` returns, and a walk sees the list either before or
//! after the change, in registration order.
//!
//! sim-km's `XfrmKmList` holds `Arc<dyn KeyManager>`, and loom's `Arc`
//! cannot coerce to a trait object (nor can sim-netns, which the layer
//! needs, build under loom), so this model runs the list's exact steps on
//! the same primitives: an [`RcuList`] read inside `rcu_read_lock`, writers
//! under an `xfrm_km_lock` BH spinlock, `synchronize_rcu` after unlinking.
#![cfg(xfrmsim_loom)]

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::rcu::{RcuList, rcu_read_lock, synchronize_rcu};
use sim_core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use sim_core::sync::{Arc, thread};

static XFRM_KM_LOCK: LockClassKey = LockClassKey::new("xfrm_km_lock", LockKind::SpinBh);

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

/// A manager: records calls; fails the model if called after its
/// unregister returned.
struct Mgr {
    id: usize,
    gone: AtomicBool,
    calls: AtomicUsize,
}

impl Mgr {
    fn notify(&self, last_seen: &mut usize) {
        assert!(!self.gone.load(Ordering::SeqCst), "callback after xfrm_unregister_km returned");
        assert!(*last_seen < self.id, "walk out of registration order");
        *last_seen = self.id;
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

/// `xfrm_km_list` + `xfrm_km_lock`, as `sim_km::XfrmKmList` builds them.
struct KmList {
    lock: SpinLock<()>,
    list: RcuList<Mgr>,
}

impl KmList {
    fn new() -> Self {
        KmList { lock: SpinLock::new(&XFRM_KM_LOCK, ()), list: RcuList::new() }
    }
    /// `xfrm_register_km`.
    fn register(&self, m: Arc<Mgr>) {
        let _g = self.lock.lock_bh();
        self.list.add_tail(m);
    }
    /// `xfrm_unregister_km`: unlink under the lock, then a grace period.
    fn unregister(&self, id: usize) {
        {
            let _g = self.lock.lock_bh();
            self.list.retain(|m| m.id != id);
        }
        synchronize_rcu();
    }
    /// `km_state_notify`: every manager, inside `rcu_read_lock`.
    fn notify(&self) {
        let guard = rcu_read_lock();
        let mut last = 0;
        for m in self.list.iter(&guard) {
            m.notify(&mut last);
        }
    }
}

fn mgr(id: usize) -> Arc<Mgr> {
    Arc::new(Mgr { id, gone: AtomicBool::new(false), calls: AtomicUsize::new(0) })
}

#[test]
fn unregister_racing_notify() {
    model(|| {
        let list = Arc::new(KmList::new());
        let (a, b) = (mgr(1), mgr(2));
        list.register(a.clone());
        list.register(b.clone());
        let (l2, a2) = (list.clone(), a.clone());
        let unreg = thread::spawn(move || {
            l2.unregister(1);
            a2.gone.store(true, Ordering::SeqCst);
        });
        list.notify();
        unreg.join().unwrap();
        // The manager that stayed was reached exactly once.
        assert_eq!(b.calls.load(Ordering::SeqCst), 1);
        assert!(a.calls.load(Ordering::SeqCst) <= 1);
        assert_eq!(list.list.len(), 1);
    });
}

#[test]
fn register_racing_notify() {
    model(|| {
        let list = Arc::new(KmList::new());
        let (a, b) = (mgr(1), mgr(2));
        list.register(a.clone());
        let (l2, b2) = (list.clone(), b.clone());
        let t = thread::spawn(move || l2.register(b2));
        list.notify();
        t.join().unwrap();
        assert_eq!(a.calls.load(Ordering::SeqCst), 1);
        assert!(b.calls.load(Ordering::SeqCst) <= 1);
        assert_eq!(list.list.len(), 2);
    });
}
