//! The NETLINK_XFRM front end under random and mutated requests: no panic,
//! well-formed replies, nothing left queued.  `XFRM_FUZZ_INPUTS` sets the
//! count (default 20,000, a few seconds; the long run used 10,000,000 in a
//! release build), `XFRM_FUZZ_SEED` the seed, `XFRM_FUZZ_CLOCK=0` keeps
//! the clock still (no lifetime expiries).

use tests::fuzz::XfrmFuzzer;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn fuzz_netlink_xfrm_front_end() {
    let n = env_u64("XFRM_FUZZ_INPUTS", 20_000);
    let seed = env_u64("XFRM_FUZZ_SEED", 0x5eed);
    let mut f = XfrmFuzzer::new(seed);
    f.clock_jumps = env_u64("XFRM_FUZZ_CLOCK", 1) != 0;
    let t = std::time::Instant::now();
    let s = f.run(n);
    eprintln!("fuzz: {s:?} in {:?}", t.elapsed());
    assert_eq!(s.inputs, n + n / 2048);
    assert!(s.errors > 0 && s.datagrams > 0, "the inputs reach the handlers: {s:?}");
}

/// A bad length in the middle of a batch: the messages before it are
/// answered, the rest of the datagram is dropped, and nothing stays queued.
#[test]
fn truncated_batch_leaves_nothing_queued() {
    let mut f = XfrmFuzzer::new(1);
    let mut d = vec![16, 0, 0, 0, 0x23, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    d.extend_from_slice(&[200, 0, 0, 0, 0x23, 0, 5, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    f.run_one(0, &d);
    assert_eq!(f.stats.inputs, 1);
    assert!(f.stats.datagrams >= 1);
}
