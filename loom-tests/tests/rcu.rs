//! Grace-period models: `synchronize_rcu` outlasts every reader that began
//! before it, a node unlinked from an `RcuList` is invisible to readers that
//! start afterwards, and a `call_rcu` callback never runs while a reader
//! that could see its node is inside its section.
//!
//! "Reclaiming" a node writes to a loom `UnsafeCell` inside it that readers
//! read, so a reclaim that is not ordered after a reader's section is a data
//! race loom reports.
#![cfg(xfrmsim_loom)]

use loom_tests::model;
use sim_core::rcu::{RcuCell, RcuList, call_rcu, rcu_barrier, rcu_read_lock, synchronize_rcu};
use sim_core::sync::atomic::{AtomicBool, Ordering};
use sim_core::sync::{Arc, UnsafeCell, thread};

const LIVE: u32 = 1;
const POISON: u32 = 0xdead;

struct Node {
    id: u32,
    data: UnsafeCell<u32>,
}

// SAFETY: readers only read `data`; the one write is the reclamation the
// models check is ordered after every read.
unsafe impl Sync for Node {}

impl Node {
    fn new(id: u32) -> Arc<Node> {
        Arc::new(Node { id, data: UnsafeCell::new(LIVE) })
    }

    /// A reader's use of the node.
    fn read(&self) -> u32 {
        self.data.with(|p| unsafe { *p })
    }

    /// Reclamation: after this, readers must never touch the node.
    fn poison(&self) {
        self.data.with_mut(|p| unsafe { *p = POISON });
    }
}

#[test]
fn synchronize_rcu_outlasts_earlier_readers() {
    model(|| {
        let cell = Arc::new(RcuCell::new(Node::new(1)));
        let c = cell.clone();
        let reader = thread::spawn(move || {
            let g = rcu_read_lock();
            let node = c.rcu_dereference(&g);
            assert_eq!(node.read(), LIVE, "reader saw node {} reclaimed", node.id);
        });
        let old = cell.rcu_assign_pointer(Node::new(2));
        synchronize_rcu();
        // Every reader that could have found `old` has left its section.
        old.poison();
        reader.join().unwrap();
    });
}

#[test]
fn unlinked_node_is_invisible_to_later_readers() {
    model(|| {
        let list = Arc::new(RcuList::new());
        let a = Node::new(1);
        list.add_tail(a.clone());
        list.add_tail(Node::new(2));
        let removed = Arc::new(AtomicBool::new(false));
        let (l, r, target) = (list.clone(), removed.clone(), a.clone());
        let reader = thread::spawn(move || {
            let after_removal = r.load(Ordering::Acquire);
            let g = rcu_read_lock();
            let mut ids = Vec::new();
            for node in l.iter(&g) {
                assert_eq!(node.read(), LIVE);
                ids.push(node.id);
            }
            if after_removal {
                assert!(!l.iter(&g).any(|n| Arc::ptr_eq(n, &target)), "saw an unlinked node");
                assert_eq!(ids, vec![2]);
            }
        });
        assert!(list.remove(&a));
        removed.store(true, Ordering::Release);
        synchronize_rcu();
        a.poison();
        reader.join().unwrap();
    });
}

#[test]
fn call_rcu_callback_never_overlaps_a_reader_that_could_see_the_node() {
    model(|| {
        let list = Arc::new(RcuList::new());
        let a = Node::new(1);
        list.add_tail(a.clone());
        let l = list.clone();
        let reader = thread::spawn(move || {
            let g = rcu_read_lock();
            for node in l.iter(&g) {
                assert_eq!(node.read(), LIVE);
            }
        });
        assert!(list.remove(&a));
        let ran = Arc::new(AtomicBool::new(false));
        let (victim, r) = (a.clone(), ran.clone());
        call_rcu(move || {
            victim.poison();
            r.store(true, Ordering::Release);
        });
        drop(a);
        rcu_barrier();
        assert!(ran.load(Ordering::Acquire), "rcu_barrier returned before the callback ran");
        reader.join().unwrap();
    });
}

#[test]
fn callbacks_run_exactly_once_with_concurrent_barriers() {
    model(|| {
        let runs = Arc::new(sim_core::sync::atomic::AtomicUsize::new(0));
        let r = runs.clone();
        call_rcu(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        let r = runs.clone();
        let other = thread::spawn(move || {
            rcu_barrier();
            assert_eq!(r.load(Ordering::SeqCst), 1);
        });
        rcu_barrier();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        other.join().unwrap();
        rcu_barrier();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn nested_sections_end_at_the_outermost_unlock() {
    model(|| {
        let cell = Arc::new(RcuCell::new(Node::new(1)));
        let c = cell.clone();
        let reader = thread::spawn(move || {
            let outer = rcu_read_lock();
            let node = c.rcu_dereference(&outer);
            drop(rcu_read_lock());
            // Still inside the outer section.
            assert_eq!(node.read(), LIVE);
        });
        let old = cell.rcu_assign_pointer(Node::new(2));
        synchronize_rcu();
        old.poison();
        reader.join().unwrap();
    });
}
