//! sim-km benchmarks: one notification fanned out to 64 managers; the
//! acquire round trip (miss → ACQUIRE → the manager adds the SA → the
//! sleeper wakes → the restarted lookup hits); the hit path of
//! `xfrm_lookup` with 10,000 states and 10,000 policies.

use sim_core::sync::atomic::{AtomicU64, Ordering};
use sim_core::sync::{Arc, Condvar, Mutex};
use std::thread;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::KResult;
use sim_core::lockdep;
use sim_core::rng::KernelRng;
use sim_core::task::SignalState;
use sim_core::time::Clock;
use sim_core::xfrm::policy::{XFRM_POLICY_OUT, XfrmPolicyInfo};
use sim_core::xfrm::selector::IPPROTO_TCP;
use sim_core::xfrm::state::{IPPROTO_ESP, XfrmId};
use sim_core::xfrm::state_table::XfrmAcqSeq;
use sim_core::xfrm::{
    AF_INET, XfrmAddress, XfrmFlow, XfrmKmState, XfrmPolicy, XfrmSelector, XfrmState,
    XfrmStateInfo, XfrmTmpl,
};
use sim_km::xfrm_msg::XFRM_MSG_NEWSA;
use sim_km::{FLOWI_FLAG_CAN_SLEEP, KeyManager, KmEvent, Xfrm, XfrmDst};
use sim_netns::{Net, NetRegistry};

fn addr(i: u32) -> XfrmAddress {
    XfrmAddress::from_v4_u32(i)
}

const LOCAL: u32 = 0x0a00_0001;
const PEER_BASE: u32 = 0x0b00_0000;

fn tmpl(reqid: u32) -> XfrmTmpl {
    XfrmTmpl {
        id: XfrmId { daddr: XfrmAddress::ANY, spi: 0, proto: IPPROTO_ESP },
        encap_family: AF_INET,
        reqid,
        ..Default::default()
    }
}

fn policy(peer: u32, reqid: u32) -> XfrmPolicyInfo {
    XfrmPolicyInfo {
        sel: XfrmSelector::host_to_host(AF_INET, addr(peer), addr(LOCAL)),
        tmpls: vec![tmpl(reqid)],
        ..Default::default()
    }
}

fn state(peer: u32, reqid: u32, spi: u32, seq: u32) -> Arc<XfrmState> {
    let mut info = XfrmStateInfo::new(AF_INET, addr(peer), addr(LOCAL), spi, IPPROTO_ESP);
    info.reqid = reqid;
    info.seq = seq;
    let x = Arc::new(XfrmState::new(info, 0));
    x.set_km_state(XfrmKmState::Valid);
    x
}

fn flow(peer: u32) -> XfrmFlow {
    XfrmFlow::ports(addr(peer), addr(LOCAL), IPPROTO_TCP, 80, 40000)
}

fn kernel() -> (NetRegistry, Arc<Net>, Xfrm) {
    let reg = NetRegistry::new();
    let net = reg.init_net().clone();
    let xfrm = Xfrm::new(&reg, Clock::new_virtual(), KernelRng::from_seed(1)).expect("xfrm");
    (reg, net, xfrm)
}

struct Counting(AtomicU64);

impl KeyManager for Counting {
    fn notify(&self, _x: Option<&Arc<XfrmState>>, _c: &KmEvent) -> KResult<()> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn notify_fanout(c: &mut Criterion) {
    let (_reg, net, xfrm) = kernel();
    for _ in 0..64 {
        xfrm.km().xfrm_register_km(Arc::new(Counting(AtomicU64::new(0))));
    }
    let x = state(PEER_BASE, 1, 0x100, 0);
    let ev = KmEvent::new(&net, XFRM_MSG_NEWSA);
    let mut g = c.benchmark_group("km");
    g.throughput(Throughput::Elements(64));
    g.bench_function("km_state_notify_64_managers", |b| {
        b.iter(|| xfrm.km().km_state_notify(Some(&x), &ev))
    });
    g.finish();
}

/// A daemon: acquires go to a queue its thread answers from.
struct Daemon {
    acqseq: Arc<XfrmAcqSeq>,
    queue: Mutex<Vec<u32>>,
    cond: Condvar,
}

impl KeyManager for Daemon {
    fn acquire(
        &self,
        _net: &Net,
        x: &Arc<XfrmState>,
        _t: &XfrmTmpl,
        _p: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        let seq = self.acqseq.next();
        x.set_seq_before_insert(seq);
        self.queue.lock().push(seq);
        self.cond.notify_one();
        Ok(())
    }

    fn is_alive(&self, _c: &KmEvent) -> bool {
        true
    }
}

fn acquire_round_trip(c: &mut Criterion) {
    let (_reg, net, xfrm) = kernel();
    net.xfrm.sysctl_larval_drop.store(0, Ordering::Relaxed);
    let daemon = Arc::new(Daemon {
        acqseq: xfrm.acqseq(),
        queue: Mutex::new(Vec::new()),
        cond: Condvar::new(),
    });
    xfrm.km().xfrm_register_km(daemon.clone());
    xfrm.xfrm_policy_insert(&net, XFRM_POLICY_OUT, policy(PEER_BASE, 1), true).expect("policy");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spi = Arc::new(AtomicU64::new(0x1000));
    let answerer = {
        let (xfrm, net, daemon, stop, spi) =
            (xfrm.clone(), net.clone(), daemon.clone(), stop.clone(), spi.clone());
        thread::spawn(move || {
            loop {
                let seq = {
                    let mut q = daemon.queue.lock();
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        if let Some(s) = q.pop() {
                            break s;
                        }
                        daemon.cond.wait(&mut q);
                    }
                };
                let s = spi.fetch_add(1, Ordering::Relaxed) as u32;
                let _ = xfrm.xfrm_state_add(&net, &state(PEER_BASE, 1, s, seq));
            }
        })
    };
    let task = SignalState::new();
    let fl = flow(PEER_BASE);
    c.bench_function("acquire_round_trip", |b| {
        b.iter(|| {
            let r = xfrm.xfrm_lookup(&net, &fl, AF_INET, None, FLOWI_FLAG_CAN_SLEEP, &task);
            assert!(matches!(r, Ok(XfrmDst::Bundle(_))));
            // Remove the answer so the next iteration misses again.
            xfrm.xfrm_state_flush(&net, 0).expect("flush");
        })
    });
    stop.store(true, Ordering::Relaxed);
    daemon.cond.notify_all();
    let _ = answerer.join();
}

/// A reqid per connection, spread as a daemon's counter would not be: a
/// reqid that grows with the peer address cancels out in `xfrm_dst_hash`
/// (it XORs the reqid with the address sum) and piles every state into a
/// few buckets, in Linux as here.
fn reqid(i: u32) -> u32 {
    (i.wrapping_mul(0x9E37_79B1) >> 12) | 1
}

fn lookup_hit(c: &mut Criterion) {
    let (_reg, net, xfrm) = kernel();
    const N: u32 = 10_000;
    for i in 0..N {
        let peer = PEER_BASE + i;
        xfrm.xfrm_policy_insert(&net, XFRM_POLICY_OUT, policy(peer, reqid(i)), true)
            .expect("policy");
        xfrm.xfrm_state_add(&net, &state(peer, reqid(i), 0x1000 + i, 0)).expect("state");
    }
    let task = SignalState::new();
    let flows: Vec<XfrmFlow> = (0..N).map(|i| flow(PEER_BASE + (i * 7919) % N)).collect();
    let mut g = c.benchmark_group("xfrm_lookup_hit_10k");
    g.throughput(Throughput::Elements(1));
    for validator in [true, false] {
        lockdep::set_enabled(validator);
        let name = if validator { "lockdep_on" } else { "lockdep_off" };
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % flows.len();
                let r = xfrm.xfrm_lookup(&net, &flows[i], AF_INET, None, 0, &task);
                assert!(matches!(r, Ok(XfrmDst::Bundle(_))));
            })
        });
    }
    lockdep::set_enabled(true);
    g.finish();
}

criterion_group!(benches, notify_fanout, acquire_round_trip, lookup_hit);
criterion_main!(benches);
