//! Uncontended lock+unlock through the validated wrappers vs bare
//! parking_lot, in one run: lockdep off should stay within 1.2×, on within 5×.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::lockdep::{self, LockClassKey, LockKind, Mutex, SpinLock};

static BENCH_SPIN: LockClassKey = LockClassKey::new("bench_spin", LockKind::SpinBh);
static BENCH_MUTEX: LockClassKey = LockClassKey::new("bench_mutex", LockKind::Mutex);

fn lock_unlock(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_unlock");
    let bare = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| b.iter(|| *black_box(&bare).lock() += 1));

    let spin = SpinLock::new(&BENCH_SPIN, 0u64);
    let mutex = Mutex::new(&BENCH_MUTEX, 0u64);
    lockdep::set_enabled(false);
    g.bench_function("spinlock_lockdep_off", |b| b.iter(|| *black_box(&spin).lock() += 1));
    g.bench_function("mutex_lockdep_off", |b| b.iter(|| *black_box(&mutex).lock() += 1));
    lockdep::set_enabled(true);
    g.bench_function("spinlock_lockdep_on", |b| b.iter(|| *black_box(&spin).lock() += 1));
    g.bench_function("spin_lock_bh_lockdep_on", |b| b.iter(|| *black_box(&spin).lock_bh() += 1));
    g.bench_function("mutex_lockdep_on", |b| b.iter(|| *black_box(&mutex).lock() += 1));
    g.finish();
}

criterion_group!(benches, lock_unlock);
criterion_main!(benches);
