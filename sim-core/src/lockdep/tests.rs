//! Each report kind is triggered on classes of its own (tests run in
//! parallel threads and the graph is global), and correct code stays silent.

use super::*;

fn classes(prefix: &str, kind: LockKind) -> (&'static LockClassKey, &'static LockClassKey) {
    (
        LockClassKey::new_leaked(&format!("{prefix}_a"), kind),
        LockClassKey::new_leaked(&format!("{prefix}_b"), kind),
    )
}

#[test]
fn ab_ba_from_two_threads_is_reported_without_deadlocking() {
    let (ka, kb) = classes("abba", LockKind::Spin);
    let a = crate::sync::Arc::new(SpinLock::new(ka, 0u32));
    let b = crate::sync::Arc::new(SpinLock::new(kb, 0u32));
    let (a1, b1) = (a.clone(), b.clone());
    // First thread: A then B. It finishes before the second starts, so the
    // run never deadlocks; the inversion must be reported anyway.
    std::thread::spawn(move || {
        let _ga = a1.lock();
        let _gb = b1.lock();
    })
    .join()
    .unwrap();
    assert!(take_reports_for(ka).is_empty(), "one order alone is fine");
    std::thread::spawn(move || {
        let _gb = b.lock();
        let _ga = a.lock();
    })
    .join()
    .unwrap();
    let r = take_reports_for(ka);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].kind, ReportKind::CircularDependency);
    assert!(r[0].text.contains("WARNING: possible circular locking dependency detected"));
    assert!(r[0].text.contains("is trying to acquire lock:\n (abba_a)"), "{}", r[0].text);
    assert!(r[0].text.contains("already holding lock:\n (abba_b)"), "{}", r[0].text);
    assert!(r[0].text.contains("*** DEADLOCK ***"));
}

#[test]
fn longer_cycles_are_found_through_the_graph() {
    let k1 = LockClassKey::new_leaked("cyc3_1", LockKind::Mutex);
    let k2 = LockClassKey::new_leaked("cyc3_2", LockKind::Mutex);
    let k3 = LockClassKey::new_leaked("cyc3_3", LockKind::Mutex);
    let (m1, m2, m3) = (Mutex::new(k1, ()), Mutex::new(k2, ()), Mutex::new(k3, ()));
    {
        let _a = m1.lock();
        let _b = m2.lock();
    }
    {
        let _b = m2.lock();
        let _c = m3.lock();
    }
    assert!(take_reports_for(k1).is_empty());
    {
        let _c = m3.lock();
        let _a = m1.lock();
    }
    let r = take_reports_for(k1);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ReportKind::CircularDependency);
    assert!(
        r[0].classes.contains(&"cyc3_2"),
        "the chain names the middle class: {:?}",
        r[0].classes
    );
    // Reported once per new edge, not on every later acquisition.
    {
        let _c = m3.lock();
        let _a = m1.lock();
    }
    assert!(take_reports_for(k1).is_empty());
}

#[test]
fn recursive_locking_of_one_class_is_reported() {
    let k = LockClassKey::new_leaked("recursive_x", LockKind::SpinBh);
    let (x1, x2) = (SpinLock::new(k, ()), SpinLock::new(k, ()));
    {
        let _g1 = x1.lock_bh();
        let _g2 = x2.lock_bh();
    }
    let r = take_reports_for(k);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ReportKind::RecursiveLocking);
    assert!(r[0].text.contains("WARNING: possible recursive locking detected"));
}

#[test]
fn shared_read_after_read_is_not_recursive() {
    let k = LockClassKey::new_leaked("rw_readers", LockKind::RwLock);
    let (l1, l2) = (RwLock::new(k, 1), RwLock::new(k, 2));
    {
        let g1 = l1.read();
        let g2 = l2.read();
        assert_eq!(*g1 + *g2, 3);
    }
    assert!(take_reports_for(k).is_empty());
    {
        let _g1 = l1.read();
        let _g2 = l2.write();
    }
    assert_eq!(take_reports_for(k).len(), 1, "read then write of one class is recursive");
}

#[test]
fn mutex_under_spinlock_is_sleeping_while_atomic() {
    let ks = LockClassKey::new_leaked("atomic_spin", LockKind::Spin);
    let km = LockClassKey::new_leaked("atomic_mutex", LockKind::Mutex);
    let s = SpinLock::new(ks, ());
    let m = Mutex::new(km, ());
    {
        let _g = m.lock();
        let _h = s.lock();
    }
    assert!(take_reports_for(ks).is_empty(), "spinlock under a mutex is fine");
    {
        let _h = s.lock();
        let _g = m.lock();
    }
    let r: Vec<_> = take_reports_for(ks)
        .into_iter()
        .filter(|r| r.kind == ReportKind::SleepingWhileAtomic)
        .collect();
    assert_eq!(r.len(), 1);
    assert!(
        r[0].text.starts_with("BUG: sleeping function called from invalid context (atomic_mutex)")
    );
    assert!(r[0].text.contains("(atomic_spin)"));
}

#[test]
fn might_sleep_in_softirq_and_rcu_is_reported() {
    let k = LockClassKey::new_leaked("softirq_sleeper", LockKind::Mutex);
    let m = Mutex::new(k, ());
    softirq_enter();
    drop(m.lock());
    softirq_exit();
    let r = take_reports_for(k);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ReportKind::SleepingWhileAtomic);
    assert!(r[0].text.contains("preempt_count: 256"));

    rcu_read_enter();
    drop(m.lock());
    rcu_read_exit();
    let r = take_reports_for(k);
    assert_eq!(r.len(), 1);
    assert!(r[0].text.contains("RCU nest depth: 1"));

    drop(m.lock());
    assert!(take_reports_for(k).is_empty(), "process context may sleep");
}

#[test]
fn softirq_use_and_softirq_enabled_use_are_inconsistent() {
    let k = LockClassKey::new_leaked("bh_lock", LockKind::SpinBh);
    let l = SpinLock::new(k, ());
    // Timer callback: used in softirq.
    softirq_enter();
    drop(l.lock());
    softirq_exit();
    // Process context with spin_lock_bh: correct.
    drop(l.lock_bh());
    assert!(take_reports_for(k).is_empty());
    // Process context with plain spin_lock: softirqs on while held.
    drop(l.lock());
    let r = take_reports_for(k);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ReportKind::InconsistentSoftirq);
    assert!(
        r[0].text.contains("inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage."),
        "{}",
        r[0].text
    );

    // local_bh_disable around a plain spin_lock is as good as spin_lock_bh.
    let k2 = LockClassKey::new_leaked("bh_lock2", LockKind::Spin);
    let l2 = SpinLock::new(k2, ());
    softirq_enter();
    drop(l2.lock());
    softirq_exit();
    local_bh_disable();
    drop(l2.lock());
    local_bh_enable();
    assert!(take_reports_for(k2).is_empty());
}

#[test]
fn consistent_order_is_silent_and_exported() {
    let (ka, kb) = classes("silent", LockKind::SpinBh);
    let km = LockClassKey::new_leaked("silent_cfg", LockKind::Mutex);
    let cfg = Mutex::new(km, ());
    let (a, b) = (SpinLock::new(ka, ()), SpinLock::new(kb, ()));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (cfg, a, b) = (&cfg, &a, &b);
            move || {
                for _ in 0..50 {
                    let _c = cfg.lock();
                    let _x = a.lock_bh();
                    let _y = b.lock_bh();
                }
            }
        })
        .collect();
    std::thread::scope(|s| {
        for t in threads {
            s.spawn(t);
        }
    });
    assert!(take_reports_for(ka).is_empty());
    assert!(take_reports_for(kb).is_empty());
    assert_eq!(held_count(), 0);
    let g = dependency_graph().filter(|c| c.starts_with("silent"));
    assert_eq!(
        g.to_text(),
        "silent_a -> silent_b\nsilent_cfg -> silent_a\nsilent_cfg -> silent_b\n"
    );
    assert!(g.to_dot().contains("\"silent_cfg\" -> \"silent_a\";"));
    assert!(g.cycles().is_empty());
    let check = check_order(&g, "silent_cfg -> silent_a\nsilent_a -> silent_b\n").unwrap();
    assert_eq!(check.new_edges, vec![("silent_cfg".to_string(), "silent_b".to_string())]);
}

#[test]
fn guards_give_exclusive_access() {
    let k = LockClassKey::new_leaked("counter", LockKind::Spin);
    let l = SpinLock::new(k, 0u64);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    *l.lock() += 1;
                }
            });
        }
    });
    assert_eq!(*l.lock(), 4000);
    assert!(take_reports_for(k).is_empty());
}
