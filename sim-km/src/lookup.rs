//! The output lookup: `xfrm_state_find` (candidate selection, larval
//! states, `km_query`), `xfrm_tmpl_resolve(_one)`, `xfrm_sk_policy_lookup`
//! and `xfrm_lookup` with both the older blocking larval path and the
//! current non-blocking one (net/xfrm/xfrm_state.c, xfrm_policy.c).

use sim_core::sync::Arc;
use sim_core::sync::atomic::Ordering;
use sim_core::task::SignalState;
use sim_core::xfrm::addr::xfrm_addr_equal;
use sim_core::xfrm::policy::{
    XFRM_MAX_DEPTH, XFRM_POLICY_ALLOW, XFRM_POLICY_ICMP, XFRM_POLICY_OUT, XFRM_POLICY_TYPE_MAIN,
};
use sim_core::xfrm::selector::XfrmSelector;
use sim_core::xfrm::state::flags::XFRM_STATE_WILDRECV;
use sim_core::xfrm::state::mode::{XFRM_MODE_BEET, XFRM_MODE_IPTFS, XFRM_MODE_TUNNEL};
use sim_core::xfrm::state::{XFRM_SA_DIR_OUT, XfrmStateInfo};
use sim_core::xfrm::state_table::{StateTable, xfrm_state_addr_check};
use sim_core::xfrm::{
    AF_INET6, XfrmAddress, XfrmFlow, XfrmKmState, XfrmPolicy, XfrmState, XfrmTmpl,
    xfrm_selector_match,
};
use sim_core::{Errno, KResult};
use sim_netns::Net;
use sim_netns::xfrm::XFRM_USERPOLICY_BLOCK;

use crate::km::{KmEvent, xfrm_msg};
use crate::pernet::{XfrmKmNet, XfrmLookupMode};
use crate::stats::LinuxMibXfrm;
use crate::xfrm::Xfrm;

/// `XFRM_LOOKUP_ICMP`: an ICMP error lookup (the policy must allow ICMP).
pub const XFRM_LOOKUP_ICMP: u32 = 1 << 0;
/// `XFRM_LOOKUP_QUEUE`: the caller can use a queueing route (current
/// kernels, `xfrm_larval_drop` 0).
pub const XFRM_LOOKUP_QUEUE: u32 = 1 << 1;
/// `XFRM_LOOKUP_KEEP_DST_REF` (accepted, no effect here).
pub const XFRM_LOOKUP_KEEP_DST_REF: u32 = 1 << 2;
/// `FLOWI_FLAG_CAN_SLEEP` (old kernels; `XFRM_LOOKUP_WAIT` in 2.6.2x): the
/// caller may sleep on `km_waitq` until the SAs are negotiated.
pub const FLOWI_FLAG_CAN_SLEEP: u32 = 1 << 8;

/// What `xfrm_lookup` gives the caller instead of a `dst_entry`.
#[derive(Clone, Debug)]
pub enum XfrmDst {
    /// No policy applies (or it needs no transform): the original route.
    Pass,
    /// The bundle: the states to apply, outermost last (template order).
    Bundle(Vec<Arc<XfrmState>>),
    /// `make_blackhole`: the send succeeds and the packet is discarded
    /// (`xfrm_larval_drop` while SAs are being negotiated).
    Blackhole,
    /// Current kernels with `XFRM_LOOKUP_QUEUE`: a queueing dummy bundle on
    /// this policy; packets wait for the SAs.
    Queue(Arc<XfrmPolicy>),
}

/// What the candidate scan of `xfrm_state_find` found.
#[derive(Default)]
struct Scan {
    best: Option<(Arc<XfrmState>, u64)>,
    acquire_in_progress: bool,
    error: Option<Errno>,
}

impl Scan {
    /// `xfrm_state_look_at(pol, x, fl, family, &best, &acquire_in_progress,
    /// &error)`.
    fn look_at(&mut self, x: &Arc<XfrmState>, fl: &XfrmFlow, family: u16) {
        let (sel, add_time): (XfrmSelector, u64) = {
            let m = x.lock_bh();
            (m.sel, m.curlft.add_time)
        };
        let sel_ok =
            sel.family == 0 || (sel.family == family && xfrm_selector_match(&sel, fl, family));
        match x.km_state() {
            XfrmKmState::Valid => {
                if !sel_ok {
                    return;
                }
                let better = match &self.best {
                    None => true,
                    Some((b, b_add)) => {
                        (b.dying() && !x.dying()) || (b.dying() == x.dying() && *b_add < add_time)
                    }
                };
                if better {
                    self.best = Some((x.clone(), add_time));
                }
            }
            XfrmKmState::Acq => self.acquire_in_progress = true,
            XfrmKmState::Error | XfrmKmState::Expired if sel_ok => {
                self.error = Some(Errno::ESRCH);
            }
            _ => {}
        }
    }

    fn nothing(&self) -> bool {
        self.best.is_none() && !self.acquire_in_progress && self.error.is_none()
    }
}

/// `xfrm_init_tempsel`: the larval state's selector is exactly the flow.
fn xfrm_init_tempsel(fl: &XfrmFlow, family: u16) -> XfrmSelector {
    let plen = if family == AF_INET6 { 128 } else { 32 };
    XfrmSelector {
        daddr: fl.daddr,
        saddr: fl.saddr,
        dport: fl.dport,
        dport_mask: 0xffff,
        sport: fl.sport,
        sport_mask: 0xffff,
        family,
        prefixlen_d: plen,
        prefixlen_s: plen,
        proto: fl.proto,
        ifindex: fl.oif,
        user: 0,
    }
}

/// Arguments of one `xfrm_state_find` call.
struct Find<'a> {
    sad: &'a StateTable,
    daddr: &'a XfrmAddress,
    saddr: &'a XfrmAddress,
    fl: &'a XfrmFlow,
    tmpl: &'a XfrmTmpl,
    pol: &'a Arc<XfrmPolicy>,
    family: u16,
    if_id: u32,
}

impl Find<'_> {
    fn mark(&self) -> u32 {
        let m = self.pol.mark();
        m.v & m.m
    }

    /// The bydst scans: first (daddr, saddr) with the address check, then,
    /// if that found nothing at all, (daddr, any) for wildcard sources.
    fn scan(&self) -> Scan {
        let mut s = Scan::default();
        self.scan_bucket(self.saddr, false, &mut s);
        if s.nothing() {
            self.scan_bucket(&XfrmAddress::ANY, true, &mut s);
        }
        s
    }

    fn scan_bucket(&self, hsaddr: &XfrmAddress, wildcard: bool, s: &mut Scan) {
        let t = self.tmpl;
        let enc = t.encap_family;
        let mark = self.mark();
        for x in self.sad.bydst_candidates(self.daddr, hsaddr, t.reqid, enc) {
            let addr_ok = if wildcard {
                xfrm_addr_equal(&x.daddr, self.daddr, enc)
            } else {
                xfrm_state_addr_check(&x, self.daddr, self.saddr, enc)
            };
            if x.family == enc
                && x.reqid == t.reqid
                && x.mark.matches(mark)
                && x.if_id() == self.if_id
                && x.flags & XFRM_STATE_WILDRECV == 0
                && addr_ok
                && x.mode == t.mode
                && x.proto == t.id.proto
                && (t.id.spi == 0 || t.id.spi == x.spi())
            {
                s.look_at(&x, self.fl, self.family);
            }
        }
    }
}

impl Xfrm {
    /// `xfrm_state_find(daddr, saddr, fl, tmpl, pol, &err, family, if_id)`:
    /// the best VALID state for the template, or the larval state of an
    /// acquire it starts (one per template and flow: creation is atomic),
    /// or an error — `EAGAIN` while an acquire is pending, `ESRCH` for an
    /// ERROR/EXPIRED larval state or when no key manager listens or all
    /// refused, `EEXIST` if a fixed template SPI is taken.
    #[allow(clippy::too_many_arguments)]
    pub fn xfrm_state_find(
        &self,
        net: &Arc<Net>,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        fl: &XfrmFlow,
        tmpl: &XfrmTmpl,
        pol: &Arc<XfrmPolicy>,
        family: u16,
        if_id: u32,
    ) -> KResult<Arc<XfrmState>> {
        let _span = tracing::trace_span!("xfrm_state_find").entered();
        let d = self.pernet(net)?;
        self.xfrm_state_find_in(net, &d, daddr, saddr, fl, tmpl, pol, family, if_id)
    }

    /// [`Xfrm::xfrm_state_find`] with the namespace's data at hand.
    #[allow(clippy::too_many_arguments)]
    fn xfrm_state_find_in(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        daddr: &XfrmAddress,
        saddr: &XfrmAddress,
        fl: &XfrmFlow,
        tmpl: &XfrmTmpl,
        pol: &Arc<XfrmPolicy>,
        family: u16,
        if_id: u32,
    ) -> KResult<Arc<XfrmState>> {
        let sad = &net.xfrm.state;
        let f = Find { sad, daddr, saddr, fl, tmpl, pol, family, if_id };
        let verdict = |s: Scan| -> Option<KResult<Arc<XfrmState>>> {
            if let Some((b, _)) = s.best {
                return Some(Ok(b));
            }
            if s.acquire_in_progress {
                return Some(Err(Errno::EAGAIN));
            }
            s.error.map(Err)
        };
        if let Some(r) = verdict(f.scan()) {
            return r;
        }

        // Create the larval state: find, km_query and insert are one step,
        // so two tasks missing on the same flow start one acquire.
        let r = {
            let _g = d.find_lock.lock_bh();
            if let Some(r) = verdict(f.scan()) {
                return r;
            }
            let enc = tmpl.encap_family;
            let mark = f.mark();
            if tmpl.id.spi != 0
                && sad.xfrm_state_lookup(mark, daddr, tmpl.id.spi, tmpl.id.proto, enc).is_some()
            {
                return Err(Errno::EEXIST);
            }
            if !self.km().km_is_alive(&KmEvent::new(net, xfrm_msg::XFRM_MSG_ACQUIRE)) {
                return Err(Errno::ESRCH);
            }
            // xfrm_init_tempstate.
            let id_daddr = if tmpl.id.daddr.is_any(enc) { *daddr } else { tmpl.id.daddr };
            let props_saddr = if tmpl.saddr.is_any(enc) { *saddr } else { tmpl.saddr };
            let mut info =
                XfrmStateInfo::new(enc, id_daddr, props_saddr, tmpl.id.spi, tmpl.id.proto);
            info.sel = xfrm_init_tempsel(fl, family);
            info.mode = tmpl.mode;
            info.reqid = tmpl.reqid;
            info.mark = pol.mark();
            info.if_id = if_id;
            info.dir = XFRM_SA_DIR_OUT;
            let x = Arc::new(XfrmState::new(info, self.now()));
            sad.set_acq_expires(net.xfrm.acq_expires());
            match self.km().km_query(net, &x, tmpl, pol) {
                Ok(()) => sad.xfrm_state_insert_larval(&x).map(|()| x),
                Err(_) => {
                    x.set_km_state(XfrmKmState::Dead);
                    Err(Errno::ESRCH)
                }
            }
        };
        // The new larval state's timer: `xfrm_acq_expires` seconds.
        if let Ok(x) = &r {
            let secs = x.lock_bh().lft.hard_add_expires_seconds;
            self.arm_state(net, d, x, secs);
        }
        r
    }

    /// `xfrm_tmpl_resolve_one(policy, fl, xfrm, family)`: one state per
    /// template; tunnel/BEET templates move the endpoints to the tunnel
    /// (a wildcard template source becomes the flow's source, standing for
    /// the route's). A larval or missing state is `EAGAIN`, an ERROR one
    /// `EINVAL`, a state for the other direction `EINVAL`; optional
    /// templates may fail.
    fn xfrm_tmpl_resolve_one(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        pol: &Arc<XfrmPolicy>,
        fl: &XfrmFlow,
        family: u16,
        out: &mut Vec<Arc<XfrmState>>,
    ) -> KResult<()> {
        let mut daddr = fl.daddr;
        let mut saddr = fl.saddr;
        for tmpl in &pol.info().tmpls {
            let (remote, local) = match tmpl.mode {
                XFRM_MODE_TUNNEL | XFRM_MODE_IPTFS | XFRM_MODE_BEET => {
                    let local =
                        if tmpl.saddr.is_any(tmpl.encap_family) { fl.saddr } else { tmpl.saddr };
                    (tmpl.id.daddr, local)
                }
                _ => (daddr, saddr),
            };
            let r = self.xfrm_state_find_in(
                net,
                d,
                &remote,
                &local,
                fl,
                tmpl,
                pol,
                family,
                pol.if_id(),
            );
            let error = match r {
                Ok(x) if x.dir != 0 && x.dir != XFRM_SA_DIR_OUT => {
                    d.stats.inc(LinuxMibXfrm::OutStateDirError);
                    return Err(Errno::EINVAL);
                }
                Ok(x) if x.km_state() == XfrmKmState::Valid => {
                    out.push(x);
                    daddr = remote;
                    saddr = local;
                    continue;
                }
                Ok(x) if x.km_state() == XfrmKmState::Error => Errno::EINVAL,
                Ok(_) => Errno::EAGAIN,
                Err(Errno::ESRCH) => Errno::EAGAIN,
                Err(e) => e,
            };
            if tmpl.optional == 0 {
                return Err(error);
            }
        }
        Ok(())
    }

    /// `xfrm_tmpl_resolve(pols, npols, fl, xfrm, family)`: `ENOBUFS` when the
    /// templates would exceed `XFRM_MAX_DEPTH`.
    fn xfrm_tmpl_resolve(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        pols: &[Arc<XfrmPolicy>],
        fl: &XfrmFlow,
        family: u16,
    ) -> KResult<Vec<Arc<XfrmState>>> {
        let mut out = Vec::with_capacity(pols.iter().map(|p| p.info().xfrm_nr()).sum());
        for pol in pols {
            if out.len() + pol.info().xfrm_nr() >= XFRM_MAX_DEPTH {
                return Err(Errno::ENOBUFS);
            }
            self.xfrm_tmpl_resolve_one(net, d, pol, fl, family, &mut out)?;
        }
        Ok(out)
    }

    /// `xfrm_sk_policy_lookup(sk, dir, fl, family, if_id)` for the socket's
    /// policy `pol`: it applies if the family and selector match, and then
    /// only if the socket mark and if_id match too.
    pub fn xfrm_sk_policy_lookup(
        pol: &Arc<XfrmPolicy>,
        fl: &XfrmFlow,
        family: u16,
        if_id: u32,
    ) -> Option<Arc<XfrmPolicy>> {
        if pol.is_dead() || pol.family() != family {
            return None;
        }
        if !xfrm_selector_match(pol.selector(), fl, family) {
            return None;
        }
        if !pol.mark().matches(fl.mark) || pol.if_id() != if_id {
            return None;
        }
        Some(pol.clone())
    }

    /// `xfrm_lookup(net, dst_orig, fl, sk, flags)` for the OUT direction,
    /// from a task whose signal state is `task`. `sk_policy` is the
    /// socket's OUT policy (`sk->sk_policy[XFRM_POLICY_OUT]`), consulted
    /// first; then the SPD (SUB, then MAIN). Outcomes: [`XfrmDst::Pass`]
    /// (no policy, or no transform needed), a bundle, `EPERM` for a block
    /// policy (or default-block with no policy), `ENOENT` for an ICMP
    /// lookup the policy does not allow, and for templates still being
    /// negotiated:
    ///
    /// - `xfrm_larval_drop` set → [`XfrmDst::Blackhole`];
    /// - the namespace's [`XfrmLookupMode::Sleeping`] (old kernels) with
    ///   [`FLOWI_FLAG_CAN_SLEEP`] → sleep on `km_waitq`, restart the whole
    ///   lookup when woken, `ERESTART` on a signal; without it `EAGAIN`;
    /// - [`XfrmLookupMode::NonBlocking`] (current kernels) →
    ///   [`XfrmDst::Queue`] with [`XFRM_LOOKUP_QUEUE`], else `EAGAIN`.
    pub fn xfrm_lookup(
        &self,
        net: &Arc<Net>,
        fl: &XfrmFlow,
        family: u16,
        sk_policy: Option<&Arc<XfrmPolicy>>,
        flags: u32,
        task: &SignalState,
    ) -> KResult<XfrmDst> {
        let _span = tracing::trace_span!("xfrm_lookup").entered();
        let d = self.pernet(net)?;
        loop {
            // Read before resolving: a wake-up after this point ends the
            // sleep below (no lost wake-up).
            let events = d.waitq_events.load(Ordering::SeqCst);
            match self.xfrm_lookup_once(net, &d, fl, family, sk_policy, flags)? {
                Resolved::Done(dst) => return Ok(dst),
                Resolved::Larval(pol) => {
                    let larval_drop = net.xfrm.larval_drop() != 0;
                    match d.lookup_mode() {
                        XfrmLookupMode::NonBlocking => {
                            if flags & XFRM_LOOKUP_QUEUE != 0 && !larval_drop {
                                return Ok(XfrmDst::Queue(pol));
                            }
                            d.stats.inc(LinuxMibXfrm::OutNoStates);
                            return if larval_drop {
                                Ok(XfrmDst::Blackhole)
                            } else {
                                Err(Errno::EAGAIN)
                            };
                        }
                        XfrmLookupMode::Sleeping => {
                            if larval_drop {
                                d.stats.inc(LinuxMibXfrm::OutNoStates);
                                return Ok(XfrmDst::Blackhole);
                            }
                            if flags & FLOWI_FLAG_CAN_SLEEP == 0 {
                                d.stats.inc(LinuxMibXfrm::OutNoStates);
                                return Err(Errno::EAGAIN);
                            }
                            let woken = net.xfrm.km_waitq.wait_event_interruptible(task, || {
                                d.waitq_events.load(Ordering::SeqCst) != events
                            });
                            if woken.is_err() {
                                d.stats.inc(LinuxMibXfrm::OutNoStates);
                                return Err(Errno::ERESTART);
                            }
                        }
                    }
                }
            }
        }
    }

    /// One pass of the lookup: policies, expansion, template resolution.
    fn xfrm_lookup_once(
        &self,
        net: &Arc<Net>,
        d: &XfrmKmNet,
        fl: &XfrmFlow,
        family: u16,
        sk_policy: Option<&Arc<XfrmPolicy>>,
        flags: u32,
    ) -> KResult<Resolved> {
        let mut pols: Vec<Arc<XfrmPolicy>> = Vec::with_capacity(2);
        if let Some(p) = sk_policy.and_then(|sp| Self::xfrm_sk_policy_lookup(sp, fl, family, 0)) {
            pols.push(p);
        }
        if pols.is_empty() {
            // xfrm_policy_lookup (SUB before MAIN), then xfrm_expand_policies
            // adds the MAIN policy behind a SUB one.
            if let Some(p) = net.xfrm.policy.xfrm_policy_lookup(fl, family, XFRM_POLICY_OUT, 0) {
                let sub = p.ptype() != XFRM_POLICY_TYPE_MAIN;
                pols.push(p);
                let main = sub.then(|| {
                    net.xfrm.policy.xfrm_policy_lookup_bytype(
                        XFRM_POLICY_TYPE_MAIN,
                        fl,
                        family,
                        XFRM_POLICY_OUT,
                        0,
                    )
                });
                if let Some(m) = main.flatten() {
                    pols.push(m);
                }
            }
        }
        let Some(first) = pols.first() else {
            let out = usize::from(XFRM_POLICY_OUT);
            if net.xfrm.policy_default(out) == Some(XFRM_USERPOLICY_BLOCK) {
                return Err(Errno::EPERM);
            }
            return Ok(Resolved::Done(XfrmDst::Pass));
        };
        if flags & XFRM_LOOKUP_ICMP != 0 && first.info().flags & XFRM_POLICY_ICMP == 0 {
            return Err(Errno::ENOENT);
        }
        let now = self.now();
        for p in &pols {
            p.set_use_time(now);
        }
        if pols.iter().any(|p| p.info().action != XFRM_POLICY_ALLOW) {
            d.stats.inc(LinuxMibXfrm::OutPolBlock);
            return Err(Errno::EPERM);
        }
        if pols.iter().all(|p| p.info().tmpls.is_empty()) {
            return Ok(Resolved::Done(XfrmDst::Pass));
        }
        match self.xfrm_tmpl_resolve(net, d, &pols, fl, family) {
            Ok(b) if b.is_empty() => Ok(Resolved::Done(XfrmDst::Pass)),
            Ok(b) => Ok(Resolved::Done(XfrmDst::Bundle(b))),
            Err(Errno::EAGAIN) => Ok(Resolved::Larval(first.clone())),
            Err(e) => {
                d.stats.inc(LinuxMibXfrm::OutPolError);
                Err(e)
            }
        }
    }
}

/// The result of one lookup pass.
enum Resolved {
    Done(XfrmDst),
    /// Templates of this policy are still being negotiated.
    Larval(Arc<XfrmPolicy>),
}
