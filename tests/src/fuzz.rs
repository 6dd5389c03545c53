//! A mutation fuzzer for the NETLINK_XFRM front end: random datagrams and
//! mutations of every request of the differential scripts, sent by a
//! privileged and an unprivileged socket, with a listener on every group.
//! After each input every socket is drained; the checks are: no panic,
//! every reply datagram is a well-formed netlink message sequence, and no
//! socket keeps queued memory (`sk_rmem_alloc` back to 0, queues empty).

use std::time::Duration;

use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_sockets::socket::MSG_DONTWAIT;
use sim_sockets::xfrm_user::XfrmUser;
use sim_sockets::{Kernel, Net, Socket, Task};

use crate::simkernel::{NETLINK_EXT_ACK, SOL_NETLINK, xfrm_kernel, xfrm_sock, xfrm_socket};

/// xorshift64*: deterministic and fast; the fuzzer's only randomness.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The requests of the committed replay scripts: the seed corpus.
pub fn seed_corpus() -> Vec<Vec<u8>> {
    let dir = crate::replay_diff::replay_dir();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let n = p.to_string_lossy().into_owned();
        if !n.ends_with(".jsonl") || n.contains(".kernel") {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap_or_default().lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if let (Some(_), Some(h)) = (v.get("send"), v.get("hex").and_then(|h| h.as_str())) {
                let b: Option<Vec<u8>> = (0..h.len() / 2)
                    .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect();
                // Split multi-message datagrams so each message also
                // stands alone.
                if let Some(b) = b {
                    let mut off = 0;
                    while off + 16 <= b.len() {
                        let len = u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
                            as usize;
                        if len < 16 || off + len > b.len() {
                            break;
                        }
                        out.push(b[off..off + len].to_vec());
                        off += (len + 3) & !3;
                    }
                    out.push(b);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

const INTERESTING: [u32; 10] = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff];

/// One mutation of `input` (possibly using another corpus entry).
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], input: &mut Vec<u8>) {
    match rng.below(10) {
        0 => {
            // flip bits
            for _ in 0..1 + rng.below(4) {
                if !input.is_empty() {
                    let i = rng.below(input.len());
                    input[i] ^= 1 << rng.below(8);
                }
            }
        }
        1 => {
            // an interesting value at a 4-aligned spot
            if input.len() >= 4 {
                let i = rng.below(input.len() / 4) * 4;
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let w = rng.below(3);
                let b = v.to_le_bytes();
                let n = [1, 2, 4][w];
                input[i..i + n].copy_from_slice(&b[..n]);
            }
        }
        2 => {
            // header fields: length, type, flags
            if input.len() >= 16 {
                match rng.below(3) {
                    0 => {
                        let l = (input.len() as i64 + rng.below(64) as i64 - 32).max(0) as u32;
                        input[0..4].copy_from_slice(&l.to_le_bytes());
                    }
                    1 => {
                        let t = rng.below(0x30) as u16;
                        input[4..6].copy_from_slice(&t.to_le_bytes());
                    }
                    _ => {
                        let f = [0x1u16, 0x5, 0x301, 0x305, 0x0, 0x4, 0x9, 0xffff][rng.below(8)];
                        input[6..8].copy_from_slice(&f.to_le_bytes());
                    }
                }
            }
        }
        3 => {
            // truncate
            if !input.is_empty() {
                let n = rng.below(input.len());
                input.truncate(n);
            }
        }
        4 => {
            // append random bytes or a random attribute
            if rng.below(2) == 0 {
                for _ in 0..rng.below(16) {
                    input.push(rng.next_u64() as u8);
                }
            } else {
                let plen = rng.below(80);
                let ty = rng.below(48) as u16;
                input.extend_from_slice(&((4 + plen) as u16).to_le_bytes());
                input.extend_from_slice(&ty.to_le_bytes());
                input.extend((0..plen).map(|_| rng.next_u64() as u8));
                while !input.len().is_multiple_of(4) {
                    input.push(0);
                }
            }
            if input.len() >= 4 && rng.below(2) == 0 {
                let l = input.len() as u32;
                input[0..4].copy_from_slice(&l.to_le_bytes());
            }
        }
        5 => {
            // splice: this message's head, another's tail
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() && !input.is_empty() {
                let a = rng.below(input.len());
                let b = rng.below(other.len());
                input.truncate(a);
                input.extend_from_slice(&other[b..]);
            }
        }
        6 => {
            // concatenate two messages in one datagram
            input.extend_from_slice(&corpus[rng.below(corpus.len())]);
        }
        7 => {
            // an attribute length field beyond the fixed part
            if input.len() > 24 {
                let i = 16 + rng.below(input.len() - 18);
                let v = [0u16, 3, 4, 5, 8, 0xffff, 0x1000][rng.below(7)];
                input[i..i + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
        8 => {
            // random byte overwrite run
            if !input.is_empty() {
                let i = rng.below(input.len());
                let n = (1 + rng.below(8)).min(input.len() - i);
                for b in &mut input[i..i + n] {
                    *b = rng.next_u64() as u8;
                }
            }
        }
        _ => {
            // a prefix/selector-like field: small numbers
            if input.len() > 16 {
                let i = 16 + rng.below(input.len() - 16);
                input[i] = rng.below(140) as u8;
            }
        }
    }
}

/// What a fuzz run did.
#[derive(Debug, Default, Clone)]
pub struct FuzzStats {
    /// Inputs sent.
    pub inputs: u64,
    /// Reply and notification datagrams read.
    pub datagrams: u64,
    /// Inputs that got at least one `NLMSG_ERROR` with a non-zero code.
    pub errors: u64,
    /// Inputs answered by a success ACK or an object.
    pub successes: u64,
    /// The largest `sk_rmem_alloc` seen on any socket right after an
    /// input, before draining.
    pub max_queued: usize,
}

struct Peer {
    sock: Socket,
    task: Arc<Task>,
    pid: u32,
}

/// The fuzzing harness: one kernel, a privileged requester, an
/// unprivileged one, and a listener on every XFRM group.
pub struct XfrmFuzzer {
    kernel: Kernel,
    _user: Arc<XfrmUser>,
    net: Arc<Net>,
    peers: Vec<Peer>,
    corpus: Vec<Vec<u8>>,
    rng: Rng,
    /// Counters of the run so far.
    pub stats: FuzzStats,
    /// Whether [`XfrmFuzzer::run`] advances the clock (timers fire).
    pub clock_jumps: bool,
    /// The input being processed (printed when a check fails).
    pub current: Vec<u8>,
}

/// A `FLUSHPOLICY` + `FLUSHSA` datagram (keeps the tables small).
const FLUSH: [u8; 36] = [
    16, 0, 0, 0, 0x1d, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, // FLUSHPOLICY
    20, 0, 0, 0, 0x1c, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, // FLUSHSA any
];

impl XfrmFuzzer {
    /// A harness with the given seed.
    pub fn new(seed: u64) -> XfrmFuzzer {
        // The full profile: ESP/AH/IPComp present, so NEWSA paths run too.
        let (kernel, user) = xfrm_kernel(seed, &KernelProfile::FULL);
        let net = kernel.init_net();
        let root = kernel.root_task();
        let unpriv = kernel.spawn_task(kernel.root_cred_without_net_admin());
        let mut peers = Vec::new();
        for (task, pid, groups) in [(root.clone(), 1000, 0), (unpriv, 1001, 0), (root, 2000, 0xff)]
        {
            let sock = xfrm_socket(&task, &net, pid, groups);
            sock.setsockopt_int(&task, SOL_NETLINK, NETLINK_EXT_ACK, 1).expect("NETLINK_EXT_ACK");
            peers.push(Peer { sock, task, pid });
        }
        let corpus = seed_corpus();
        assert!(!corpus.is_empty(), "the seed corpus (tests/replay/*.jsonl) is missing");
        XfrmFuzzer {
            kernel,
            _user: user,
            clock_jumps: true,
            net,
            peers,
            corpus,
            rng: Rng::new(seed),
            stats: Default::default(),
            current: Vec::new(),
        }
    }

    /// The next input: random bytes, a seed as is, or a mutated seed.
    fn next_input(&mut self) -> Vec<u8> {
        let r = &mut self.rng;
        match r.below(16) {
            0 => (0..r.below(300)).map(|_| r.next_u64() as u8).collect(),
            1 => {
                // a random header with a plausible type and length
                let body = r.below(260);
                let mut v = Vec::with_capacity(16 + body);
                v.extend_from_slice(&((16 + body) as u32).to_le_bytes());
                v.extend_from_slice(&(0x10 + r.below(0x20) as u16).to_le_bytes());
                v.extend_from_slice(&[0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                v.extend((0..body).map(|_| r.next_u64() as u8));
                v
            }
            2 => self.corpus[r.below(self.corpus.len())].clone(),
            _ => {
                let mut v = self.corpus[r.below(self.corpus.len())].clone();
                for _ in 0..1 + r.below(3) {
                    mutate(r, &self.corpus, &mut v);
                }
                v
            }
        }
    }

    /// Sends one datagram from peer `who` and drains every socket,
    /// checking the replies and the queues.
    pub fn run_one(&mut self, who: usize, input: &[u8]) {
        self.current = input.to_vec();
        let p = &self.peers[who];
        // The send's own errno (e.g. ENODATA) is part of the behaviour,
        // not a failure.
        let _ = p.sock.sendto(&p.task, input, 0, Some(&[16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        let mut outcome = (false, false);
        for p in &self.peers {
            let q = xfrm_sock(&self.kernel, &self.net, p.pid).map_or(0, |s| s.sk().rmem_alloc());
            self.stats.max_queued = self.stats.max_queued.max(q);
        }
        for p in &self.peers {
            let mut reads = 0u32;
            loop {
                match p.sock.recvmsg(&p.task, 1 << 16, MSG_DONTWAIT) {
                    Ok(m) => {
                        self.stats.datagrams += 1;
                        check_datagram(&m.data, &mut outcome)
                            .unwrap_or_else(|e| panic!("malformed reply {e}: {}", hex(&m.data)));
                    }
                    Err(sim_core::Errno::EAGAIN) => break,
                    Err(e) => {
                        // ENOBUFS is reported once per overrun.
                        assert_eq!(e, sim_core::Errno::ENOBUFS, "recvmsg");
                    }
                }
                reads += 1;
                assert!(reads < 100_000, "a socket never runs dry");
            }
        }
        for p in &self.peers {
            let s = xfrm_sock(&self.kernel, &self.net, p.pid).expect("bound socket");
            assert_eq!(s.sk().queue_len(), 0, "port {}: queue left after draining", p.pid);
            assert_eq!(s.sk().rmem_alloc(), 0, "port {}: memory left queued", p.pid);
        }
        self.stats.inputs += 1;
        self.stats.errors += u64::from(outcome.0);
        self.stats.successes += u64::from(outcome.1);
    }

    /// Runs `n` inputs; every 2048 the tables are flushed, and every 1024
    /// (half-way between flushes) the clock jumps 10 s, so lifetimes given
    /// in the requests expire while their objects exist.
    pub fn run(&mut self, n: u64) -> FuzzStats {
        for i in 0..n {
            let input = self.next_input();
            let who = if self.rng.below(10) == 0 { 1 } else { 0 };
            self.run_one(who, &input);
            if i % 2048 == 2047 {
                self.run_one(0, &FLUSH);
            }
            if self.clock_jumps && i % 2048 == 1023 {
                self.kernel.advance(Duration::from_secs(10));
            }
        }
        self.stats.clone()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A datagram must be a sequence of netlink messages whose lengths add up;
/// notes whether it held an error and whether a success.
fn check_datagram(d: &[u8], outcome: &mut (bool, bool)) -> Result<(), String> {
    let mut off = 0;
    while off < d.len() {
        let h = d.get(off..off + 16).ok_or_else(|| format!("short header at {off}"))?;
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let ty = u16::from_le_bytes([h[4], h[5]]);
        if len < 16 || off + len > d.len() {
            return Err(format!("nlmsg_len {len} at {off} of {}", d.len()));
        }
        if ty == 2 {
            let e = d.get(off + 16..off + 20).ok_or("short NLMSG_ERROR")?;
            let code = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            if !(-4095..=0).contains(&code) {
                return Err(format!("error code {code}"));
            }
            if code == 0 { outcome.1 = true } else { outcome.0 = true }
        } else {
            outcome.1 = true;
        }
        off += (len + 3) & !3;
    }
    Ok(())
}
