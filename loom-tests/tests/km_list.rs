//! The key-manager list under loom: unregistering races a notification
//! walk. No callback may start after `xfrm_unregister_km` returns, and a
//! walk sees the list either before or after the change, in order.
#![cfg(xfrmsim_loom)]

use sim_core::KResult;
use sim_core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use sim_core::sync::{Arc, thread};
use sim_core::xfrm::XfrmState;
use sim_km::{KeyManager, KmEvent, XfrmKmList};
use sim_netns::NetRegistry;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

/// Records calls; fails the model if called after its unregister returned.
struct Mgr {
    order: usize,
    gone: AtomicBool,
    calls: AtomicUsize,
    last_seen: Arc<AtomicUsize>,
}

impl KeyManager for Mgr {
    fn notify(&self, _x: Option<&Arc<XfrmState>>, _c: &KmEvent) -> KResult<()> {
        assert!(!self.gone.load(Ordering::SeqCst), "callback after xfrm_unregister_km returned");
        // List order: managers are called in registration order.
        let prev = self.last_seen.swap(self.order, Ordering::SeqCst);
        assert!(prev < self.order, "walk out of order");
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn unregister_racing_notify() {
    model(|| {
        let reg = NetRegistry::new();
        let net = reg.init_net().clone();
        let list = Arc::new(XfrmKmList::new());
        let last = Arc::new(AtomicUsize::new(0));
        let mk = |order| {
            Arc::new(Mgr {
                order,
                gone: AtomicBool::new(false),
                calls: AtomicUsize::new(0),
                last_seen: last.clone(),
            })
        };
        let (a, b) = (mk(1), mk(2));
        let ra = list.xfrm_register_km(a.clone());
        list.xfrm_register_km(b.clone());

        let (l2, a2) = (list.clone(), a.clone());
        let unreg = thread::spawn(move || {
            l2.xfrm_unregister_km(ra);
            a2.gone.store(true, Ordering::SeqCst);
        });
        let ev = KmEvent::new(&net, 16);
        last.store(0, Ordering::SeqCst);
        list.km_state_notify(None, &ev);
        unreg.join().unwrap();
        // The walk reached the manager that stayed, exactly once.
        assert_eq!(b.calls.load(Ordering::SeqCst), 1);
        assert!(a.calls.load(Ordering::SeqCst) <= 1);
        assert_eq!(list.len(), 1);
    });
}

#[test]
fn register_racing_notify() {
    model(|| {
        let reg = NetRegistry::new();
        let net = reg.init_net().clone();
        let list = Arc::new(XfrmKmList::new());
        let last = Arc::new(AtomicUsize::new(0));
        let a = Arc::new(Mgr {
            order: 1,
            gone: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
            last_seen: last.clone(),
        });
        let b = Arc::new(Mgr {
            order: 2,
            gone: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
            last_seen: last.clone(),
        });
        list.xfrm_register_km(a.clone());
        let (l2, b2) = (list.clone(), b.clone());
        let t = thread::spawn(move || {
            l2.xfrm_register_km(b2);
        });
        list.km_state_notify(None, &KmEvent::new(&net, 16));
        t.join().unwrap();
        assert_eq!(a.calls.load(Ordering::SeqCst), 1);
        assert!(b.calls.load(Ordering::SeqCst) <= 1);
        assert_eq!(list.len(), 2);
    });
}
