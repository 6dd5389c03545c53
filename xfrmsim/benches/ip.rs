//! The command layer's own cost: `ip xfrm policy add` words to request
//! bytes, and a NEWPOLICY reply to iproute2 text, without a kernel.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use sim_core::Errno;
use xfrmsim::ip::print::Opts;
use xfrmsim::ip::run_ip;
use xfrmsim::nl::{Link, Request, messages};

/// A link that accepts every request and answers with an ACK.
struct Ack(Option<Vec<u8>>);

impl Link for Ack {
    fn send(&mut self, dgram: &[u8]) -> Result<(), Errno> {
        let mut e = 0i32.to_le_bytes().to_vec();
        e.extend_from_slice(dgram.get(..16).unwrap_or_default());
        self.0 = Some(Request::new(2, 0x100, &e).bytes().to_vec());
        Ok(())
    }
    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        Ok(self.0.take())
    }
}

fn bench(c: &mut Criterion) {
    let words: Vec<String> =
        "xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp dport 443 dir out \
         priority 100 tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel reqid 5"
            .split_whitespace()
            .map(String::from)
            .collect();
    c.bench_function("ip_policy_add_to_bytes", |b| {
        b.iter(|| {
            let mut link = Ack(None);
            black_box(run_ip(&mut link, black_box(&words), &|_| None))
        })
    });
    // A NEWPOLICY as the host kernel sent it (testdata/ip_host.jsonl).
    let fixture = include_str!("../testdata/ip_host.jsonl");
    let line = fixture.lines().nth(1).unwrap_or_default();
    let hex =
        line.split("\"replies\": [\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
    let reply: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    c.bench_function("ip_policy_print_stats", |b| {
        b.iter(|| {
            let mut out = String::new();
            for m in messages(black_box(&reply)) {
                xfrmsim::ip::policy::print_policy_msg(
                    &mut out,
                    &m,
                    &Opts { stats: 1, ..Default::default() },
                );
            }
            black_box(out)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
