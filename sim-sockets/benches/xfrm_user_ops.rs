//! NETLINK_XFRM operations through the whole front end (sendmsg → parse →
//! table → notify → ACK → recvmsg), each timed in the same run against the
//! host kernel: the same request bytes on a raw `AF_NETLINK` socket opened
//! by a thread that entered a fresh network namespace
//! (`unshare(CLONE_NEWNET)`; root only — otherwise the Linux side is
//! skipped with a message).  A listener on every XFRM group is drained
//! after each request on both sides.  Also reports the simulation's heap
//! growth for 100,000 policies (a counting allocator) next to the kernel's
//! slab growth (`/proc/meminfo`), and heap allocations per round trip.
//!
//! Besides criterion's per-side timings, `paired_ratios` alternates rounds
//! of each operation between the two sides and prints the median sim/kernel
//! ratio, which the machine's drift does not skew.  Environment:
//! `XFRM_BENCH_LOCKDEP=0` turns the lock validator off (the kernel runs
//! without lockdep), `XFRM_BENCH_BATCH=N` sets the paired rounds' size
//! (default 2,000), `XFRM_BENCH_NO_RATIOS=1` skips them.

use sim_core::sync::unmodelled::{AtomicIsize, Ordering};
use std::alloc::{GlobalAlloc, Layout, System};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::netlink::NETLINK_XFRM;
use sim_sockets::netlink::wire::SockaddrNl;
use sim_sockets::socket::{AF_NETLINK, MSG_DONTWAIT, SOCK_RAW};
use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::*;
use sim_sockets::xfrm_user::{XfrmUser, xfrm_user_init};
use sim_sockets::{Kernel, Socket, Task};

/// Counts live heap bytes, for the memory figure.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as `GlobalAlloc::realloc`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;

// ------------------------------------------------------------ requests

fn msg(ty: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut v = ((16 + body.len()) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(body);
    v.resize(align4(v.len()), 0);
    v
}

/// An exact (hashed) /32 → /32 selector, distinct per `i`.
fn selector(i: u32) -> XfrmSelector {
    let b = i.to_be_bytes();
    let mut s =
        XfrmSelector { family: AF_INET, prefixlen_s: 32, prefixlen_d: 32, ..Default::default() };
    s.saddr = xfrm_address_v4([10, b[1], b[2], b[3]]);
    s.daddr = xfrm_address_v4([192, 168, b[0], 1]);
    s
}

fn newpolicy(i: u32, flags: u16) -> Vec<u8> {
    let mut p = XfrmUserpolicyInfo { sel: selector(i), dir: XFRM_POLICY_OUT, ..Default::default() };
    p.lft.soft_byte_limit = XFRM_INF;
    p.lft.hard_byte_limit = XFRM_INF;
    p.lft.soft_packet_limit = XFRM_INF;
    p.lft.hard_packet_limit = XFRM_INF;
    msg(XFRM_MSG_NEWPOLICY, flags, i, &p.to_bytes())
}

fn policy_id(ty: u16, i: u32, flags: u16) -> Vec<u8> {
    let id = XfrmUserpolicyId { sel: selector(i), dir: XFRM_POLICY_OUT, ..Default::default() };
    msg(ty, flags, i, &id.to_bytes())
}

fn allocspi(i: u32) -> Vec<u8> {
    let b = i.to_be_bytes();
    let mut s = XfrmUserspiInfo { min: 0x100 + i, max: 0x100 + i, ..Default::default() };
    s.info.family = AF_INET;
    s.info.id.proto = IPPROTO_ESP;
    s.info.id.daddr = xfrm_address_v4([172, b[1], b[2], b[3]]);
    s.info.saddr = xfrm_address_v4([10, 0, 0, 1]);
    msg(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST, i, &s.to_bytes())
}

fn flushpolicy() -> Vec<u8> {
    msg(XFRM_MSG_FLUSHPOLICY, NLM_F_REQUEST | NLM_F_ACK, 0, &[])
}

fn flushsa() -> Vec<u8> {
    msg(XFRM_MSG_FLUSHSA, NLM_F_REQUEST | NLM_F_ACK, 0, &[IPSEC_PROTO_ANY])
}

// ------------------------------------------------------------ endpoints

/// One NETLINK_XFRM socket, simulated or real.
trait Nl {
    fn send(&self, d: &[u8]);
    /// One datagram into `buf`, or `None` when nothing is queued.
    fn recv(&self, buf: &mut [u8]) -> Option<usize>;
}

struct SimNl {
    sock: Socket,
    task: Arc<Task>,
}

impl Nl for SimNl {
    fn send(&self, d: &[u8]) {
        self.sock.sendto(&self.task, d, 0, None).expect("sendto");
    }
    fn recv(&self, buf: &mut [u8]) -> Option<usize> {
        let m = self.sock.recvmsg(&self.task, buf.len(), MSG_DONTWAIT).ok()?;
        buf[..m.data.len()].copy_from_slice(&m.data);
        Some(m.data.len())
    }
}

struct LinuxNl(i32);

impl Nl for LinuxNl {
    fn send(&self, d: &[u8]) {
        // SAFETY: a valid buffer for the given length.
        let r = unsafe { libc::send(self.0, d.as_ptr().cast(), d.len(), 0) };
        assert_eq!(r, d.len() as isize, "send: {}", std::io::Error::last_os_error());
    }
    fn recv(&self, buf: &mut [u8]) -> Option<usize> {
        // SAFETY: a valid buffer for the given length.
        let r =
            unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        (r >= 0).then_some(r as usize)
    }
}

impl Drop for LinuxNl {
    fn drop(&mut self) {
        // SAFETY: our own descriptor.
        unsafe { libc::close(self.0) };
    }
}

/// A requester and a listener on every group.
struct Pair {
    a: Box<dyn Nl>,
    l: Box<dyn Nl>,
    buf: Vec<u8>,
}

impl Pair {
    /// Sends `d`, reads `replies` datagrams on the requester and `notes`
    /// on the listener.
    fn rt(&mut self, d: &[u8], replies: usize, notes: usize) {
        self.a.send(d);
        for _ in 0..replies {
            self.a.recv(&mut self.buf).expect("a reply");
        }
        for _ in 0..notes {
            self.l.recv(&mut self.buf).expect("a notification");
        }
    }

    /// Drains both sockets.
    fn drain(&mut self) {
        while self.a.recv(&mut self.buf).is_some() {}
        while self.l.recv(&mut self.buf).is_some() {}
    }

    /// Adds policies `from..to`, 100 per datagram without ACKs.
    fn populate(&mut self, from: u32, to: u32) {
        let mut d = Vec::new();
        for i in from..to {
            d.extend(newpolicy(i, NLM_F_REQUEST));
            if (i - from) % 100 == 99 || i + 1 == to {
                self.a.send(&d);
                d.clear();
                self.drain();
            }
        }
    }

    fn flush(&mut self) {
        self.a.send(&flushpolicy());
        self.a.send(&flushsa());
        self.drain();
    }

    /// A whole dump: request, then every part until NLMSG_DONE.
    fn dump(&mut self) -> usize {
        self.a.send(&msg(XFRM_MSG_GETPOLICY, NLM_F_REQUEST | NLM_F_DUMP, 9, &[]));
        let mut n = 0;
        loop {
            let len = self.a.recv(&mut self.buf).expect("a dump part");
            let mut off = 0;
            while off + 16 <= len {
                let l = u32::from_le_bytes(self.buf[off..off + 4].try_into().unwrap()) as usize;
                let ty = u16::from_le_bytes([self.buf[off + 4], self.buf[off + 5]]);
                if ty == NLMSG_DONE || ty == NLMSG_ERROR {
                    return n;
                }
                n += 1;
                off += align4(l.max(16));
            }
        }
    }
}

struct Sim {
    kernel: Kernel,
    _user: Arc<XfrmUser>,
}

fn sim_pair() -> (Sim, Pair) {
    let kernel = Kernel::with_seed(0);
    let xfrm =
        Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).expect("xfrm");
    let user = xfrm_user_init(&kernel, &xfrm, &KernelProfile::HOST).expect("xfrm_user_init");
    let net = kernel.init_net();
    let task = kernel.root_task();
    let open = |pid: u32, groups: u32| -> Box<dyn Nl> {
        let sock = task.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM).expect("socket");
        sock.bind(&task, &SockaddrNl::new(pid, groups).to_bytes()).expect("bind");
        sock.setsockopt_int(&task, 1, 33, 1 << 30).expect("SO_RCVBUFFORCE");
        Box::new(SimNl { sock, task: task.clone() })
    };
    let pair = Pair { a: open(1000, 0), l: open(2000, 0xff), buf: vec![0; 1 << 16] };
    (Sim { kernel, _user: user }, pair)
}

/// Two sockets in a fresh namespace of the host kernel, or why not.
fn linux_pair() -> Result<Pair, String> {
    let fds = std::thread::spawn(|| -> Result<[i32; 2], String> {
        // SAFETY: plain syscalls; this thread alone enters the namespace.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNET) != 0 {
                return Err(format!("unshare(CLONE_NEWNET): {}", std::io::Error::last_os_error()));
            }
            let mut out = [0; 2];
            for (k, groups) in [0u32, 0xff].into_iter().enumerate() {
                let fd = libc::socket(
                    libc::AF_NETLINK,
                    libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                    NETLINK_XFRM,
                );
                if fd < 0 {
                    return Err(format!("socket: {}", std::io::Error::last_os_error()));
                }
                let mut sa: libc::sockaddr_nl = std::mem::zeroed();
                sa.nl_family = libc::AF_NETLINK as u16;
                sa.nl_groups = groups;
                let r = libc::bind(
                    fd,
                    (&sa as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as u32,
                );
                if r != 0 {
                    return Err(format!("bind: {}", std::io::Error::last_os_error()));
                }
                let big: i32 = 1 << 30;
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVBUFFORCE,
                    (&big as *const i32).cast(),
                    4,
                );
                out[k] = fd;
            }
            Ok(out)
        }
    })
    .join()
    .map_err(|_| "the namespace thread panicked".to_owned())??;
    Ok(Pair { a: Box::new(LinuxNl(fds[0])), l: Box::new(LinuxNl(fds[1])), buf: vec![0; 1 << 16] })
}

fn sides() -> Vec<(&'static str, Pair, Option<Sim>)> {
    // The kernel runs without lockdep; `XFRM_BENCH_LOCKDEP=0` compares like
    // with like (the default keeps the validator on, as tests run).
    if std::env::var("XFRM_BENCH_LOCKDEP").as_deref() == Ok("0") {
        sim_core::lockdep::set_enabled(false);
    }
    let (sim, p) = sim_pair();
    let mut v = vec![("sim", p, Some(sim))];
    match linux_pair() {
        Ok(p) => v.push(("linux", p, None)),
        Err(why) => eprintln!("xfrm_user_ops: Linux side skipped: {why}"),
    }
    v
}

/// Heap allocations per round trip of `reqs` (each answered by `replies`
/// datagrams and `notes` notifications), printed for the simulation.
fn report_allocs(
    side: &str,
    what: &str,
    p: &mut Pair,
    reqs: &[Vec<u8>],
    replies: usize,
    notes: usize,
) {
    if side != "sim" {
        return;
    }
    let a0 = ALLOCS.load(Ordering::Relaxed);
    reqs.iter().for_each(|r| p.rt(r, replies, notes));
    let n = ALLOCS.load(Ordering::Relaxed) - a0;
    eprintln!(
        "xfrm_user: sim heap allocations per {what} round trip: {:.1}",
        n as f64 / reqs.len() as f64
    );
}

/// One of the per-message operations, timed over `n` messages with its
/// setup and cleanup outside the clock.
#[derive(Clone, Copy)]
enum Op {
    /// NEWPOLICY with ACK (reply + notification); the SPD is flushed after.
    NewPolicy,
    /// GETPOLICY of one of 1,000 installed policies (installed by the
    /// caller with `Pair::populate(0, 1000)`).
    GetPolicy,
    /// DELPOLICY with ACK of `n` policies installed just before.
    DelPolicy,
    /// ALLOCSPI of a fresh larval state; the SAD is flushed after.
    AllocSpi,
}

impl Op {
    const ALL: [(Op, &'static str); 4] = [
        (Op::NewPolicy, "newpolicy"),
        (Op::GetPolicy, "getpolicy"),
        (Op::DelPolicy, "delpolicy"),
        (Op::AllocSpi, "allocspi"),
    ];

    /// Time for `n` (≤ 2,000, so the tables stay near the same size on
    /// both sides: ALLOCSPI is O(larval states) in Linux) messages.
    fn time(self, p: &mut Pair, n: u32, gets_from: u32) -> Duration {
        let (reqs, replies, notes): (Vec<_>, _, _) = match self {
            Op::NewPolicy => {
                ((0..n).map(|i| newpolicy(i, NLM_F_REQUEST | NLM_F_ACK)).collect(), 1, 1)
            }
            Op::GetPolicy => (
                (0..n)
                    .map(|i| policy_id(XFRM_MSG_GETPOLICY, (gets_from + i) % 1000, NLM_F_REQUEST))
                    .collect(),
                1,
                0,
            ),
            Op::DelPolicy => {
                p.populate(0, n);
                (
                    (0..n)
                        .map(|i| policy_id(XFRM_MSG_DELPOLICY, i, NLM_F_REQUEST | NLM_F_ACK))
                        .collect(),
                    1,
                    1,
                )
            }
            Op::AllocSpi => ((0..n).map(allocspi).collect(), 1, 0),
        };
        let s = Instant::now();
        for r in &reqs {
            p.rt(r, replies, notes);
        }
        let t = s.elapsed();
        if matches!(self, Op::NewPolicy | Op::AllocSpi) {
            p.flush();
        }
        t
    }
}

/// Per-message operations through criterion, one side after the other.
fn per_message(c: &mut Criterion) {
    const CHUNK: u64 = 2000;
    let mut g = c.benchmark_group("xfrm_user");
    for (side, mut p, _sim) in sides() {
        let adds: Vec<_> = (0..1000).map(|i| newpolicy(i, NLM_F_REQUEST | NLM_F_ACK)).collect();
        report_allocs(side, "newpolicy", &mut p, &adds, 1, 1);
        let dels: Vec<_> = (0..1000)
            .map(|i| policy_id(XFRM_MSG_DELPOLICY, i, NLM_F_REQUEST | NLM_F_ACK))
            .collect();
        report_allocs(side, "delpolicy", &mut p, &dels, 1, 1);
        p.populate(0, 1000);
        let gets: Vec<_> =
            (0..1000).map(|i| policy_id(XFRM_MSG_GETPOLICY, i, NLM_F_REQUEST)).collect();
        report_allocs(side, "getpolicy", &mut p, &gets, 1, 0);
        p.flush();
        report_allocs(side, "allocspi", &mut p, &(0..1000).map(allocspi).collect::<Vec<_>>(), 1, 0);
        p.flush();
        for (op, name) in Op::ALL {
            if matches!(op, Op::GetPolicy) {
                p.populate(0, 1000);
            }
            g.bench_function(BenchmarkId::new(name, side), |b| {
                b.iter_custom(|iters| {
                    let mut t = Duration::ZERO;
                    let mut done = 0;
                    while done < iters {
                        let n = (iters - done).min(CHUNK) as u32;
                        t += op.time(&mut p, n, done as u32);
                        done += u64::from(n);
                    }
                    t
                })
            });
            if matches!(op, Op::GetPolicy) {
                p.flush();
            }
        }
    }
    g.finish();
}

/// The ratios themselves, robust to the machine's drift: rounds of
/// `XFRM_BENCH_BATCH` messages (default 2,000, criterion's chunk)
/// alternate between the simulation and the kernel (the order flipping
/// each round), and each round gives one sim/kernel ratio; the median and
/// quartiles of 41 rounds are printed.
fn paired_ratios(_c: &mut Criterion) {
    const ROUNDS: usize = 41;
    if std::env::var_os("XFRM_BENCH_NO_RATIOS").is_some() {
        return;
    }
    let batch: u32 = std::env::var("XFRM_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&b| (1..=2000).contains(&b))
        .unwrap_or(2000);
    let mut sides = sides();
    if sides.len() < 2 {
        eprintln!("xfrm_user_ratio: no kernel side, no ratios");
        return;
    }
    for (op, name) in Op::ALL {
        let mut ratios = Vec::with_capacity(ROUNDS);
        let mut per_op = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
        for (_, p, _) in sides.iter_mut() {
            if matches!(op, Op::GetPolicy) {
                p.populate(0, 1000);
            }
            op.time(p, batch, 0); // warm-up
        }
        for round in 0..ROUNDS {
            let mut t = [Duration::ZERO; 2];
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for k in order {
                t[k] = op.time(&mut sides[k].1, batch, round as u32 * batch);
            }
            ratios.push(t[0].as_secs_f64() / t[1].as_secs_f64());
            for k in 0..2 {
                per_op[k].push(t[k].as_nanos() as f64 / f64::from(batch));
            }
        }
        for (_, p, _) in sides.iter_mut() {
            p.flush();
        }
        ratios.sort_by(f64::total_cmp);
        per_op.iter_mut().for_each(|v| v.sort_by(f64::total_cmp));
        eprintln!(
            "xfrm_user_ratio: {name:<9} sim/linux median {:.3} (quartiles {:.3}–{:.3}, {ROUNDS} rounds of {batch}; medians sim {:.0} ns, linux {:.0} ns)",
            ratios[ROUNDS / 2],
            ratios[ROUNDS / 4],
            ratios[3 * ROUNDS / 4],
            per_op[0][ROUNDS / 2],
            per_op[1][ROUNDS / 2]
        );
    }
}

fn slab_kib() -> Option<i64> {
    let m = std::fs::read_to_string("/proc/meminfo").ok()?;
    m.lines().find(|l| l.starts_with("Slab:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// A dump of 100,000 policies, and the memory they take.
fn dump_100k(c: &mut Criterion) {
    const N: u32 = 100_000;
    let mut g = c.benchmark_group("xfrm_user_dump");
    g.sample_size(10);
    for (side, mut p, sim) in sides() {
        let (heap0, slab0) = (LIVE.load(Ordering::Relaxed), slab_kib());
        p.populate(0, N);
        let (heap1, slab1) = (LIVE.load(Ordering::Relaxed), slab_kib());
        match (side, slab0, slab1) {
            ("sim", _, _) => eprintln!(
                "xfrm_user_dump: sim heap for {N} policies: {:.1} MiB ({} bytes/policy)",
                (heap1 - heap0) as f64 / 1048576.0,
                (heap1 - heap0) / N as isize
            ),
            (_, Some(a), Some(b)) => eprintln!(
                "xfrm_user_dump: linux slab growth for {N} policies: {:.1} MiB ({} bytes/policy, machine-wide)",
                (b - a) as f64 / 1024.0,
                (b - a) * 1024 / i64::from(N)
            ),
            _ => {}
        }
        assert_eq!(p.dump(), N as usize, "{side}: dump size");
        g.bench_function(BenchmarkId::new("dump_100k", side), |b| b.iter(|| p.dump()));
        p.flush();
        drop(sim.map(|s| s.kernel));
    }
    g.finish();
}

criterion_group!(benches, per_message, paired_ratios, dump_100k);
criterion_main!(benches);
