//! The key-manager list (`xfrm_km_list`, `struct xfrm_mgr`, `struct
//! km_event`) and the `km_*` fan-out functions of net/xfrm/xfrm_state.c.
//!
//! Linux keeps one global list for every namespace. Here each simulated
//! kernel owns an [`XfrmKmList`], so independent kernels (and parallel
//! tests) never see each other's managers. Readers walk the list inside
//! `rcu_read_lock()` without locks; writers hold `xfrm_km_lock` (a BH
//! spinlock) and unregistering waits a grace period, so no callback into a
//! manager begins after [`XfrmKmList::xfrm_unregister_km`] returns.

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::rcu::{RcuList, rcu_read_lock, synchronize_rcu};
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicU64, Ordering};
use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::{
    XfrmAddress, XfrmEncapTmpl, XfrmPolicyInfo, XfrmSelector, XfrmState, XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_netns::Net;

/// `xfrm_km_lock`: serialises writers of the key-manager list (BH spinlock;
/// readers use RCU).
pub static XFRM_KM_LOCK: LockClassKey = LockClassKey::new("xfrm_km_lock", LockKind::SpinBh);

/// `XFRM_MSG_*` numbers carried in [`KmEvent::event`].
pub mod xfrm_msg {
    pub const XFRM_MSG_NEWSA: u32 = 16;
    pub const XFRM_MSG_DELSA: u32 = 17;
    pub const XFRM_MSG_GETSA: u32 = 18;
    pub const XFRM_MSG_NEWPOLICY: u32 = 19;
    pub const XFRM_MSG_DELPOLICY: u32 = 20;
    pub const XFRM_MSG_GETPOLICY: u32 = 21;
    pub const XFRM_MSG_ALLOCSPI: u32 = 22;
    pub const XFRM_MSG_ACQUIRE: u32 = 23;
    pub const XFRM_MSG_EXPIRE: u32 = 24;
    pub const XFRM_MSG_UPDPOLICY: u32 = 25;
    pub const XFRM_MSG_UPDSA: u32 = 26;
    pub const XFRM_MSG_POLEXPIRE: u32 = 27;
    pub const XFRM_MSG_FLUSHSA: u32 = 28;
    pub const XFRM_MSG_FLUSHPOLICY: u32 = 29;
    pub const XFRM_MSG_NEWAE: u32 = 30;
    pub const XFRM_MSG_GETAE: u32 = 31;
    pub const XFRM_MSG_REPORT: u32 = 32;
    pub const XFRM_MSG_MIGRATE: u32 = 33;
    pub const XFRM_MSG_MAPPING: u32 = 38;
}

/// `struct km_event`: what a state or policy notification carries.
///
/// `data` is the kernel's union {hard, proto, byid, aevent, type}; the
/// accessors name its members.
#[derive(Clone, Debug)]
pub struct KmEvent {
    /// `c->data` (see [`KmEvent::hard`], [`KmEvent::proto`], …).
    pub data: u32,
    /// `c->seq`: the request's netlink/PF_KEY sequence number.
    pub seq: u32,
    /// `c->portid`: the requester's port id (PF_KEY: its pid).
    pub portid: u32,
    /// `c->event`: an `XFRM_MSG_*` number.
    pub event: u32,
    /// `c->net`.
    pub net: Arc<Net>,
}

impl KmEvent {
    /// A `km_event` for `event` in `net` with zero data, seq and portid.
    pub fn new(net: &Arc<Net>, event: u32) -> Self {
        KmEvent { data: 0, seq: 0, portid: 0, event, net: net.clone() }
    }

    /// `c.data.hard`.
    pub fn hard(&self) -> bool {
        self.data != 0
    }
    /// `c.data.proto` (state flush).
    pub fn proto(&self) -> u8 {
        self.data as u8
    }
    /// `c.data.byid` (policy delete/get by index).
    pub fn byid(&self) -> bool {
        self.data != 0
    }
    /// `c.data.aevent` (`XFRM_AE_*` flags).
    pub fn aevent(&self) -> u32 {
        self.data
    }
    /// `c.data.type` (policy flush type).
    pub fn ptype(&self) -> u8 {
        self.data as u8
    }
}

/// `struct xfrm_migrate`: one state's address change in a MIGRATE.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct XfrmMigrate {
    pub old_daddr: XfrmAddress,
    pub old_saddr: XfrmAddress,
    pub new_daddr: XfrmAddress,
    pub new_saddr: XfrmAddress,
    pub proto: u8,
    pub mode: u8,
    pub reserved: u16,
    pub reqid: u32,
    pub old_family: u16,
    pub new_family: u16,
}

/// `struct xfrm_kmaddress`: the key managers' own endpoints in a MIGRATE.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct XfrmKmAddress {
    pub local: XfrmAddress,
    pub remote: XfrmAddress,
    pub reserved: u32,
    pub family: u16,
}

/// `struct xfrm_mgr`: a key manager (netlink's `netlink_mgr`, PF_KEY's
/// `pfkeyv2_mgr`). Every callback has a default, as a C manager may leave
/// a member NULL. Callbacks may run in softirq context, inside
/// `rcu_read_lock()` and sometimes under `x->lock`: they must not sleep.
pub trait KeyManager: Send + Sync + 'static {
    /// The old kernels' `id` string ("netlink", "pfkeyv2"); diagnostics only.
    fn name(&self) -> &'static str {
        "km"
    }

    /// `notify(x, c)`: a state event (add, update, delete, expire, flush
    /// with `x` = None, async events).
    fn notify(&self, _x: Option<&Arc<XfrmState>>, _c: &KmEvent) -> KResult<()> {
        Ok(())
    }

    /// `acquire(x, t, pol)`: ask the daemon to negotiate SAs for the
    /// larval state `x` (in `net`). A manager that sends the request writes
    /// its sequence number into `x` (`x->km.seq`) and returns `Ok`.
    fn acquire(
        &self,
        _net: &Net,
        _x: &Arc<XfrmState>,
        _t: &XfrmTmpl,
        _pol: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        Err(Errno::EINVAL)
    }

    /// `compile_policy(sk, opt, data, len, &dir)`: turn the bytes of a
    /// `setsockopt(IP_*_POLICY)` into a socket policy and its direction.
    /// `family` is the socket's (`sk->sk_family`).
    fn compile_policy(
        &self,
        _family: u16,
        _optname: i32,
        _data: &[u8],
    ) -> KResult<(XfrmPolicyInfo, u8)> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `new_mapping(x, ipaddr, sport)`: the NAT-T peer moved.
    fn new_mapping(
        &self,
        _net: &Net,
        _x: &Arc<XfrmState>,
        _ipaddr: &XfrmAddress,
        _sport: u16,
    ) -> KResult<()> {
        Err(Errno::EINVAL)
    }

    /// `notify_policy(xp, dir, c)`: a policy event (`xp` = None for flush).
    fn notify_policy(&self, _xp: Option<&Arc<XfrmPolicy>>, _dir: u8, _c: &KmEvent) -> KResult<()> {
        Ok(())
    }

    /// `report(net, proto, sel, addr)` (Mobile IPv6).
    fn report(
        &self,
        _net: &Net,
        _proto: u8,
        _sel: &XfrmSelector,
        _addr: Option<&XfrmAddress>,
    ) -> KResult<()> {
        Err(Errno::EINVAL)
    }

    /// `migrate(sel, dir, type, m, num, k, encap)`.
    fn migrate(
        &self,
        _sel: &XfrmSelector,
        _dir: u8,
        _ptype: u8,
        _m: &[XfrmMigrate],
        _k: Option<&XfrmKmAddress>,
        _encap: Option<&XfrmEncapTmpl>,
    ) -> KResult<()> {
        Err(Errno::EINVAL)
    }

    /// `is_alive(c)`: whether anyone would hear an ACQUIRE in `c.net`.
    fn is_alive(&self, _c: &KmEvent) -> bool {
        false
    }
}

struct KmEntry {
    id: u64,
    mgr: Arc<dyn KeyManager>,
}

/// A registration on an [`XfrmKmList`], for
/// [`XfrmKmList::xfrm_unregister_km`] (the C code passes the `xfrm_mgr`
/// pointer itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KmRegistration(u64);

/// `xfrm_km_list` with its lock: the registered key managers in
/// registration order.
pub struct XfrmKmList {
    xfrm_km_lock: SpinLock<()>,
    list: RcuList<KmEntry>,
    next_id: AtomicU64,
}

impl Default for XfrmKmList {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for XfrmKmList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("XfrmKmList").field("len", &self.list.len()).finish()
    }
}

impl XfrmKmList {
    /// `LIST_HEAD(xfrm_km_list)`: empty.
    pub fn new() -> Self {
        XfrmKmList {
            xfrm_km_lock: SpinLock::new(&XFRM_KM_LOCK, ()),
            list: RcuList::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// `xfrm_register_km(km)`: appends under `xfrm_km_lock`
    /// (`list_add_tail_rcu`).
    pub fn xfrm_register_km(&self, km: Arc<dyn KeyManager>) -> KmRegistration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let _g = self.xfrm_km_lock.lock_bh();
        self.list.add_tail(Arc::new(KmEntry { id, mgr: km }));
        KmRegistration(id)
    }

    /// `xfrm_unregister_km(km)`: unlinks under `xfrm_km_lock`, then waits a
    /// grace period (`synchronize_rcu`), so every walk that could still see
    /// the manager has finished when it returns. May sleep.
    pub fn xfrm_unregister_km(&self, reg: KmRegistration) {
        {
            let _g = self.xfrm_km_lock.lock_bh();
            self.list.retain(|e| e.id != reg.0);
        }
        synchronize_rcu();
    }

    /// Number of registered managers.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no manager is registered.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `list_for_each_entry_rcu(km, &xfrm_km_list, list)` inside
    /// `rcu_read_lock()`.
    fn for_each(&self, mut f: impl FnMut(&dyn KeyManager)) {
        let guard = rcu_read_lock();
        for e in self.list.iter(&guard) {
            f(&*e.mgr);
        }
    }

    /// `km_state_notify(x, c)`: every manager's `notify`.
    pub fn km_state_notify(&self, x: Option<&Arc<XfrmState>>, c: &KmEvent) {
        let _span = tracing::trace_span!("km_state_notify").entered();
        self.for_each(|km| {
            let _ = km.notify(x, c);
        });
    }

    /// `km_policy_notify(xp, dir, c)`: every manager's `notify_policy`.
    pub fn km_policy_notify(&self, xp: Option<&Arc<XfrmPolicy>>, dir: u8, c: &KmEvent) {
        let _span = tracing::trace_span!("km_policy_notify").entered();
        self.for_each(|km| {
            let _ = km.notify_policy(xp, dir, c);
        });
    }

    /// `km_query(x, t, pol)`: every manager's `acquire`; `Ok` if any of them
    /// accepted, else `EINVAL` (also with no manager at all).
    pub fn km_query(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        t: &XfrmTmpl,
        pol: &Arc<XfrmPolicy>,
    ) -> KResult<()> {
        let _span = tracing::trace_span!("km_query").entered();
        let mut err = Err(Errno::EINVAL);
        self.for_each(|km| {
            if km.acquire(net, x, t, pol).is_ok() {
                err = Ok(());
            }
        });
        err
    }

    /// `km_is_alive(c)`: whether some manager has a listener for ACQUIREs.
    pub fn km_is_alive(&self, c: &KmEvent) -> bool {
        let guard = rcu_read_lock();
        self.list.iter(&guard).any(|e| e.mgr.is_alive(c))
    }

    /// `__km_new_mapping`: `new_mapping` of each manager until one returns
    /// `Ok`; else the last error (`EINVAL` with no manager).
    pub fn km_new_mapping_raw(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        ipaddr: &XfrmAddress,
        sport: u16,
    ) -> KResult<()> {
        let guard = rcu_read_lock();
        let mut err = Err(Errno::EINVAL);
        for e in self.list.iter(&guard) {
            err = e.mgr.new_mapping(net, x, ipaddr, sport);
            if err.is_ok() {
                break;
            }
        }
        err
    }

    /// `km_report(net, proto, sel, addr)`: every manager's `report`; `Ok` if
    /// any succeeded, else `EINVAL`.
    pub fn km_report(
        &self,
        net: &Net,
        proto: u8,
        sel: &XfrmSelector,
        addr: Option<&XfrmAddress>,
    ) -> KResult<()> {
        let mut err = Err(Errno::EINVAL);
        self.for_each(|km| {
            if km.report(net, proto, sel, addr).is_ok() {
                err = Ok(());
            }
        });
        err
    }

    /// `km_migrate(sel, dir, type, m, num, k, encap)`: every manager's
    /// `migrate`; `Ok` if any succeeded, else `EINVAL`.
    pub fn km_migrate(
        &self,
        sel: &XfrmSelector,
        dir: u8,
        ptype: u8,
        m: &[XfrmMigrate],
        k: Option<&XfrmKmAddress>,
        encap: Option<&XfrmEncapTmpl>,
    ) -> KResult<()> {
        let mut err = Err(Errno::EINVAL);
        self.for_each(|km| {
            if km.migrate(sel, dir, ptype, m, k, encap).is_ok() {
                err = Ok(());
            }
        });
        err
    }

    /// The `compile_policy` walk of `xfrm_user_policy`: managers in list
    /// order until one returns a policy; else the last error (`EINVAL` with
    /// no manager).
    pub fn km_compile_policy(
        &self,
        family: u16,
        optname: i32,
        data: &[u8],
    ) -> KResult<(XfrmPolicyInfo, u8)> {
        let guard = rcu_read_lock();
        let mut err = Err(Errno::EINVAL);
        for e in self.list.iter(&guard) {
            err = e.mgr.compile_policy(family, optname, data);
            if err.is_ok() {
                break;
            }
        }
        err
    }
}
