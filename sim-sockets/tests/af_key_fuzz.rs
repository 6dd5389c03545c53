//! Random and mutated PF_KEY requests through the whole front end: no
//! panic, and a request that is refused (by `send()` or with an error
//! reply) leaves the SAD and SPD as they were. `AFKEY_FUZZ_ITERS` sets the
//! number of messages (default 20 000; the full run uses 10 000 000).

mod afk;

use afk::*;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_sockets::Net;

/// xorshift64*: a fixed, seedable stream for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let a = addr(5, SRC, 32, 0);
    let d = addr(6, DST, 32, 0);
    vec![
        esp_add(3, 1, 0x1000, DST),
        esp_add(2, 2, 0x1000, DST),
        msg(3, AH, 3, &[sa(0x2000, 2, 0), a.clone(), d.clone(), key(8, 128, &[1; 16])]),
        msg(1, ESP, 4, &[a.clone(), d.clone(), spirange(0x300, 0x3ff)]),
        msg(4, ESP, 5, &[sa(0x1000, 0, 0), a.clone(), d.clone()]),
        msg(5, ESP, 6, &[sa(0x1000, 0, 0), a.clone(), d.clone()]),
        msg(6, ESP, 7, &[]),
        msg(7, ESP, 8, &[]),
        msg(9, 0, 9, &[]),
        msg(10, 0, 10, &[]),
        msg(11, 1, 11, &[]),
        msg(
            14,
            0,
            12,
            &[
                addr(5, SRC, 24, 255),
                addr(6, DST, 24, 255),
                pol(2, 2, 0, &[rq(50, 2, 3, 0, Some((SRC, DST)))]),
            ],
        ),
        msg(
            13,
            0,
            13,
            &[a.clone(), d.clone(), pol(2, 1, 0, &[rq(50, 1, 2, 0, None), rq(51, 1, 1, 0, None)])],
        ),
        msg(15, 0, 14, &[a.clone(), d.clone(), pol(0, 2, 0, &[])]),
        msg(16, 0, 15, &[pol(0, 0, 1, &[])]),
        msg(18, 0, 16, &[]),
        msg(19, 0, 17, &[]),
        msg(20, 0, 18, &[a.clone(), d.clone(), pol(0, 3, 0, &[])]),
        msg(22, 0, 19, &[pol(0, 0, 8, &[])]),
        msg(
            24,
            0,
            20,
            &[
                a.clone(),
                d.clone(),
                pol(
                    2,
                    2,
                    0,
                    &[rq(50, 2, 2, 1, Some((SRC, DST))), rq(50, 2, 2, 1, Some((DST, SRC)))],
                ),
            ],
        ),
    ]
}

fn mutate(r: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut m = base.to_vec();
    for _ in 0..=r.below(4) {
        match r.below(7) {
            0 | 1 => {
                let i = r.below(m.len());
                if let Some(b) = m.get_mut(i) {
                    *b ^= 1 << r.below(8);
                }
            }
            2 => {
                let i = r.below(m.len());
                if let Some(b) = m.get_mut(i) {
                    *b = r.next() as u8;
                }
            }
            3 => m.truncate(r.below(m.len() + 1)),
            4 => m.extend((0..r.below(24)).map(|_| r.next() as u8)),
            // an extension header with a random length and type
            5 if m.len() >= 20 => {
                let i = 16 + 8 * r.below((m.len() - 16) / 8);
                if i + 4 <= m.len() {
                    m[i] = r.below(8) as u8;
                    m[i + 2] = r.below(30) as u8;
                }
            }
            _ => {
                if let Some(b) = m.get_mut(1) {
                    *b = r.below(26) as u8;
                }
            }
        }
    }
    // Keep the header's length consistent half of the time, so most
    // requests reach the parser.
    if r.below(2) == 0 && m.len() >= 16 {
        let l = (m.len() / 8) as u16;
        m[4..6].copy_from_slice(&l.to_le_bytes());
        m[0] = 2;
        m[6] = 0;
        m[7] = 0;
    }
    m
}

fn random_msg(r: &mut Rng) -> Vec<u8> {
    let n = 16 + 8 * r.below(16);
    let mut m: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
    m[0] = 2;
    m[1] = r.below(26) as u8;
    m[4..6].copy_from_slice(&((n / 8) as u16).to_le_bytes());
    m[6] = 0;
    m[7] = 0;
    m
}

/// What a refused request must not change.
fn fingerprint(net: &Net) -> (usize, usize, u64, u64) {
    let states = net.xfrm.state.states();
    let spis = states.iter().map(|x| u64::from(x.spi()) ^ (x.km_state() as u64) << 40).sum();
    let pols = net.xfrm.policy.policies();
    let idx = pols.iter().map(|p| u64::from(p.index())).sum();
    (states.len(), pols.len(), spis, idx)
}

#[test]
fn random_and_mutated_requests_never_panic_and_refusals_change_nothing() {
    let iters: u64 =
        std::env::var("AFKEY_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let k = kernel(&KernelProfile::DEBIAN_6_1);
    let net = k.kernel.init_net();
    let s = k.open();
    let listener = k.open();
    let corpus = corpus();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut refused, mut replied) = (0u64, 0u64);
    for i in 0..iters {
        let m = if r.below(4) == 0 {
            random_msg(&mut r)
        } else {
            let base = &corpus[r.below(corpus.len())];
            mutate(&mut r, base)
        };
        let before = fingerprint(&net);
        let sent = k.send(&s, &m);
        let got = k.drain(&s);
        k.drain(&listener);
        let error_reply = got.iter().any(|g| {
            // (not a promiscuous copy of the request itself)
            g.len() == 16
                && g[2] != 0
                && g.get(8..16) == m.get(8..16)
                && g[1] == m[1]
                && m.get(..16) != Some(g.as_slice())
        });
        // A failing GETSPI keeps the larval SA it made (Linux does too).
        if sent.is_err() || (error_reply && m[1] != 1) {
            refused += 1;
            assert_eq!(fingerprint(&net), before, "message {i}: {m:02x?}");
        } else {
            replied += 1;
        }
        if i % 512 == 511 {
            let _ = k.xfrm.xfrm_state_flush(&net, 255);
            let _ = k.xfrm.xfrm_policy_flush(&net, 0);
        }
    }
    eprintln!("af_key fuzz: {iters} messages, {refused} refused, {replied} accepted");
    assert_eq!(refused + replied, iters);
    assert!(refused > 0 && replied > 0);
}
