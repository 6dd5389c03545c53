//! The per-kernel XFRM handle ([`Xfrm`]: the km list, the global acquire
//! sequence counter, the clock, the SPI generator) and the operations the
//! front ends call, named for the kernel functions of
//! net/xfrm/xfrm_state.c and net/xfrm/xfrm_policy.c they model.
//!
//! As in Linux, the table operations never notify: the front-end handler
//! decides, and calls [`XfrmKmList::km_state_notify`] /
//! [`XfrmKmList::km_policy_notify`] with its own `km_event`.

use std::collections::hash_map::Entry;
use std::time::Duration;

use sim_core::lockdep;
use sim_core::rng::KernelRng;
use sim_core::sync::Arc;
use sim_core::time::{Clock, Timer};
use sim_core::xfrm::lifetime::{XfrmLifetimeCfg, xfrm_policy_timer_eval};
use sim_core::xfrm::spd::PolicyInsert;
use sim_core::xfrm::state::xfrm_proto_uses_spi;
use sim_core::xfrm::state_table::{FindAcq, XfrmAcqSeq};
use sim_core::xfrm::{
    XfrmAddress, XfrmExpiryHook, XfrmKmState, XfrmMark, XfrmPolicy, XfrmPolicyInfo, XfrmSecCtx,
    XfrmSelector, XfrmState,
};
use sim_core::{Errno, KResult};
use sim_netns::pernet::PernetGeneric;
use sim_netns::{Net, NetGenericId, NetRegistry, PernetHandle};

use crate::km::{KmEvent, XfrmKmList, xfrm_msg};
use crate::pernet::{XfrmKmNet, policy_key, state_key};
use crate::stats::LinuxMibXfrm;

struct XfrmInner {
    km: XfrmKmList,
    acqseq: Arc<XfrmAcqSeq>,
    clock: Clock,
    rng: KernelRng,
    id: NetGenericId<XfrmKmNet>,
}

/// The XFRM layer of one simulated kernel: the key-manager list
/// (`xfrm_km_list`, global in Linux), the acquire sequence counter
/// (`xfrm_get_acqseq`'s static), the clock timers run on, and the
/// `net_generic` slot of the per-namespace data. Cheap to clone.
#[derive(Clone)]
pub struct Xfrm {
    inner: Arc<XfrmInner>,
}

impl core::fmt::Debug for Xfrm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Xfrm").field("km", &self.inner.km).finish_non_exhaustive()
    }
}

/// `pernet_operations` of the layer's per-namespace data.
struct XfrmKmPernet;

impl PernetGeneric for XfrmKmPernet {
    type Data = XfrmKmNet;

    fn name(&self) -> &'static str {
        "xfrm_km_net_ops"
    }

    fn init(&self, _net: &Net) -> KResult<XfrmKmNet> {
        Ok(XfrmKmNet::new())
    }

    /// The timers go (`xfrm_net_ops`' exit flushes the tables afterwards,
    /// without notifications); they hold the namespace.
    fn exit(&self, _net: &Net, d: &XfrmKmNet) {
        let st = core::mem::take(&mut *d.state_timers.lock());
        drop(st);
        let pt = core::mem::take(&mut *d.policy_timers.lock());
        drop(pt);
    }
}

/// The expiry hook given to the SAD's timer handler: `km_state_expired` /
/// `km_policy_expired` for this namespace.
struct Expiry<'a> {
    xfrm: &'a Xfrm,
    net: &'a Arc<Net>,
    d: &'a XfrmKmNet,
}

impl XfrmExpiryHook for Expiry<'_> {
    type Policy = Arc<XfrmPolicy>;

    fn state_expired(&self, x: &Arc<XfrmState>, hard: bool) {
        self.xfrm.km_state_expired_in(self.net, self.d, x, hard, 0);
    }

    fn policy_expired(&self, xp: &Arc<XfrmPolicy>, dir: u8, hard: bool) {
        self.xfrm.km_policy_expired_in(self.net, self.d, xp, dir, hard, 0);
    }
}

/// Whether a lifetime has a time limit the timer must watch.
fn has_time_limit(l: &XfrmLifetimeCfg) -> bool {
    l.soft_add_expires_seconds != 0
        || l.hard_add_expires_seconds != 0
        || l.soft_use_expires_seconds != 0
        || l.hard_use_expires_seconds != 0
}

impl Xfrm {
    /// `xfrm_init()` for one kernel: an empty km list, the acquire counter
    /// at 0, and the per-namespace data registered with `registry`
    /// (existing namespaces get theirs at once). `rng` draws SPIs.
    pub fn new(registry: &NetRegistry, clock: Clock, rng: KernelRng) -> KResult<Xfrm> {
        let (_handle, id): (PernetHandle, _) = registry.register_pernet_generic(XfrmKmPernet)?;
        Ok(Xfrm {
            inner: Arc::new(XfrmInner {
                km: XfrmKmList::new(),
                acqseq: Arc::new(XfrmAcqSeq::new()),
                clock,
                rng,
                id,
            }),
        })
    }

    /// The key-manager list (`xfrm_km_list`).
    pub fn km(&self) -> &XfrmKmList {
        &self.inner.km
    }

    /// The clock timers run on.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// `xfrm_get_acqseq()`: global, pre-incremented, never 0.
    pub fn xfrm_get_acqseq(&self) -> u32 {
        self.inner.acqseq.next()
    }

    /// The acquire counter itself, for key managers that number their
    /// ACQUIREs with it (netlink's `xfrm_send_acquire`).
    pub fn acqseq(&self) -> Arc<XfrmAcqSeq> {
        self.inner.acqseq.clone()
    }

    /// The layer's data of `net` (`EINVAL` once the namespace is gone).
    pub fn pernet(&self, net: &Net) -> KResult<Arc<XfrmKmNet>> {
        net.generic(self.inner.id).ok_or(Errno::EINVAL)
    }

    /// `ktime_get_real_seconds()`.
    pub(crate) fn now(&self) -> u64 {
        self.inner.clock.real_seconds()
    }

    // ------------------------------------------------------------------
    // Expiry fan-out.

    /// `km_state_expired(x, hard, portid)`: an EXPIRE event to every
    /// manager; a hard one also wakes `km_waitq` (old kernels).
    pub fn km_state_expired(&self, net: &Arc<Net>, x: &Arc<XfrmState>, hard: bool, portid: u32) {
        if let Ok(d) = self.pernet(net) {
            self.km_state_expired_in(net, &d, x, hard, portid);
        }
    }

    fn km_state_expired_in(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        x: &Arc<XfrmState>,
        hard: bool,
        portid: u32,
    ) {
        let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_EXPIRE);
        c.data = u32::from(hard);
        c.portid = portid;
        self.inner.km.km_state_notify(Some(x), &c);
        if hard {
            d.km_waitq_wake_up(&net.xfrm);
        }
    }

    /// `km_policy_expired(pol, dir, hard, portid)`: a POLEXPIRE event to
    /// every manager; a hard one also wakes `km_waitq` (old kernels).
    pub fn km_policy_expired(
        &self,
        net: &Arc<Net>,
        xp: &Arc<XfrmPolicy>,
        dir: u8,
        hard: bool,
        portid: u32,
    ) {
        if let Ok(d) = self.pernet(net) {
            self.km_policy_expired_in(net, &d, xp, dir, hard, portid);
        }
    }

    fn km_policy_expired_in(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        xp: &Arc<XfrmPolicy>,
        dir: u8,
        hard: bool,
        portid: u32,
    ) {
        let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_POLEXPIRE);
        c.data = u32::from(hard);
        c.portid = portid;
        self.inner.km.km_policy_notify(Some(xp), dir, &c);
        if hard {
            d.km_waitq_wake_up(&net.xfrm);
        }
    }

    /// `km_new_mapping(x, ipaddr, sport)`: managers in order until one
    /// accepts (see docs/differences.md for the rate limit).
    pub fn km_new_mapping(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        ipaddr: &XfrmAddress,
        sport: u16,
    ) -> KResult<()> {
        self.inner.km.km_new_mapping_raw(net, x, ipaddr, sport)
    }

    // ------------------------------------------------------------------
    // Timers.

    /// `hrtimer_start(&x->mtimer, secs)` where the SAD inserts or
    /// restarts a state, for states with a time limit (or at once).
    pub(crate) fn arm_state(&self, net: &Arc<Net>, d: &XfrmKmNet, x: &Arc<XfrmState>, secs: u64) {
        let lft = x.lock_bh().lft;
        self.start_mtimer(net, d, x, &lft, secs, true);
    }

    /// `hrtimer_start(&x->mtimer, secs)` when `lft` has a time limit or
    /// `secs` is 0; with `restart` false a timer already running is left
    /// alone (a larval state found again).
    fn start_mtimer(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        x: &Arc<XfrmState>,
        lft: &XfrmLifetimeCfg,
        secs: u64,
        restart: bool,
    ) {
        if !has_time_limit(lft) && secs != 0 {
            return;
        }
        let at = Duration::from_secs(secs);
        match d.state_timers.lock().entry(state_key(x)) {
            Entry::Occupied(t) if restart => {
                t.get().mod_timer_in(at);
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(v) => {
                v.insert(self.state_timer(net, x)).mod_timer_in(at);
            }
        }
    }

    /// `hrtimer_setup(&x->mtimer, xfrm_timer_handler)`: not yet armed.
    fn state_timer(&self, net: &Arc<Net>, x: &Arc<XfrmState>) -> Timer {
        let xfrm = self.clone();
        let net = net.clone();
        let x = x.clone();
        self.inner.clock.timer(move || xfrm.xfrm_timer_handler(&net, &x))
    }

    /// `xfrm_timer_handler` (softirq): the SAD's lifetime logic with this
    /// namespace's expiry fan-out; re-arms or retires the timer.
    fn xfrm_timer_handler(&self, net: &Arc<Net>, x: &Arc<XfrmState>) {
        let Ok(d) = self.pernet(net) else { return };
        let now = self.now();
        let hook = Expiry { xfrm: self, net, d: &d };
        let next = net.xfrm.state.xfrm_timer_handler(x, now, &hook);
        match next {
            Some(secs) => {
                if let Some(t) = d.state_timers.lock().get(&state_key(x)) {
                    t.mod_timer_in(Duration::from_secs(secs));
                }
            }
            None if x.km_state() == XfrmKmState::Dead => {
                // The state is gone: its timer (this very one) goes too.
                let t = d.state_timers.lock().remove(&state_key(x));
                drop(t);
            }
            None => {}
        }
    }

    /// `mod_timer(&policy->timer, jiffies + secs * HZ)`.
    fn arm_policy_timer(&self, net: &Arc<Net>, d: &XfrmKmNet, xp: &Arc<XfrmPolicy>, secs: u64) {
        let mut timers = d.policy_timers.lock();
        let t = timers.entry(policy_key(xp)).or_insert_with(|| {
            let xfrm = self.clone();
            let net = net.clone();
            let xp = xp.clone();
            self.inner.clock.timer(move || xfrm.xfrm_policy_timer(&net, &xp))
        });
        t.mod_timer_in(Duration::from_secs(secs));
    }

    /// `xfrm_policy_timer` (softirq): hard limit → delete and, if that
    /// deleted it, a hard POLEXPIRE; soft limit → a soft POLEXPIRE, again
    /// every `XFRM_KM_TIMEOUT` seconds.
    fn xfrm_policy_timer(&self, net: &Arc<Net>, xp: &Arc<XfrmPolicy>) {
        let Ok(d) = self.pernet(net) else { return };
        if xp.is_dead() {
            let t = d.policy_timers.lock().remove(&policy_key(xp));
            drop(t);
            return;
        }
        let dir = xp.dir();
        let e = xfrm_policy_timer_eval(&xp.info().lft, &xp.curlft(), self.now());
        if e.hard {
            if net.xfrm.policy.xfrm_policy_delete(xp, dir).is_ok() {
                self.km_policy_expired_in(net, &d, xp, dir, true, 0);
            }
            let t = d.policy_timers.lock().remove(&policy_key(xp));
            drop(t);
            return;
        }
        if e.soft {
            self.km_policy_expired_in(net, &d, xp, dir, false, 0);
        }
        if let (Some(secs), Some(t)) = (e.next, d.policy_timers.lock().get(&policy_key(xp))) {
            t.mod_timer_in(Duration::from_secs(secs));
        }
    }

    // ------------------------------------------------------------------
    // State operations.

    /// `xfrm_state_add(x)`: `EEXIST` if the identity is taken; a larval
    /// state it completes is removed. The insert wakes `km_waitq`.
    pub fn xfrm_state_add(&self, net: &Arc<Net>, x: &Arc<XfrmState>) -> KResult<()> {
        let _span = tracing::trace_span!("xfrm_state_add").entered();
        let d = self.pernet(net)?;
        {
            // Serialised with larval creation, as the old xfrm_state_lock
            // did: an answer cannot overtake the larval state it completes.
            let _g = d.find_lock.lock_bh();
            net.xfrm.state.xfrm_state_add(x)?;
        }
        self.arm_state(net, &d, x, 1);
        d.km_waitq_wake_up(&net.xfrm);
        Ok(())
    }

    /// `xfrm_state_update(x)`: `ESRCH` if nothing to update, `EEXIST` for a
    /// kernel-owned state, `EINVAL` for a non-VALID one; a larval state is
    /// replaced by `x`. Wakes `km_waitq` on success.
    pub fn xfrm_state_update(&self, net: &Arc<Net>, x: &Arc<XfrmState>) -> KResult<()> {
        let _span = tracing::trace_span!("xfrm_state_update").entered();
        let d = self.pernet(net)?;
        let sad = &net.xfrm.state;
        // The state the update will find (its identity, as the SAD locates it).
        let mark = x.mark.v & x.mark.m;
        let old = if xfrm_proto_uses_spi(x.proto) {
            sad.xfrm_state_lookup(mark, &x.daddr, x.spi(), x.proto, x.family)
        } else {
            sad.xfrm_state_lookup_byaddr(mark, &x.daddr, &x.saddr, x.proto, x.family)
        };
        let now = self.now();
        let hook = Expiry { xfrm: self, net, d: &d };
        {
            let _g = d.find_lock.lock_bh();
            sad.xfrm_state_update(x, now, &hook)?;
        }
        if x.is_linked() {
            // It replaced a larval state.
            self.arm_state(net, &d, x, 1);
        } else if let Some(x1) = old {
            // Updated in place: the timer restarts (at once after a hard
            // byte/packet hit).
            let secs = u64::from(x1.km_state() != XfrmKmState::Expired);
            self.arm_state(net, &d, &x1, secs);
        }
        d.km_waitq_wake_up(&net.xfrm);
        Ok(())
    }

    /// `xfrm_state_delete(x)`: `ESRCH` if it was already deleted. No
    /// notification (the front end sends it).
    pub fn xfrm_state_delete(&self, net: &Arc<Net>, x: &Arc<XfrmState>) -> KResult<()> {
        let _span = tracing::trace_span!("xfrm_state_delete").entered();
        let d = self.pernet(net)?;
        let r = net.xfrm.state.xfrm_state_delete(x);
        d.cancel_state_timer(x);
        r
    }

    /// `xfrm_state_flush(net, proto)`: deletes every non-kernel-owned state
    /// whose protocol matches; the count, or `ESRCH` if none.
    pub fn xfrm_state_flush(&self, net: &Arc<Net>, proto: u8) -> KResult<u32> {
        let _span = tracing::trace_span!("xfrm_state_flush").entered();
        let d = self.pernet(net)?;
        let r = net.xfrm.state.xfrm_state_flush(proto);
        d.prune_timers(&net.xfrm);
        r
    }

    /// `xfrm_state_lookup(net, mark, daddr, spi, proto, family)`.
    pub fn xfrm_state_lookup(
        &self,
        net: &Net,
        mark: u32,
        daddr: &XfrmAddress,
        spi: u32,
        proto: u8,
        family: u16,
    ) -> Option<Arc<XfrmState>> {
        net.xfrm.state.xfrm_state_lookup(mark, daddr, spi, proto, family)
    }

    /// `xfrm_alloc_spi(x, low, high)`: `ENOENT` for a dead state or an
    /// exhausted range.
    pub fn xfrm_alloc_spi(
        &self,
        net: &Net,
        x: &Arc<XfrmState>,
        low: u32,
        high: u32,
    ) -> KResult<()> {
        net.xfrm.state.xfrm_alloc_spi(x, low, high, &self.inner.rng)
    }

    /// `xfrm_find_acq(net, mark, mode, reqid, if_id, proto, daddr, saddr,
    /// create, family)`: the GETSPI/ALLOCSPI larval state, created with
    /// `create` (expiring after `xfrm_acq_expires`).
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_find_acq(
        &self,
        net: &Arc<Net>,
        mark: XfrmMark,
        mode: u8,
        reqid: u32,
        if_id: u32,
        proto: u8,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        create: bool,
        family: u16,
    ) -> Option<Arc<XfrmState>> {
        let d = self.pernet(net).ok()?;
        let sad = &net.xfrm.state;
        sad.set_acq_expires(net.xfrm.acq_expires());
        let a =
            FindAcq { mark, mode, reqid, if_id, pcpu_num: u32::MAX, proto, daddr, saddr, family };
        let x = {
            let _g = d.find_lock.lock_bh();
            sad.xfrm_find_acq(&a, create, self.now())?
        };
        // A new larval state gets `mtimer` armed for its acquire lifetime.
        let lft = x.lock_bh().lft;
        self.start_mtimer(net, &d, &x, &lft, lft.hard_add_expires_seconds, false);
        Some(x)
    }

    /// `xfrm_state_check_expire` + the checks of `xfrm_output_one` for one
    /// packet of `bytes` through the bundle: a non-VALID state counts
    /// `XfrmOutStateInvalid` (`EINVAL`); a hard byte/packet limit expires
    /// the state (`XfrmOutStateExpired`, `EINVAL`); a soft one reports a
    /// soft expiry.
    pub fn xfrm_output(
        &self,
        net: &Arc<Net>,
        bundle: &[Arc<XfrmState>],
        bytes: u64,
    ) -> KResult<()> {
        let d = self.pernet(net)?;
        let now = self.now();
        for x in bundle {
            if x.km_state() != XfrmKmState::Valid {
                d.stats.inc(LinuxMibXfrm::OutStateInvalid);
                return Err(Errno::EINVAL);
            }
            let hook = Expiry { xfrm: self, net, d: &d };
            // The output path runs with BH disabled.
            lockdep::local_bh_disable();
            let r = net.xfrm.state.xfrm_state_account_use(x, bytes, 1, now, &hook);
            lockdep::local_bh_enable();
            if r.is_err() {
                d.stats.inc(LinuxMibXfrm::OutStateExpired);
                if x.km_state() == XfrmKmState::Dead {
                    d.cancel_state_timer(x);
                }
                return r;
            }
        }
        Ok(())
    }

    /// The state checks at the top of `xfrm_input` for an inbound packet:
    /// no state → `XfrmInNoStates`; a larval one → `XfrmAcquireError`;
    /// another non-VALID one → `XfrmInStateInvalid`. Returns the state.
    pub fn xfrm_input_state(
        &self,
        net: &Net,
        mark: u32,
        daddr: &XfrmAddress,
        spi: u32,
        proto: u8,
        family: u16,
    ) -> KResult<Arc<XfrmState>> {
        let d = self.pernet(net)?;
        let Some(x) = net.xfrm.state.xfrm_state_lookup(mark, daddr, spi, proto, family) else {
            d.stats.inc(LinuxMibXfrm::InNoStates);
            return Err(Errno::EINVAL);
        };
        match x.km_state() {
            XfrmKmState::Valid => Ok(x),
            XfrmKmState::Acq => {
                d.stats.inc(LinuxMibXfrm::AcquireError);
                Err(Errno::EINVAL)
            }
            _ => {
                d.stats.inc(LinuxMibXfrm::InStateInvalid);
                Err(Errno::EINVAL)
            }
        }
    }

    // ------------------------------------------------------------------
    // Policy operations.

    /// `xfrm_policy_insert(dir, policy, excl)`: `EEXIST` for a duplicate
    /// with `excl`, else a duplicate is replaced (its index inherited). The
    /// lifetime timer starts 1 s later when the policy has time limits.
    pub fn xfrm_policy_insert(
        &self,
        net: &Arc<Net>,
        dir: u8,
        info: XfrmPolicyInfo,
        excl: bool,
    ) -> KResult<PolicyInsert> {
        let _span = tracing::trace_span!("xfrm_policy_insert").entered();
        let d = self.pernet(net)?;
        let r = net.xfrm.policy.xfrm_policy_insert(dir, info, excl, self.now())?;
        if let Some(old) = &r.replaced {
            d.cancel_policy_timer(old);
        }
        if has_time_limit(&r.policy.info().lft) {
            self.arm_policy_timer(net, &d, &r.policy, 1);
        }
        Ok(r)
    }

    /// `xfrm_policy_delete(pol, dir)`: `ENOENT` if no longer linked.
    pub fn xfrm_policy_delete(
        &self,
        net: &Arc<Net>,
        pol: &Arc<XfrmPolicy>,
        dir: u8,
    ) -> KResult<()> {
        let _span = tracing::trace_span!("xfrm_policy_delete").entered();
        let d = self.pernet(net)?;
        let r = net.xfrm.policy.xfrm_policy_delete(pol, dir);
        d.cancel_policy_timer(pol);
        r
    }

    /// `xfrm_policy_byid(net, mark, if_id, type, dir, id, delete)`.
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_policy_byid(
        &self,
        net: &Arc<Net>,
        mark: XfrmMark,
        if_id: u32,
        ptype: u8,
        dir: u8,
        id: u32,
        delete: bool,
    ) -> KResult<Arc<XfrmPolicy>> {
        // Only a delete touches the layer's per-namespace data (timers).
        let d = if delete { Some(self.pernet(net)?) } else { None };
        let p = net.xfrm.policy.xfrm_policy_byid(mark, if_id, ptype, dir, id, delete)?;
        if let Some(d) = d {
            d.cancel_policy_timer(&p);
        }
        Ok(p)
    }

    /// `xfrm_policy_bysel_ctx(net, mark, if_id, type, dir, sel, ctx,
    /// delete)`.
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_policy_bysel_ctx(
        &self,
        net: &Arc<Net>,
        mark: XfrmMark,
        if_id: u32,
        ptype: u8,
        dir: u8,
        sel: &XfrmSelector,
        ctx: Option<&XfrmSecCtx>,
        delete: bool,
    ) -> KResult<Arc<XfrmPolicy>> {
        // Only a delete touches the layer's per-namespace data (timers).
        let d = if delete { Some(self.pernet(net)?) } else { None };
        let p = net.xfrm.policy.xfrm_policy_bysel_ctx(mark, if_id, ptype, dir, sel, ctx, delete)?;
        if let Some(d) = d {
            d.cancel_policy_timer(&p);
        }
        Ok(p)
    }

    /// `xfrm_policy_flush(net, type)`: the number deleted, `ESRCH` if none.
    pub fn xfrm_policy_flush(&self, net: &Arc<Net>, ptype: u8) -> KResult<usize> {
        let _span = tracing::trace_span!("xfrm_policy_flush").entered();
        let d = self.pernet(net)?;
        let r = net.xfrm.policy.xfrm_policy_flush(ptype);
        d.prune_timers(&net.xfrm);
        r
    }

    /// `xfrm_user_policy(sk, optname, optval, optlen)` up to the socket
    /// slot: `EMSGSIZE` for an empty or larger-than-a-page option, then
    /// each manager's `compile_policy` in list order until one accepts
    /// (else the last error, `EINVAL` with no manager); the policy is
    /// linked into the SPD as a socket policy (`xfrm_sk_policy_insert`'s
    /// table part) and returned with its direction for the socket's
    /// `sk_policy[dir]`. `family` is the socket's. Removing a socket's
    /// policies (NULL option) is the socket layer's part.
    pub fn xfrm_user_policy(
        &self,
        net: &Arc<Net>,
        family: u16,
        optname: i32,
        optval: &[u8],
    ) -> KResult<(Arc<XfrmPolicy>, u8)> {
        /// `PAGE_SIZE`.
        const PAGE_SIZE: usize = 4096;
        if optval.is_empty() || optval.len() > PAGE_SIZE {
            return Err(Errno::EMSGSIZE);
        }
        let (info, dir) = self.inner.km.km_compile_policy(family, optname, optval)?;
        let pol = net.xfrm.policy.xfrm_sk_policy_link(dir, info, self.now())?;
        Ok((pol, dir))
    }

    /// `/proc/net/xfrm_stat` of `net`.
    pub fn xfrm_stat(&self, net: &Net) -> KResult<String> {
        Ok(self.pernet(net)?.stats.render())
    }
}
