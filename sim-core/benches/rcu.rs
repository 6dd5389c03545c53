//! RCU fast paths: an `rcu_read_lock()`/`rcu_read_unlock()` pair and a
//! `synchronize_rcu()` with no reader inside a section.

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::rcu::{rcu_read_lock, synchronize_rcu};

fn read_lock_unlock(c: &mut Criterion) {
    // Register this thread's reader slot before measuring.
    drop(rcu_read_lock());
    c.bench_function("rcu_read_lock+unlock", |b| {
        b.iter(|| drop(std::hint::black_box(rcu_read_lock())))
    });
    sim_core::lockdep::set_enabled(false);
    c.bench_function("rcu_read_lock+unlock (lockdep off)", |b| {
        b.iter(|| drop(std::hint::black_box(rcu_read_lock())))
    });
    sim_core::lockdep::set_enabled(true);
    // The floor: the SeqCst fence the outermost `rcu_read_lock` must issue.
    c.bench_function("baseline: fence(SeqCst)", |b| {
        b.iter(|| std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst))
    });
}

fn synchronize_idle(c: &mut Criterion) {
    c.bench_function("synchronize_rcu (no readers)", |b| b.iter(synchronize_rcu));
}

criterion_group!(benches, read_lock_unlock, synchronize_idle);
criterion_main!(benches);
