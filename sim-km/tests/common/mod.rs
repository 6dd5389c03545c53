//! Shared fixtures of the sim-km scenario tests: a kernel with one
//! namespace, a test key manager that records what it is told and can
//! answer acquires, and a policy/flow/state for 10.0.0.1 → 10.0.0.2.
#![allow(dead_code)]

use std::time::Duration;

use sim_core::rng::KernelRng;
use sim_core::sync::{Arc, Condvar, Mutex};
use sim_core::time::Clock;
use sim_core::xfrm::policy::{XFRM_POLICY_ALLOW, XFRM_POLICY_OUT};
use sim_core::xfrm::selector::IPPROTO_TCP;
use sim_core::xfrm::state::{IPPROTO_ESP, XfrmId};
use sim_core::xfrm::state_table::XfrmAcqSeq;
use sim_core::xfrm::{
    AF_INET, XfrmAddress, XfrmFlow, XfrmKmState, XfrmPolicy, XfrmPolicyInfo, XfrmSelector,
    XfrmState, XfrmStateInfo, XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_km::{KeyManager, KmEvent, Xfrm};
use sim_netns::{Net, NetRegistry};

pub fn a4(s: &str) -> XfrmAddress {
    XfrmAddress::from_v4(s.parse().expect("address"))
}

pub struct Kernel {
    pub reg: NetRegistry,
    pub net: Arc<Net>,
    pub clock: Clock,
    pub xfrm: Xfrm,
}

pub fn kernel() -> Kernel {
    let reg = NetRegistry::new();
    let net = reg.init_net().clone();
    let clock = Clock::new_virtual();
    let xfrm = Xfrm::new(&reg, clock.clone(), KernelRng::from_seed(7)).expect("xfrm");
    Kernel { reg, net, clock, xfrm }
}

impl Kernel {
    pub fn set_larval_drop(&self, v: i32) {
        self.net.xfrm.sysctl_larval_drop.store(v, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn set_acq_expires(&self, v: i32) {
        self.net.xfrm.sysctl_acq_expires.store(v, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn stat(&self, f: sim_km::LinuxMibXfrm) -> u64 {
        self.xfrm.pernet(&self.net).expect("pernet").stats.get(f)
    }

    pub fn sad_states(&self) -> Vec<Arc<XfrmState>> {
        self.net.xfrm.state.states()
    }

    /// The OUT policy 10.0.0.1 → 10.0.0.2 requiring one ESP transport SA.
    pub fn add_policy(&self, action: u8) -> Arc<XfrmPolicy> {
        let r = self
            .xfrm
            .xfrm_policy_insert(&self.net, XFRM_POLICY_OUT, policy_info(action, 1), true)
            .expect("policy insert");
        r.policy
    }
}

pub fn policy_info(action: u8, ntmpl: usize) -> XfrmPolicyInfo {
    XfrmPolicyInfo {
        sel: XfrmSelector::host_to_host(AF_INET, a4("10.0.0.2"), a4("10.0.0.1")),
        action,
        tmpls: vec![tmpl(); ntmpl],
        ..Default::default()
    }
}

pub fn policy_allow() -> u8 {
    XFRM_POLICY_ALLOW
}

pub fn tmpl() -> XfrmTmpl {
    XfrmTmpl {
        id: XfrmId { daddr: XfrmAddress::ANY, spi: 0, proto: IPPROTO_ESP },
        encap_family: AF_INET,
        reqid: 1,
        mode: 0,
        ..Default::default()
    }
}

pub fn flow() -> XfrmFlow {
    XfrmFlow::ports(a4("10.0.0.2"), a4("10.0.0.1"), IPPROTO_TCP, 80, 1234)
}

/// The VALID SA that answers the acquire numbered `seq`.
pub fn answer_state(spi: u32, seq: u32, now: u64) -> Arc<XfrmState> {
    let mut info = XfrmStateInfo::new(AF_INET, a4("10.0.0.2"), a4("10.0.0.1"), spi, IPPROTO_ESP);
    info.reqid = 1;
    info.seq = seq;
    let x = Arc::new(XfrmState::new(info, now));
    x.set_km_state(XfrmKmState::Valid);
    x
}

/// One recorded `notify`/`notify_policy` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub event: u32,
    pub data: u32,
    pub spi: Option<u32>,
    pub km_state: Option<XfrmKmState>,
}

#[derive(Default)]
pub struct Log {
    pub acquires: Vec<(u32, XfrmStateInfo)>,
    pub notes: Vec<Note>,
    pub policy_notes: Vec<(u32, u32, u8)>,
}

/// A key manager for tests: records everything, numbers acquires with the
/// kernel's counter, and accepts acquires unless told otherwise.
pub struct TestKm {
    pub name: &'static str,
    pub acqseq: Arc<XfrmAcqSeq>,
    pub accept: bool,
    pub log: Mutex<Log>,
    pub cond: Condvar,
}

impl TestKm {
    pub fn new(name: &'static str, xfrm: &Xfrm, accept: bool) -> Arc<TestKm> {
        Arc::new(TestKm {
            name,
            acqseq: xfrm.acqseq(),
            accept,
            log: Mutex::new(Log::default()),
            cond: Condvar::new(),
        })
    }

    pub fn acquires(&self) -> Vec<(u32, XfrmStateInfo)> {
        self.log.lock().acquires.clone()
    }

    pub fn notes(&self) -> Vec<Note> {
        self.log.lock().notes.clone()
    }

    /// Blocks until `n` acquires were seen (a daemon's `recvmsg`).
    pub fn wait_acquires(&self, n: usize) -> Vec<(u32, XfrmStateInfo)> {
        let mut g = self.log.lock();
        while g.acquires.len() < n {
            self.cond.wait_for(&mut g, Duration::from_millis(50));
        }
        g.acquires.clone()
    }
}

impl KeyManager for TestKm {
    fn name(&self) -> &'static str {
        self.name
    }

    fn notify(&self, x: Option<&Arc<XfrmState>>, c: &KmEvent) -> KResult<()> {
        self.log.lock().notes.push(Note {
            event: c.event,
            data: c.data,
            spi: x.map(|x| x.spi()),
            km_state: x.map(|x| x.km_state()),
        });
        Ok(())
    }

    fn acquire(
        &self,
        _net: &Net,
        x: &Arc<XfrmState>,
        _t: &XfrmTmpl,
        _pol: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        if !self.accept {
            return Err(Errno::ENOBUFS);
        }
        let seq = self.acqseq.next();
        x.set_seq_before_insert(seq);
        self.log.lock().acquires.push((seq, x.info()));
        self.cond.notify_all();
        Ok(())
    }

    fn notify_policy(&self, xp: Option<&Arc<XfrmPolicy>>, dir: u8, c: &KmEvent) -> KResult<()> {
        let _ = xp;
        self.log.lock().policy_notes.push((c.event, c.data, dir));
        Ok(())
    }

    fn is_alive(&self, _c: &KmEvent) -> bool {
        true
    }
}

/// Registers `km` on the kernel's list.
pub fn register(k: &Kernel, km: &Arc<TestKm>) -> sim_km::KmRegistration {
    k.xfrm.km().xfrm_register_km(km.clone())
}

/// The setting of the acquire scenarios: larval drop off, one registered
/// test key manager (`accept`: whether it takes acquires) and the
/// allow-with-template outbound policy.
pub fn kernel_with_km(name: &'static str, accept: bool) -> (Kernel, Arc<TestKm>) {
    let k = kernel();
    k.set_larval_drop(0);
    let km = TestKm::new(name, &k.xfrm, accept);
    register(&k, &km);
    k.add_policy(policy_allow());
    (k, km)
}
