//! SA handlers of xfrm_user.c: `xfrm_add_sa` (NEWSA, UPDSA) with
//! `xfrm_state_construct`, `xfrm_del_sa`, `xfrm_get_sa`, the GETSA dump,
//! `xfrm_alloc_userspi`, `xfrm_flush_sa`, `xfrm_add_sa_expire`,
//! `xfrm_add_acquire`, `xfrm_do_migrate`, and the SA message builders
//! (`copy_to_user_state_extra`, `xfrm_notify_sa`, `build_expire`).

use sim_core::sync::Arc;
use sim_core::xfrm::addr::xfrm_addr_equal;
use sim_core::xfrm::algo_table::{
    KernelProfile, xfrm_aalg_get_byname, xfrm_aead_get_byname, xfrm_calg_get_byname,
    xfrm_ealg_get_byname,
};
use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::state::flags::XFRM_STATE_AF_UNSPEC;
use sim_core::xfrm::state_table::XfrmStateWalk;
use sim_core::xfrm::{
    AF_INET, AF_INET6, AF_UNSPEC, XfrmAlgoAead, XfrmAlgoAuth, XfrmKmState, XfrmMark, XfrmState,
    XfrmStateInfo,
};
use sim_core::{Errno, KResult};
use sim_km::KmEvent;

use super::attr::XfrmAttrs;
use super::convert::*;
use super::dispatch::Ctx;
use super::msg::*;
use super::uapi::*;
use super::verify::{
    verify_newpolicy_info, verify_sec_ctx_len, xfrm_dump_sa_filter, xfrm_id_proto_match,
};
use super::wire::{self, FixedRepr};
use crate::netlink::wire::{NLM_F_MULTI, NlMsg, nla_total_size};
use crate::netlink::{ExtAck, NetlinkCallback, NetlinkDumpControl, NetlinkRcv, netlink_dump_start};
use crate::skbuff::SkBuffMut;

/// `HZ` of the simulated kernel (Debian's and the host's `CONFIG_HZ`):
/// `replay_maxage` is kept in jiffies by Linux and in milliseconds here.
pub const HZ: u32 = 250;
/// `XFRM_AE_ETH_M`: `xfrm_aevent_etime` is in 100 ms units.
const XFRM_AE_ETH_M: u32 = 10;

/// `replay_maxage` in jiffies from its milliseconds.
pub const fn maxage_jiffies(ms: u32) -> u32 {
    ms / (1000 / HZ)
}

/// `replay_maxage` in milliseconds from jiffies.
pub const fn maxage_ms(jiffies: u32) -> u32 {
    jiffies.saturating_mul(1000 / HZ)
}

fn event(c: &Ctx<'_, '_>) -> KmEvent {
    let mut e = KmEvent::new(c.net, u32::from(c.nlh.msg_type()));
    e.seq = c.nlh.seq();
    e.portid = c.nlh.pid();
    e
}

fn enosys(extack: &mut ExtAck, what: &'static str) -> Errno {
    extack.set_msg(what);
    Errno::ENOSYS
}

/// `xfrm_get_mode(mode, family) != NULL`: the built-in mode tables
/// (IPv4: transport, tunnel, BEET; IPv6 also route optimisation).
fn xfrm_mode_exists(mode: u8, family: u16) -> bool {
    match family {
        AF_INET => matches!(mode, XFRM_MODE_TRANSPORT | XFRM_MODE_TUNNEL | XFRM_MODE_BEET),
        AF_INET6 => matches!(
            mode,
            XFRM_MODE_TRANSPORT | XFRM_MODE_TUNNEL | XFRM_MODE_BEET | XFRM_MODE_ROUTEOPTIMIZATION
        ),
        _ => false,
    }
}

/// `XFRM_MODE_FLAG_TUNNEL` of a mode.
fn xfrm_mode_is_tunnel(mode: u8) -> bool {
    matches!(mode, XFRM_MODE_TUNNEL | XFRM_MODE_BEET | XFRM_MODE_IPTFS)
}

/// `__xfrm_init_state`'s mode and type checks (`EPROTONOSUPPORT`), then
/// the type's `init_state` checks that need no cryptography.
pub fn xfrm_init_state(
    x: &XfrmStateInfo,
    profile: &KernelProfile,
    extack: &mut ExtAck,
) -> KResult<()> {
    let family = x.family;
    let fail = |extack: &mut ExtAck, m: &'static str| {
        extack.set_msg(m);
        Err(Errno::EPROTONOSUPPORT)
    };
    if x.sel.family != AF_UNSPEC {
        if !xfrm_mode_exists(x.mode, x.sel.family) {
            return fail(extack, "Requested mode not found");
        }
        if !xfrm_mode_is_tunnel(x.mode) && family != x.sel.family {
            return fail(extack, "Only tunnel modes can accommodate a change of family");
        }
    } else if !xfrm_mode_exists(x.mode, family) {
        return fail(extack, "Requested mode not found");
    }
    if !profile.has_xfrm_type(x.id.proto, family) {
        return fail(extack, "Requested type not found");
    }
    // The types' init_state (esp_init_state, ah_init_state, ipcomp_init_state).
    let einval = |extack: &mut ExtAck, m: &'static str| {
        extack.set_msg(m);
        Err(Errno::EINVAL)
    };
    match x.id.proto {
        IPPROTO_ESP => {
            if x.aead.is_none() && x.ealg.is_none() {
                return einval(extack, "ESP: AEAD or CRYPT must be provided");
            }
            if let Some(e) = &x.encap
                && !matches!(e.encap_type, 1 | 2 | 7)
            {
                return einval(extack, "Unsupported encapsulation type for ESP");
            }
        }
        IPPROTO_AH => {
            if x.aalg.is_none() {
                return einval(extack, "AH requires a state with an AUTH algorithm");
            }
            if x.encap.is_some() {
                return einval(extack, "AH is not compatible with encapsulation");
            }
        }
        IPPROTO_COMP if x.encap.is_some() => {
            return einval(extack, "IPComp is not compatible with encapsulation");
        }
        _ => {}
    }
    if !xfrm_mode_exists(x.mode, family) {
        return fail(extack, "Requested mode not found");
    }
    // xfrm_init_replay
    if let Some(esn) = &x.replay_esn {
        if esn.replay_window as usize > esn.bmp.len() * 32 {
            return einval(extack, "ESN replay window is too large for the chosen bitmap size");
        }
        if x.flags & XFRM_STATE_ESN != 0
            && esn.replay_window == 0
            && (x.dir == 0 || x.dir == XFRM_SA_DIR_IN)
        {
            return einval(extack, "ESN replay window must be > 0");
        }
    }
    Ok(())
}

/// `xfrm_state_construct`: the state a NEWSA/UPDSA describes, with the
/// algorithms resolved against the profile's tables (`ENOSYS` for an
/// unknown one) and `__xfrm_init_state`'s checks.
pub fn xfrm_state_construct(
    c: &Ctx<'_, '_>,
    p: &wire::XfrmUsersaInfo,
    attrs: &XfrmAttrs<'_>,
    extack: &mut ExtAck,
) -> KResult<XfrmStateInfo> {
    let profile = c.u.profile;
    // copy_from_user_state
    let mut x = XfrmStateInfo::new(
        p.family,
        addr_from(&p.id.daddr),
        addr_from(&p.saddr),
        p.id.spi,
        p.id.proto,
    );
    x.sel = sel_from_user(&p.sel);
    x.lft = lft_from_user(&p.lft);
    x.mode = p.mode;
    x.replay_window = p.replay_window.min(32);
    x.reqid = p.reqid;
    x.flags = p.flags;
    if x.sel.family == 0 && p.flags & XFRM_STATE_AF_UNSPEC == 0 {
        x.sel.family = p.family;
    }
    if let Some(e) = attrs.payload(XFRMA_ENCAP) {
        x.encap = Some(encap_from_user(&wire::XfrmEncapTmpl::read_at(e, 0)));
    }
    if let Some(a) = attrs.payload(XFRMA_COADDR) {
        x.coaddr = Some(addr_from(&wire::read_array::<16>(a, 0)));
    }
    x.extra_flags = attrs.u32(XFRMA_SA_EXTRA_FLAGS).unwrap_or(0);
    // attach_aead
    if let Some(pl) = attrs.payload(XFRMA_ALG_AEAD) {
        let ua = wire::XfrmAlgoAead::from_bytes(pl).map_err(|_| Errno::EINVAL)?;
        let Some(d) = xfrm_aead_get_byname(profile, alg_name(&ua.alg_name), ua.alg_icv_len) else {
            return Err(enosys(extack, "Requested AEAD algorithm not found"));
        };
        x.aead = Some(XfrmAlgoAead {
            name: d.name.to_owned(),
            key_len: ua.alg_key_len,
            icv_len: ua.alg_icv_len,
            key: ua.alg_key,
        });
    }
    // attach_auth_trunc, then attach_auth if that left no PF_KEY id.
    let mut aalgo = 0u8;
    if let Some(pl) = attrs.payload(XFRMA_ALG_AUTH_TRUNC) {
        let ua = wire::XfrmAlgoAuth::from_bytes(pl).map_err(|_| Errno::EINVAL)?;
        let Some(d) = xfrm_aalg_get_byname(profile, alg_name(&ua.alg_name)) else {
            return Err(enosys(extack, "Requested AUTH_TRUNC algorithm not found"));
        };
        let info = d.auth().ok_or(Errno::ENOSYS)?;
        if ua.alg_trunc_len > u32::from(info.icv_fullbits) {
            extack.set_msg("Invalid length requested for truncated ICV");
            return Err(Errno::EINVAL);
        }
        aalgo = d.desc.sadb_alg_id;
        let trunc =
            if ua.alg_trunc_len == 0 { u32::from(info.icv_truncbits) } else { ua.alg_trunc_len };
        x.aalg = Some(XfrmAlgoAuth {
            name: d.name.to_owned(),
            key_len: ua.alg_key_len,
            trunc_len: trunc,
            key: ua.alg_key,
        });
    }
    if aalgo == 0
        && let Some(pl) = attrs.payload(XFRMA_ALG_AUTH)
    {
        let ua = wire::XfrmAlgo::from_bytes(pl).map_err(|_| Errno::EINVAL)?;
        let Some(d) = xfrm_aalg_get_byname(profile, alg_name(&ua.alg_name)) else {
            return Err(enosys(extack, "Requested AUTH algorithm not found"));
        };
        let info = d.auth().ok_or(Errno::ENOSYS)?;
        x.aalg = Some(XfrmAlgoAuth {
            name: d.name.to_owned(),
            key_len: ua.alg_key_len,
            trunc_len: u32::from(info.icv_truncbits),
            key: ua.alg_key,
        });
    }
    // attach_crypt
    if let Some(pl) = attrs.payload(XFRMA_ALG_CRYPT) {
        let ua = wire::XfrmAlgo::from_bytes(pl).map_err(|_| Errno::EINVAL)?;
        let Some(d) = xfrm_ealg_get_byname(profile, alg_name(&ua.alg_name)) else {
            return Err(enosys(extack, "Requested CRYPT algorithm not found"));
        };
        x.ealg = Some(algo_from_user(&ua, d.name));
    }
    // attach_one_algo(calg)
    if let Some(pl) = attrs.payload(XFRMA_ALG_COMP) {
        let ua = wire::XfrmAlgo::from_bytes(pl).map_err(|_| Errno::EINVAL)?;
        let Some(d) = xfrm_calg_get_byname(profile, alg_name(&ua.alg_name)) else {
            return Err(enosys(extack, "Requested COMP algorithm not found"));
        };
        // The kernel copies the whole struct xfrm_algo, no key.
        x.calg = Some(sim_core::xfrm::XfrmAlgo {
            name: d.name.to_owned(),
            key_len: ua.alg_key_len,
            key: Vec::new(),
        });
    }
    x.tfcpad = attrs.u32(XFRMA_TFCPAD).unwrap_or(0);
    let (mark, _) = xfrm_mark_get(attrs);
    x.mark = mark;
    // xfrm_smark_init: a mask defaults to all ones.
    if let Some(v) = attrs.u32(XFRMA_SET_MARK) {
        x.smark = XfrmMark::new(v, attrs.u32(XFRMA_SET_MARK_MASK).unwrap_or(u32::MAX));
    }
    x.if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    x.dir = attrs.u8(XFRMA_SA_DIR).unwrap_or(0);
    x.nat_keepalive_interval = attrs.u32(XFRMA_NAT_KEEPALIVE_INTERVAL).unwrap_or(0);
    if let Some(cpu) = attrs.u32(XFRMA_SA_PCPU) {
        // One possible CPU in the simulation.
        if cpu >= 1 {
            extack.set_msg("pCPU number too big");
            return Err(Errno::ERANGE);
        }
        x.pcpu_num = cpu;
    }
    if let Some(pl) = attrs.payload(XFRMA_REPLAY_ESN_VAL) {
        x.replay_esn = Some(esn_from_user(pl));
    }
    x.seq = p.seq;
    let net = &c.net.xfrm;
    x.replay_maxdiff = net.aevent_rseqth();
    x.replay_maxage_ms = maxage_ms(net.aevent_etime().saturating_mul(HZ) / XFRM_AE_ETH_M);
    xfrm_init_state(&x, profile, extack)?;
    // xfrm_update_ae_params(x, attrs, 0)
    if let Some(rp) = attrs.payload(XFRMA_REPLAY_VAL) {
        x.replay = replay_from_user(&wire::XfrmReplayState::read_at(rp, 0));
    }
    if let Some(et) = attrs.u32(XFRMA_ETIMER_THRESH) {
        x.replay_maxage_ms = maxage_ms(et);
    }
    if let Some(rt) = attrs.u32(XFRMA_REPLAY_THRESH) {
        x.replay_maxdiff = rt;
    }
    if let Some(mt) = attrs.u32(XFRMA_MTIMER_THRESH) {
        x.mapping_maxage = mt;
    }
    Ok(x)
}

/// `XFRMA_LTIME_VAL` of `xfrm_update_ae_params`: the counters (add time
/// included) replace those of a fresh state.
fn apply_ltime(x: &XfrmState, attrs: &XfrmAttrs<'_>) {
    if let Some(lt) = attrs.payload(XFRMA_LTIME_VAL) {
        x.lock_bh().curlft = curlft_from_user(&wire::XfrmLifetimeCur::read_at(lt, 0));
    }
}

/// `xfrm_add_sa`: NEWSA adds (`EEXIST` for a taken identity), UPDSA
/// updates; the state becomes VALID and every manager hears of it.
pub fn xfrm_add_sa(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_add_sa").entered();
    let p = wire::XfrmUsersaInfo::read_at(c.req.payload, 0);
    let info = xfrm_state_construct(c, &p, &c.req.attrs, extack)?;
    let x = Arc::new(XfrmState::new(info, c.u.xfrm.clock().real_seconds()));
    apply_ltime(&x, &c.req.attrs);
    // `__xfrm_init_state` ends with the state VALID, before it is added:
    // the add wakes `km_waitq`, and a woken lookup must find it usable
    // (else it would start a second acquire for the same flow).
    x.set_km_state(XfrmKmState::Valid);
    let r = if c.nlh.msg_type() == XFRM_MSG_NEWSA {
        c.u.xfrm.xfrm_state_add(c.net, &x)
    } else {
        c.u.xfrm.xfrm_state_update(c.net, &x)
    };
    if let Err(e) = r {
        x.set_km_state(XfrmKmState::Dead);
        return Err(e);
    }
    c.u.xfrm.km().km_state_notify(Some(&x), &event(c));
    Ok(())
}

/// `xfrm_user_state_lookup`: by SPI for AH/ESP/COMP, else by addresses
/// (`XFRMA_SRCADDR`, checked earlier); `ESRCH` when absent.
fn xfrm_user_state_lookup(c: &Ctx<'_, '_>, p: &wire::XfrmUsersaId) -> KResult<Arc<XfrmState>> {
    let attrs = &c.req.attrs;
    let (_, mark) = xfrm_mark_get(attrs);
    let daddr = addr_from(&p.daddr);
    let sad = &c.net.xfrm.state;
    if xfrm_id_proto_match(p.proto, IPSEC_PROTO_ANY) {
        sad.xfrm_state_lookup(mark, &daddr, p.spi, p.proto, p.family)
    } else {
        let Some(s) = attrs.payload(XFRMA_SRCADDR) else { return Err(Errno::EINVAL) };
        let saddr = addr_from(&wire::read_array::<16>(s, 0));
        sad.xfrm_state_lookup_byaddr(mark, &daddr, &saddr, p.proto, p.family)
    }
    .ok_or(Errno::ESRCH)
}

/// `xfrm_del_sa`: a tunnel-owned state is `EPERM`; the deletion is
/// announced to every manager.
pub fn xfrm_del_sa(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_del_sa").entered();
    let p = wire::XfrmUsersaId::read_at(c.req.payload, 0);
    let x = xfrm_user_state_lookup(c, &p)?;
    if x.is_kern() {
        extack.set_msg("SA is in use by tunnels");
        return Err(Errno::EPERM);
    }
    c.u.xfrm.xfrm_state_delete(c.net, &x)?;
    c.u.xfrm.km().km_state_notify(Some(&x), &event(c));
    Ok(())
}

/// `copy_to_user_state_extra`: the `xfrm_usersa_info` at `p_at` and the
/// SA attributes after it, in the kernel's order.
pub fn copy_to_user_state_extra(skb: &mut SkBuffMut, p_at: usize, x: &XfrmState) -> KResult<()> {
    // Read in place under `x->lock`: no snapshot of the whole state.
    let m = x.lock_bh();
    let lastused = m.lastused;
    let p = copy_to_user_state_locked(x, &m);
    if let Some(b) = skb.data_mut().get_mut(p_at..) {
        p.write_at(b, 0);
    }
    if x.extra_flags != 0 {
        put(skb.nla_put_u32(XFRMA_SA_EXTRA_FLAGS, x.extra_flags))?;
    }
    if let Some(a) = &m.coaddr {
        put(skb.nla_put(XFRMA_COADDR, a.as_bytes()))?;
    }
    if lastused != 0 {
        put(skb.nla_put(XFRMA_LASTUSED, &lastused.to_le_bytes()))?;
    }
    if let Some(a) = &x.aead {
        put(skb.nla_put(XFRMA_ALG_AEAD, &aead_to_user(a)))?;
    }
    if let Some(a) = &x.aalg {
        put(skb.nla_put(XFRMA_ALG_AUTH, &auth_to_user_legacy(a)))?;
        put(skb.nla_put(XFRMA_ALG_AUTH_TRUNC, &auth_to_user(a)))?;
    }
    if let Some(a) = &x.ealg {
        put(skb.nla_put(XFRMA_ALG_CRYPT, &algo_to_user(a)))?;
    }
    if let Some(a) = &x.calg {
        put(skb.nla_put(XFRMA_ALG_COMP, &algo_to_user(a)))?;
    }
    if let Some(e) = &m.encap {
        nla_put_struct(skb, XFRMA_ENCAP, &encap_to_user(e))?;
    }
    if x.tfcpad != 0 {
        put(skb.nla_put_u32(XFRMA_TFCPAD, x.tfcpad))?;
    }
    xfrm_mark_put(skb, &x.mark)?;
    xfrm_smark_put(skb, &m.smark)?;
    match &m.replay_esn {
        Some(e) => put(skb.nla_put(XFRMA_REPLAY_ESN_VAL, &esn_to_user(e))).map(drop)?,
        None => nla_put_struct(skb, XFRMA_REPLAY_VAL, &replay_to_user(&m.replay))?,
    };
    xfrm_if_id_put(skb, x.if_id())?;
    if x.mapping_maxage != 0 {
        put(skb.nla_put_u32(XFRMA_MTIMER_THRESH, x.mapping_maxage))?;
    }
    if x.pcpu_num != u32::MAX {
        put(skb.nla_put_u32(XFRMA_SA_PCPU, x.pcpu_num))?;
    }
    if x.dir != 0 {
        nla_put_u8(skb, XFRMA_SA_DIR, x.dir)?;
    }
    if x.nat_keepalive_interval != 0 {
        put(skb.nla_put_u32(XFRMA_NAT_KEEPALIVE_INTERVAL, x.nat_keepalive_interval))?;
    }
    Ok(())
}

/// `dump_one_state`: a NEWSA message for `x`.
pub fn dump_one_state(
    skb: &mut SkBuffMut,
    x: &XfrmState,
    portid: u32,
    seq: u32,
    flags: u16,
) -> KResult<()> {
    let at = put(skb.nlmsg_put(portid, seq, XFRM_MSG_NEWSA, wire::XfrmUsersaInfo::SIZE, flags))?;
    if let Err(e) = copy_to_user_state_extra(skb, at + 16, x) {
        skb.nlmsg_cancel(at);
        return Err(e);
    }
    skb.nlmsg_end(at);
    Ok(())
}

/// `xfrm_state_netlink` + `nlmsg_unicast`: the state as a NEWSA reply.
fn reply_state(c: &Ctx<'_, '_>, x: &XfrmState) -> KResult<()> {
    let mut skb = nlmsg_new(NLMSG_DEFAULT_SIZE);
    dump_one_state(&mut skb, x, c.rcv.skb.cb.portid, c.nlh.seq(), 0)?;
    unicast_reply(c.rcv, skb)
}

/// `xfrm_get_sa`.
pub fn xfrm_get_sa(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_sa").entered();
    let p = wire::XfrmUsersaId::read_at(c.req.payload, 0);
    let x = xfrm_user_state_lookup(c, &p)?;
    reply_state(c, &x)
}

/// The GETSA dump (`xfrm_dump_sa`): the first round parses the filter
/// (attributes right after the header); records are NEWSA with
/// `NLM_F_MULTI`; a parse error ends the dump with that errno in DONE.
pub fn xfrm_dump_sa(rcv: &NetlinkRcv<'_>, nlh: &NlMsg<'_>) -> Errno {
    let _span = tracing::trace_span!("xfrm_dump_sa").entered();
    let req = nlh.as_bytes().to_vec();
    let mut walk: Option<XfrmStateWalk> = None;
    let dump = Box::new(move |skb: &mut SkBuffMut, cb: &mut NetlinkCallback| -> i32 {
        if walk.is_none() {
            // The parse's warning or error text goes out with NLMSG_DONE.
            match super::attr::nlmsg_parse_deprecated(&req, 0, &XFRMA_NLA_POLICY) {
                Ok(p) => cb.extack_msg = p.warning.map(Into::into),
                Err(e) => cb.extack_msg = e.msg.map(Into::into),
            }
            match xfrm_dump_sa_filter(&req) {
                Ok((filter, proto)) => {
                    let f = filter.map(|f| sim_core::xfrm::XfrmAddressFilter {
                        saddr: addr_from(&f.saddr),
                        daddr: addr_from(&f.daddr),
                        family: f.family,
                        splen: f.splen,
                        dplen: f.dplen,
                    });
                    walk = Some(XfrmStateWalk::new(proto, f));
                }
                Err(e) => return e.errno.neg(),
            }
        }
        let (portid, seq) = (cb.portid, cb.seq);
        if let Some(w) = walk.as_mut() {
            let _ = cb
                .net
                .xfrm
                .state
                .xfrm_state_walk(w, |x, _| dump_one_state(skb, x, portid, seq, NLM_F_MULTI));
        }
        skb.len() as i32
    });
    netlink_dump_start(rcv, nlh, NetlinkDumpControl::new(dump))
}

/// `xfrm_alloc_userspi`: the larval state of the acquire `info.seq`
/// names, or one found or created by `xfrm_find_acq`, gets an SPI in
/// [min, max]; the reply describes it (no notification).
pub fn xfrm_alloc_userspi(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_alloc_userspi").entered();
    let p = wire::XfrmUserspiInfo::read_at(c.req.payload, 0);
    let attrs = &c.req.attrs;
    let family = p.info.family;
    // __find_acq_core copies and compares only the family's part of the
    // addresses (a4 for IPv4, nothing for an unknown family).
    let canon = |a: &wire::XfrmAddress| {
        let mut out = [0u8; 16];
        let n = match family {
            AF_INET => 4,
            AF_INET6 => 16,
            _ => 0,
        };
        out[..n].copy_from_slice(&a[..n]);
        addr_from(&out)
    };
    let daddr = canon(&p.info.id.daddr);
    let saddr = canon(&p.info.saddr);
    let (m, mark) = xfrm_mark_get(attrs);
    let if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    let mut pcpu_num = u32::MAX;
    if let Some(cpu) = attrs.u32(XFRMA_SA_PCPU) {
        if cpu >= 1 {
            extack.set_msg("pCPU number too big");
            return Err(Errno::EINVAL);
        }
        pcpu_num = cpu;
    }
    let mut x = None;
    if p.info.seq != 0 {
        x = c
            .net
            .xfrm
            .state
            .xfrm_find_acq_byseq(mark, p.info.seq, pcpu_num)
            .filter(|x| xfrm_addr_equal(&x.daddr, &daddr, family));
    }
    let x = match x {
        Some(x) => x,
        None => {
            c.u.xfrm
                .xfrm_find_acq(
                    c.net,
                    m,
                    p.info.mode,
                    p.info.reqid,
                    if_id,
                    p.info.id.proto,
                    &daddr,
                    &saddr,
                    true,
                    family,
                )
                .ok_or_else(|| {
                    extack.set_msg("Target ACQUIRE not found");
                    Errno::ENOENT
                })?
        }
    };
    if let Err(e) = c.u.xfrm.xfrm_alloc_spi(c.net, &x, p.min, p.max) {
        if e == Errno::ENOENT {
            extack.set_msg("No SPI available in the requested range");
        }
        return Err(e);
    }
    reply_state(c, &x)
}

/// `xfrm_flush_sa`: an empty table is success without notification.
pub fn xfrm_flush_sa(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_flush_sa").entered();
    let p = wire::XfrmUsersaFlush::read_at(c.req.payload, 0);
    match c.u.xfrm.xfrm_state_flush(c.net, p.proto) {
        Err(Errno::ESRCH) => return Ok(()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let mut e = event(c);
    e.data = u32::from(p.proto);
    c.u.xfrm.km().km_state_notify(None, &e);
    Ok(())
}

/// `xfrm_add_sa_expire`: a user-reported expiry of a VALID state: every
/// manager hears an EXPIRE; a hard one deletes the state.
pub fn xfrm_add_sa_expire(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_add_sa_expire").entered();
    let ue = wire::XfrmUserExpire::read_at(c.req.payload, 0);
    let p = &ue.state;
    let (_, mark) = xfrm_mark_get(&c.req.attrs);
    let daddr = addr_from(&p.id.daddr);
    let x = c
        .net
        .xfrm
        .state
        .xfrm_state_lookup(mark, &daddr, p.id.spi, p.id.proto, p.family)
        .ok_or(Errno::ENOENT)?;
    if x.km_state() != XfrmKmState::Valid {
        extack.set_msg("SA must be in VALID state");
        return Err(Errno::EINVAL);
    }
    let hard = ue.hard != 0;
    c.u.xfrm.km_state_expired(c.net, &x, hard, c.nlh.pid());
    if hard {
        let _ = c.u.xfrm.xfrm_state_delete(c.net, &x);
    }
    Ok(())
}

/// `xfrm_add_acquire`: a throw-away policy and state built from the
/// request; `km_query` for each template (every manager sends its own
/// ACQUIRE). Nothing is inserted; the result is always success.
pub fn xfrm_add_acquire(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_add_acquire").entered();
    let ua = wire::XfrmUserAcquire::read_at(c.req.payload, 0);
    let attrs = &c.req.attrs;
    let (mark, _) = xfrm_mark_get(attrs);
    if let Some(cpu) = attrs.u32(XFRMA_SA_PCPU)
        && cpu >= 1
    {
        return Err(Errno::EINVAL);
    }
    verify_newpolicy_info(&ua.policy).map_err(|(e, _)| e)?;
    verify_sec_ctx_len(attrs).map_err(|(e, _)| e)?;
    let mut xp = super::policy::xfrm_policy_construct(&ua.policy, attrs)?;
    xp.mark = mark;
    let now = c.u.xfrm.clock().real_seconds();
    for i in 0..xp.tmpls.len() {
        // The loop rewrites each template's algorithm masks in the policy
        // before asking, so the ACQUIRE's XFRMA_TMPL shows them.
        if let Some(t) = xp.tmpls.get_mut(i) {
            t.aalgos = ua.aalgos;
            t.ealgos = ua.ealgos;
            t.calgos = ua.calgos;
        }
        let Some(t) = xp.tmpls.get(i).copied() else { break };
        let pol = Arc::new(XfrmPolicy::new(xp.clone()));
        let mut info = XfrmStateInfo::new(
            t.encap_family,
            t.id.daddr,
            addr_from(&ua.saddr),
            t.id.spi,
            t.id.proto,
        );
        info.sel = sel_from_user(&ua.sel);
        info.mark = mark;
        info.mode = t.mode;
        info.reqid = t.reqid;
        let x = Arc::new(XfrmState::new(info, now));
        let _ = c.u.xfrm.km().km_query(c.net, &x, &t, &pol);
    }
    Ok(())
}

/// `xfrm_notify_sa`: NEWSA/UPDSA/DELSA to `XFRMNLGRP_SA`; DELSA carries an
/// `xfrm_usersa_id` and the state in `XFRMA_SA`.
pub fn build_notify_sa(x: &XfrmState, c: &KmEvent) -> KResult<SkBuffMut> {
    let del = c.event == u32::from(XFRM_MSG_DELSA);
    let headlen = if del { wire::XfrmUsersaId::SIZE } else { wire::XfrmUsersaInfo::SIZE };
    let mut skb = nlmsg_new(NLMSG_DEFAULT_SIZE);
    let at = put(skb.nlmsg_put(c.portid, c.seq, c.event as u16, headlen, 0))?;
    let p_at = if del {
        usersa_id(x).write_at(skb.nlmsg_data_mut(at), 0);
        let a = put(skb.nla_put(XFRMA_SA, &[0u8; wire::XfrmUsersaInfo::SIZE]))?;
        a + 4
    } else {
        at + 16
    };
    copy_to_user_state_extra(&mut skb, p_at, x)?;
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_notify_sa_flush`: FLUSHSA with the protocol.
pub fn build_notify_sa_flush(c: &KmEvent) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(wire::XfrmUsersaFlush::SIZE);
    let at = put(skb.nlmsg_put(c.portid, c.seq, XFRM_MSG_FLUSHSA, wire::XfrmUsersaFlush::SIZE, 0))?;
    wire::XfrmUsersaFlush { proto: c.proto() }.write_at(skb.nlmsg_data_mut(at), 0);
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `build_expire`: EXPIRE (pid of who asked, seq 0, hard as 0/1) plus
/// mark, interface id, per-CPU number and direction.
pub fn build_expire(x: &XfrmState, c: &KmEvent) -> KResult<SkBuffMut> {
    let state = copy_to_user_state_locked(x, &x.lock_bh());
    let mut skb = nlmsg_new(wire::XfrmUserExpire::SIZE + 4 * nla_total_size(8));
    let at = put(skb.nlmsg_put(c.portid, 0, XFRM_MSG_EXPIRE, wire::XfrmUserExpire::SIZE, 0))?;
    let ue = wire::XfrmUserExpire { state, hard: u8::from(c.hard()) };
    ue.write_at(skb.nlmsg_data_mut(at), 0);
    xfrm_mark_put(&mut skb, &x.mark)?;
    xfrm_if_id_put(&mut skb, x.if_id())?;
    if x.pcpu_num != u32::MAX {
        put(skb.nla_put_u32(XFRMA_SA_PCPU, x.pcpu_num))?;
    }
    if x.dir != 0 {
        nla_put_u8(&mut skb, XFRMA_SA_DIR, x.dir)?;
    }
    skb.nlmsg_end(at);
    Ok(skb)
}
