//! SAD benchmarks: insert, lookup by (daddr, spi, proto) and walk at
//! 1 000 / 100 000 / 1 000 000 states, and memory per state measured with
//! a counting global allocator (printed, not timed).
//!
//! Run briefly: `cargo bench -p sim-core --bench sad -- --warm-up-time 1
//! --measurement-time 3`. `SAD_BENCH_SIZES=1000,1000000` picks sizes;
//! `SAD_BENCH_LOCKDEP=0` switches the lock validator off.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim_core::sync::Arc;
use sim_core::xfrm::state::IPPROTO_ESP;
use sim_core::xfrm::{
    AF_INET, StateTable, XfrmAddress, XfrmKmState, XfrmState, XfrmStateInfo, XfrmStateWalk,
};

struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        ALLOCATED.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCATED.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The SPI of SA `n`: a bijective scramble of `n` (distinct, spread like
/// the random SPIs `xfrm_alloc_spi` hands out; sequential SPIs with
/// sequential addresses fill only 1/16 of Linux's SPI buckets).
fn spi_of(n: u32) -> u32 {
    let mut x = n.wrapping_add(0x1234_5678);
    x = (x ^ (x >> 16)).wrapping_mul(0x7feb_352d);
    x = (x ^ (x >> 15)).wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// A typical ESP tunnel SA: distinct daddr, SPI and keys like a real SA.
fn sa(n: u32) -> Arc<XfrmState> {
    let spi = spi_of(n);
    let mut i = XfrmStateInfo::new(
        AF_INET,
        XfrmAddress::from_v4_u32(0x0a00_0000 + n),
        XfrmAddress::from_v4_u32(0xc0a8_0001),
        spi,
        IPPROTO_ESP,
    );
    i.mode = 1;
    i.reqid = 1;
    i.ealg =
        Some(sim_core::xfrm::XfrmAlgo { name: "cbc(aes)".into(), key_len: 128, key: vec![7; 16] });
    i.aalg = Some(sim_core::xfrm::XfrmAlgoAuth {
        name: "hmac(sha256)".into(),
        key_len: 256,
        trunc_len: 128,
        key: vec![9; 32],
    });
    let x = Arc::new(XfrmState::new(i, 1));
    x.set_km_state(XfrmKmState::Valid);
    x
}

fn sizes() -> Vec<u32> {
    std::env::var("SAD_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 100_000, 1_000_000])
}

fn build(n: u32) -> (StateTable, Duration, f64) {
    let before = ALLOCATED.load(Ordering::Relaxed);
    let t = StateTable::new();
    let start = Instant::now();
    for i in 0..n {
        t.xfrm_state_add(&sa(i)).expect("distinct SAs");
    }
    let took = start.elapsed();
    let bytes = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / f64::from(n);
    (t, took, bytes)
}

/// A fixed pseudo-random permutation of 0..n (xorshift), so lookups miss
/// the cache as a real workload would.
fn shuffled(n: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n).collect();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    v
}

fn sad(c: &mut Criterion) {
    if std::env::var("SAD_BENCH_LOCKDEP").as_deref() == Ok("0") {
        sim_core::lockdep::set_enabled(false);
    }
    for n in sizes() {
        let (t, took, bytes) = build(n);
        eprintln!(
            "sad n={n}: build {:.3} s ({:.0} ns/insert, {:.2} M inserts/s), {:.0} bytes/state, {} buckets",
            took.as_secs_f64(),
            took.as_nanos() as f64 / f64::from(n),
            f64::from(n) / took.as_secs_f64() / 1e6,
            bytes,
            t.xfrm_sad_getinfo().sadhcnt
        );
        let keys: Vec<(XfrmAddress, u32)> = shuffled(n)
            .into_iter()
            .map(|i| (XfrmAddress::from_v4_u32(0x0a00_0000 + i), spi_of(i)))
            .collect();

        let mut g = c.benchmark_group("sad");
        g.throughput(Throughput::Elements(1));
        let mut k = 0usize;
        g.bench_function(BenchmarkId::new("lookup", n), |b| {
            b.iter(|| {
                let (d, spi) = &keys[k];
                k = (k + 1) % keys.len();
                black_box(t.xfrm_state_lookup(0, d, *spi, IPPROTO_ESP, AF_INET))
            })
        });
        let mut extra = n;
        g.bench_function(BenchmarkId::new("insert_delete", n), |b| {
            b.iter(|| {
                let x = sa(extra);
                extra = extra.wrapping_add(1);
                t.xfrm_state_add(&x).expect("fresh SA");
                t.xfrm_state_delete(&x).expect("linked SA");
            })
        });
        g.throughput(Throughput::Elements(u64::from(n)));
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("walk", n), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut w = XfrmStateWalk::new(0, None);
                    let mut cnt = 0u32;
                    t.xfrm_state_walk(&mut w, |x, _| {
                        cnt += u32::from(x.proto);
                        Ok(())
                    })
                    .expect("non-empty");
                    black_box(cnt);
                }
                start.elapsed()
            })
        });
        g.finish();
    }
}

/// The machine's own floor for the lookup figure: one dependent random
/// 8-byte load from a 1 GiB array (a 1M-state lookup touches the bucket,
/// the slot and the state's reference count, each a likely cache and TLB
/// miss at that size).
fn memory_latency(c: &mut Criterion) {
    let words = (1usize << 30) / 8;
    // A random cyclic permutation, so each load depends on the previous one.
    let order = {
        let mut v: Vec<u32> = (0..words as u32).collect();
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for i in (1..v.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.swap(i, (s % (i as u64 + 1)) as usize);
        }
        v
    };
    let mut next = vec![0u64; words];
    for w in order.windows(2) {
        next[w[0] as usize] = u64::from(w[1]);
    }
    next[order[words - 1] as usize] = u64::from(order[0]);
    drop(order);
    let mut cur = 0u64;
    c.bench_function("baseline: one random load in 1 GiB", |b| {
        b.iter(|| {
            cur = next[cur as usize];
            black_box(cur)
        })
    });
}

criterion_group!(benches, sad, memory_latency);
criterion_main!(benches);
