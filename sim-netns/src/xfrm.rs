//! `struct netns_xfrm` (`include/net/netns/xfrm.h`): the XFRM part of a
//! namespace, and `xfrm_net_ops` (`xfrm_net_init`/`xfrm_net_exit` of
//! net/xfrm/xfrm_policy.c, `xfrm_sysctl_init`/`fini` of xfrm_sysctl.c).

use sim_core::KResult;
use sim_core::lockdep::Mutex;
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicI32, AtomicU8, AtomicU64, Ordering};
use sim_core::wait::WaitQueue;
pub use sim_core::xfrm::locks::XFRM_CFG_MUTEX;
use sim_core::xfrm::policy::{XFRM_POLICY_TYPE_MAIN, XFRM_POLICY_TYPE_SUB};
use sim_core::xfrm::spd::PolicyTable;
use sim_core::xfrm::state_table::StateTable;

use crate::net::Net;
use crate::pernet::PernetOperations;
use crate::sysctl::{CtlTable, SysctlHeader};

/// `XFRM_AE_ETIME`: default `xfrm_aevent_etime` (units of 100 ms).
pub const XFRM_AE_ETIME: i32 = 10;
/// `XFRM_AE_SEQT_SIZE`: default `xfrm_aevent_rseqth`.
pub const XFRM_AE_SEQT_SIZE: i32 = 2;
/// Default `xfrm_larval_drop`.
pub const XFRM_LARVAL_DROP_DEFAULT: i32 = 1;
/// Default `xfrm_acq_expires` (seconds).
pub const XFRM_ACQ_EXPIRES_DEFAULT: i32 = 30;

/// `XFRM_USERPOLICY_BLOCK` (`policy_default` value).
pub const XFRM_USERPOLICY_BLOCK: u8 = 1;
/// `XFRM_USERPOLICY_ACCEPT` (`policy_default` value, the initial one).
pub const XFRM_USERPOLICY_ACCEPT: u8 = 2;

/// `struct netns_xfrm`.
pub struct NetnsXfrm {
    /// The SAD (`state_all`, `state_bydst`… and `xfrm_state_lock`).
    pub state: StateTable,
    /// The SPD (`policy_all`, `policy_bydst`… and `xfrm_policy_lock`).
    pub policy: PolicyTable,
    /// `sysctl_aevent_etime` (`net.core.xfrm_aevent_etime`).
    pub sysctl_aevent_etime: Arc<AtomicI32>,
    /// `sysctl_aevent_rseqth` (`net.core.xfrm_aevent_rseqth`).
    pub sysctl_aevent_rseqth: Arc<AtomicI32>,
    /// `sysctl_larval_drop` (`net.core.xfrm_larval_drop`).
    pub sysctl_larval_drop: Arc<AtomicI32>,
    /// `sysctl_acq_expires` (`net.core.xfrm_acq_expires`).
    pub sysctl_acq_expires: Arc<AtomicI32>,
    /// `sysctl_hdr` (0: none registered).
    sysctl_hdr: AtomicU64,
    /// `xfrm_cfg_mutex`.
    pub xfrm_cfg_mutex: Mutex<()>,
    /// `km_waitq`: where the blocking acquire path of older kernels sleeps
    /// until a key manager answers.
    pub km_waitq: WaitQueue,
    /// `policy_default[XFRM_POLICY_MAX]` (in, out, fwd).
    policy_default: [AtomicU8; 3],
}

impl Default for NetnsXfrm {
    fn default() -> Self {
        Self::new()
    }
}

impl NetnsXfrm {
    /// The zeroed part of a freshly allocated `struct net`; `xfrm_net_init`
    /// gives it its defaults.
    pub fn new() -> Self {
        NetnsXfrm {
            state: StateTable::new(),
            policy: PolicyTable::new(),
            sysctl_aevent_etime: Arc::new(AtomicI32::new(0)),
            sysctl_aevent_rseqth: Arc::new(AtomicI32::new(0)),
            sysctl_larval_drop: Arc::new(AtomicI32::new(0)),
            sysctl_acq_expires: Arc::new(AtomicI32::new(0)),
            sysctl_hdr: AtomicU64::new(0),
            xfrm_cfg_mutex: Mutex::new(&XFRM_CFG_MUTEX, ()),
            km_waitq: WaitQueue::new(),
            policy_default: [AtomicU8::new(0), AtomicU8::new(0), AtomicU8::new(0)],
        }
    }

    /// `xfrm_aevent_etime` as the kernel's `u32`.
    pub fn aevent_etime(&self) -> u32 {
        self.sysctl_aevent_etime.load(Ordering::Relaxed) as u32
    }

    /// `xfrm_aevent_rseqth` as the kernel's `u32`.
    pub fn aevent_rseqth(&self) -> u32 {
        self.sysctl_aevent_rseqth.load(Ordering::Relaxed) as u32
    }

    /// `xfrm_larval_drop`.
    pub fn larval_drop(&self) -> i32 {
        self.sysctl_larval_drop.load(Ordering::Relaxed)
    }

    /// `xfrm_acq_expires` as the kernel's `u32`.
    pub fn acq_expires(&self) -> u32 {
        self.sysctl_acq_expires.load(Ordering::Relaxed) as u32
    }

    /// `net->xfrm.policy_default[dir]` (dir 0 in, 1 out, 2 fwd).
    pub fn policy_default(&self, dir: usize) -> Option<u8> {
        self.policy_default.get(dir).map(|d| d.load(Ordering::Relaxed))
    }

    /// Sets `net->xfrm.policy_default[dir]` (XFRM_MSG_SETDEFAULT).
    pub fn set_policy_default(&self, dir: usize, v: u8) {
        if let Some(d) = self.policy_default.get(dir) {
            d.store(v, Ordering::Relaxed);
        }
    }

    /// `__xfrm_sysctl_init`: Linux's defaults.
    fn sysctl_defaults(&self) {
        self.sysctl_aevent_etime.store(XFRM_AE_ETIME, Ordering::Relaxed);
        self.sysctl_aevent_rseqth.store(XFRM_AE_SEQT_SIZE, Ordering::Relaxed);
        self.sysctl_larval_drop.store(XFRM_LARVAL_DROP_DEFAULT, Ordering::Relaxed);
        self.sysctl_acq_expires.store(XFRM_ACQ_EXPIRES_DEFAULT, Ordering::Relaxed);
    }
}

/// `xfrm_sysctl_init(net)`: defaults, then the `net/core` table — empty
/// (so nothing is visible) in a namespace owned by a non-initial user
/// namespace, as the kernel clears the first entry there.
fn xfrm_sysctl_init(net: &Net) {
    let x = &net.xfrm;
    x.sysctl_defaults();
    // The SAD keeps its own copy of xfrm_acq_expires for larval states.
    x.state.set_acq_expires(x.acq_expires());
    let entry = |procname, data: &Arc<AtomicI32>| CtlTable {
        path: "net/core",
        procname,
        mode: 0o644,
        data: data.clone(),
        post_write: None,
    };
    let acq = CtlTable {
        post_write: Some(
            sim_core::arc_dyn!(|net: &Net, v: i32| net.xfrm.state.set_acq_expires(v as u32) => dyn Fn(&Net, i32) + Send + Sync),
        ),
        ..entry("xfrm_acq_expires", &x.sysctl_acq_expires)
    };
    let table = if net.user_ns().is_init() {
        vec![
            entry("xfrm_aevent_etime", &x.sysctl_aevent_etime),
            entry("xfrm_aevent_rseqth", &x.sysctl_aevent_rseqth),
            entry("xfrm_larval_drop", &x.sysctl_larval_drop),
            acq,
        ]
    } else {
        Vec::new()
    };
    let h = net.sysctls().register(table);
    x.sysctl_hdr.store(h.raw(), Ordering::Relaxed);
}

/// `xfrm_sysctl_fini(net)`.
fn xfrm_sysctl_fini(net: &Net) {
    let raw = net.xfrm.sysctl_hdr.swap(0, Ordering::Relaxed);
    if raw != 0 {
        net.sysctls().unregister(SysctlHeader::from_raw(raw));
    }
}

/// `xfrm_net_ops`: registered first by [`crate::NetRegistry::new`], as
/// `xfrm_init()` does at boot, so its exit runs after every module's.
pub struct XfrmNetOps;

impl PernetOperations for XfrmNetOps {
    fn name(&self) -> &'static str {
        "xfrm_net_ops"
    }

    /// `xfrm_net_init`: default policies ACCEPT, SAD and SPD set up empty,
    /// sysctls.
    fn init(&self, net: &Net) -> KResult<()> {
        for d in 0..3 {
            net.xfrm.set_policy_default(d, XFRM_USERPOLICY_ACCEPT);
        }
        xfrm_sysctl_init(net);
        Ok(())
    }

    /// `xfrm_net_exit`: sysctls, then `xfrm_policy_fini` (flush SUB, then
    /// MAIN policies) and `xfrm_state_fini` (flush every state). No
    /// key-manager notifications: flushes never send any.
    fn exit(&self, net: &Net) {
        xfrm_sysctl_fini(net);
        // ESRCH only says there was nothing to flush.
        let _ = net.xfrm.policy.xfrm_policy_flush(XFRM_POLICY_TYPE_SUB);
        let _ = net.xfrm.policy.xfrm_policy_flush(XFRM_POLICY_TYPE_MAIN);
        let _ = net.xfrm.state.xfrm_state_flush(0);
    }
}
