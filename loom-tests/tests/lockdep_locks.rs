//! Mutual exclusion of the validated lock wrappers. The protected data is a
//! loom `UnsafeCell` beside the lock, so two holders at once are a data race
//! loom reports.
#![cfg(xfrmsim_loom)]

use loom_tests::model;
use sim_core::lockdep::{LockClassKey, LockKind, Mutex, RwLock, SpinLock};
use sim_core::sync::{Arc, UnsafeCell, thread};

static LOOM_SPIN: LockClassKey = LockClassKey::new("loom_spin", LockKind::SpinBh);
static LOOM_MUTEX: LockClassKey = LockClassKey::new("loom_mutex", LockKind::Mutex);
static LOOM_RWLOCK: LockClassKey = LockClassKey::new("loom_rwlock", LockKind::RwLock);

struct Shared<L> {
    lock: L,
    data: UnsafeCell<u32>,
}

// SAFETY: `data` is only touched while `lock` is held (that is what the
// models check).
unsafe impl<L: Send + Sync> Sync for Shared<L> {}

fn increment(data: &UnsafeCell<u32>) {
    data.with_mut(|p| unsafe { *p += 1 });
}

fn read(data: &UnsafeCell<u32>) -> u32 {
    data.with(|p| unsafe { *p })
}

#[test]
fn spinlock_excludes() {
    model(|| {
        let s = Arc::new(Shared { lock: SpinLock::new(&LOOM_SPIN, ()), data: UnsafeCell::new(0) });
        let s2 = s.clone();
        let t = thread::spawn(move || {
            let _g = s2.lock.lock_bh();
            increment(&s2.data);
        });
        {
            let _g = s.lock.lock();
            increment(&s.data);
        }
        t.join().unwrap();
        let _g = s.lock.lock();
        assert_eq!(read(&s.data), 2);
    });
}

#[test]
fn mutex_excludes() {
    model(|| {
        let s = Arc::new(Shared { lock: Mutex::new(&LOOM_MUTEX, ()), data: UnsafeCell::new(0) });
        let s2 = s.clone();
        let t = thread::spawn(move || {
            let _g = s2.lock.lock();
            increment(&s2.data);
        });
        {
            let _g = s.lock.lock();
            increment(&s.data);
        }
        t.join().unwrap();
        let _g = s.lock.lock();
        assert_eq!(read(&s.data), 2);
    });
}

#[test]
fn rwlock_writer_excludes_readers_and_writers() {
    model(|| {
        let s = Arc::new(Shared { lock: RwLock::new(&LOOM_RWLOCK, ()), data: UnsafeCell::new(0) });
        let (w, r) = (s.clone(), s.clone());
        let writer = thread::spawn(move || {
            let _g = w.lock.write_bh();
            increment(&w.data);
        });
        let reader = thread::spawn(move || {
            let _g = r.lock.read();
            let v = read(&r.data);
            assert!(v <= 2);
        });
        {
            let _g = s.lock.write();
            increment(&s.data);
        }
        writer.join().unwrap();
        reader.join().unwrap();
        let _g = s.lock.read();
        assert_eq!(read(&s.data), 2);
    });
}
