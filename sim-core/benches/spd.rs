//! SPD flow lookup (`xfrm_policy_lookup`) cost against table size, for
//! exact (host-to-host, hashed) and prefixed (inexact) policies.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sim_core::lockdep;
use sim_core::xfrm::addr::{AF_INET, XfrmAddress};
use sim_core::xfrm::policy::{XFRM_POLICY_OUT, XfrmPolicyInfo};
use sim_core::xfrm::selector::{XfrmFlow, XfrmSelector};
use sim_core::xfrm::spd::PolicyTable;

fn v4(n: u32) -> XfrmAddress {
    Ipv4Addr::from(n).into()
}

/// `10.x.y.z/32 -> 172.16.x.y/32`, n distinct pairs.
fn exact_table(n: u32) -> PolicyTable {
    let t = PolicyTable::new();
    for i in 0..n {
        let sel = XfrmSelector {
            daddr: v4(0x0a00_0000 + i),
            saddr: v4(0xac10_0000 + i),
            prefixlen_d: 32,
            prefixlen_s: 32,
            family: AF_INET,
            ..Default::default()
        };
        let info = XfrmPolicyInfo { sel, ..Default::default() };
        t.xfrm_policy_insert(XFRM_POLICY_OUT, info, true, 0).expect("insert");
    }
    t
}

/// The oracle's "prefix" kind: `10.a.b.0/24 -> 172.16.0.0/12`.
fn prefix_table(n: u32) -> PolicyTable {
    let t = PolicyTable::new();
    for i in 0..n {
        let sel = XfrmSelector {
            daddr: v4(0x0a00_0000 + (i << 8)),
            saddr: v4(0xac10_0000),
            prefixlen_d: 24,
            prefixlen_s: 12,
            family: AF_INET,
            ..Default::default()
        };
        let info = XfrmPolicyInfo { sel, ..Default::default() };
        t.xfrm_policy_insert(XFRM_POLICY_OUT, info, true, 0).expect("insert");
    }
    t
}

/// Flows spread over the table with a multiplicative step, so successive
/// lookups land in unrelated buckets / list positions.
fn flows(n: u32, exact: bool) -> Vec<XfrmFlow> {
    (0..1024u32)
        .map(|k| {
            let i = k.wrapping_mul(2_654_435_761) % n;
            let (d, s) = if exact {
                (0x0a00_0000 + i, 0xac10_0000 + i)
            } else {
                (0x0a00_0000 + (i << 8) + 7, 0xac10_0000 + 99)
            };
            XfrmFlow::ports(v4(d), v4(s), 6, 443, 40000)
        })
        .collect()
}

fn bench_lookup(c: &mut Criterion, group: &str, lockdep_on: bool) {
    lockdep::set_enabled(lockdep_on);
    let mut g = c.benchmark_group(group);
    let sizes: &[(bool, u32)] = if lockdep_on {
        &[(true, 100_000), (false, 10_000)]
    } else {
        &[(true, 1_000), (true, 10_000), (true, 100_000), (false, 1_000), (false, 10_000)]
    };
    for &(exact, n) in sizes {
        let t = if exact { exact_table(n) } else { prefix_table(n) };
        let fl = flows(n, exact);
        let mut k = 0usize;
        let name = if exact { "exact" } else { "prefix" };
        g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
            b.iter(|| {
                k = (k + 1) % fl.len();
                let f = &fl[k];
                let p = t.xfrm_policy_lookup(black_box(f), AF_INET, XFRM_POLICY_OUT, 0);
                assert!(p.is_some());
                p
            })
        });
    }
    g.finish();
    lockdep::set_enabled(true);
}

fn spd_lookup(c: &mut Criterion) {
    bench_lookup(c, "spd_lookup", false);
    bench_lookup(c, "spd_lookup_lockdep", true);
}

criterion_group!(benches, spd_lookup);
criterion_main!(benches);
