//! Policy handlers of xfrm_user.c: `xfrm_add_policy` (NEWPOLICY,
//! UPDPOLICY), `xfrm_get_policy` (GETPOLICY, DELPOLICY), the GETPOLICY
//! dump (`xfrm_dump_policy*`), `xfrm_flush_policy`, `xfrm_add_pol_expire`
//! (POLEXPIRE), and the message builders the netlink key manager uses
//! for policy events (`dump_one_policy`, `xfrm_notify_policy`,
//! `xfrm_notify_policy_flush`, `build_polexpire`).

use sim_core::xfrm::policy::XFRM_POLICY_TYPE_ANY;
use sim_core::xfrm::spd::{XfrmPolicy, XfrmPolicyWalk};
use sim_core::xfrm::{XfrmMark, XfrmPolicyInfo};
use sim_core::{Errno, KResult};
use sim_km::KmEvent;

use super::convert::{
    copy_from_user_policy, copy_templates, copy_to_user_policy, sel_from_user, sel_to_user,
    xfrm_mark_get,
};
use super::dispatch::Ctx;
use super::msg::*;
use super::uapi::*;
use super::verify::copy_from_user_policy_type;
use super::wire::{self, FixedRepr};
use crate::netlink::wire::{NLM_F_MULTI, NlMsg, nla_total_size};
use crate::netlink::{ExtAck, NetlinkCallback, NetlinkDumpControl, NetlinkRcv, netlink_dump_start};
use crate::skbuff::SkBuffMut;

/// `xfrm_policy_construct`: the policy described by a NEWPOLICY/UPDPOLICY
/// (or ACQUIRE) request whose checks passed. No LSM is loaded, so a
/// security context is accepted and not kept (`security_xfrm_policy_alloc`
/// without a module).
pub fn xfrm_policy_construct(
    p: &wire::XfrmUserpolicyInfo,
    attrs: &super::attr::XfrmAttrs<'_>,
) -> KResult<XfrmPolicyInfo> {
    let mut xp = copy_from_user_policy(p);
    xp.ptype = copy_from_user_policy_type(attrs).map_err(|(e, _)| e)?;
    let ut = super::verify::xfrm_user_tmpls(attrs, p.sel.family, p.dir).map_err(|(e, _)| e)?;
    xp.tmpls = copy_templates(&ut);
    let (mark, _) = xfrm_mark_get(attrs);
    // The stored mark keeps only the bits under the mask.
    xp.mark = XfrmMark::new(mark.v & mark.m, mark.m);
    xp.if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    Ok(xp)
}

fn event(c: &Ctx<'_, '_>) -> KmEvent {
    let mut e = KmEvent::new(c.net, u32::from(c.nlh.msg_type()));
    e.seq = c.nlh.seq();
    e.portid = c.nlh.pid();
    e
}

/// `xfrm_add_policy`: NEWPOLICY inserts exclusively (`EEXIST` for a
/// duplicate), UPDPOLICY replaces; then a policy event to every manager.
pub fn xfrm_add_policy(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_add_policy").entered();
    let p = wire::XfrmUserpolicyInfo::read_at(c.req.payload, 0);
    let xp = xfrm_policy_construct(&p, &c.req.attrs)?;
    let excl = c.nlh.msg_type() == XFRM_MSG_NEWPOLICY;
    let r = c.u.xfrm.xfrm_policy_insert(c.net, p.dir, xp, excl)?;
    c.u.xfrm.km().km_policy_notify(Some(&r.policy), p.dir, &event(c));
    Ok(())
}

/// `dump_one_policy`: a NEWPOLICY message for `xp` in direction `dir`.
pub fn dump_one_policy(
    skb: &mut SkBuffMut,
    xp: &XfrmPolicy,
    dir: u8,
    portid: u32,
    seq: u32,
    flags: u16,
) -> KResult<()> {
    let at =
        put(skb.nlmsg_put(portid, seq, XFRM_MSG_NEWPOLICY, wire::XfrmUserpolicyInfo::SIZE, flags))?;
    copy_to_user_policy(xp, dir).write_at(skb.nlmsg_data_mut(at), 0);
    if let Err(e) = put_policy_attrs(skb, xp) {
        skb.nlmsg_cancel(at);
        return Err(e);
    }
    skb.nlmsg_end(at);
    Ok(())
}

/// `xfrm_get_policy`: GETPOLICY answers with the policy, DELPOLICY deletes
/// it and sends a policy event. By index when one is given, else by
/// selector, mark, interface id and type.
pub fn xfrm_get_policy(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_policy").entered();
    let p = wire::XfrmUserpolicyId::read_at(c.req.payload, 0);
    let attrs = &c.req.attrs;
    let delete = c.nlh.msg_type() == XFRM_MSG_DELPOLICY;
    let (m, _) = xfrm_mark_get(attrs);
    let ptype = copy_from_user_policy_type(attrs).map_err(|(e, _)| e)?;
    let if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    let x = &c.u.xfrm;
    let xp = if p.index != 0 {
        x.xfrm_policy_byid(c.net, m, if_id, ptype, p.dir, p.index, delete)
    } else {
        let sel = sel_from_user(&p.sel);
        x.xfrm_policy_bysel_ctx(c.net, m, if_id, ptype, p.dir, &sel, None, delete)
    }
    .map_err(|_| Errno::ENOENT)?;
    if !delete {
        let mut skb = nlmsg_new(NLMSG_DEFAULT_SIZE);
        dump_one_policy(&mut skb, &xp, p.dir, c.rcv.skb.cb.portid, c.nlh.seq(), 0)?;
        return unicast_reply(c.rcv, skb);
    }
    let mut e = event(c);
    e.data = u32::from(p.index != 0);
    x.km().km_policy_notify(Some(&xp), p.dir, &e);
    Ok(())
}

/// The GETPOLICY dump: `xfrm_dump_policy_start` (a walk over every type),
/// `xfrm_dump_policy` (as many records as fit, each `NLM_F_MULTI`; the
/// walk resumes where a record did not fit), `xfrm_dump_policy_done`.
pub fn xfrm_dump_policy(rcv: &NetlinkRcv<'_>, nlh: &NlMsg<'_>) -> Errno {
    let _span = tracing::trace_span!("xfrm_dump_policy").entered();
    let mut walk = XfrmPolicyWalk::new(XFRM_POLICY_TYPE_ANY);
    let dump = Box::new(move |skb: &mut SkBuffMut, cb: &mut NetlinkCallback| -> i32 {
        let (portid, seq) = (cb.portid, cb.seq);
        let _ = cb.net.xfrm.policy.xfrm_policy_walk(&mut walk, |xp, dir, _| {
            dump_one_policy(skb, xp, dir, portid, seq, NLM_F_MULTI)
        });
        skb.len() as i32
    });
    netlink_dump_start(rcv, nlh, NetlinkDumpControl::new(dump))
}

/// `xfrm_flush_policy`: deletes every policy of the type; an empty table
/// is success without notification.
pub fn xfrm_flush_policy(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_flush_policy").entered();
    let ptype = copy_from_user_policy_type(&c.req.attrs).map_err(|(e, _)| e)?;
    match c.u.xfrm.xfrm_policy_flush(c.net, ptype) {
        Err(Errno::ESRCH) => return Ok(()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let mut e = event(c);
    e.data = u32::from(ptype);
    c.u.xfrm.km().km_policy_notify(None, 0, &e);
    Ok(())
}

/// `xfrm_add_pol_expire`: a user-reported policy expiry. The policy is
/// found as GETPOLICY finds it; a hard expiry deletes it; a POLEXPIRE
/// event goes to every manager. A policy already dead is success.
pub fn xfrm_add_pol_expire(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_add_pol_expire").entered();
    let up = wire::XfrmUserPolexpire::read_at(c.req.payload, 0);
    let p = &up.pol;
    let attrs = &c.req.attrs;
    let ptype = copy_from_user_policy_type(attrs).map_err(|(e, _)| e)?;
    let (m, _) = xfrm_mark_get(attrs);
    let if_id = attrs.u32(XFRMA_IF_ID).unwrap_or(0);
    let x = &c.u.xfrm;
    let xp = if p.index != 0 {
        x.xfrm_policy_byid(c.net, m, if_id, ptype, p.dir, p.index, false)
    } else {
        let sel = sel_from_user(&p.sel);
        x.xfrm_policy_bysel_ctx(c.net, m, if_id, ptype, p.dir, &sel, None, false)
    }
    .map_err(|_| Errno::ENOENT)?;
    if xp.is_dead() {
        return Ok(());
    }
    let hard = up.hard != 0;
    if hard {
        let _ = x.xfrm_policy_delete(c.net, &xp, p.dir);
    }
    x.km_policy_expired(c.net, &xp, p.dir, hard, c.nlh.pid());
    Ok(())
}

/// `xfrm_notify_policy`: NEWPOLICY/UPDPOLICY/DELPOLICY to
/// `XFRMNLGRP_POLICY`. A DELPOLICY carries an `xfrm_userpolicy_id` (by
/// index or by selector, as the delete was asked) and the policy in
/// `XFRMA_POLICY`.
pub fn build_notify_policy(xp: &XfrmPolicy, dir: u8, c: &KmEvent) -> KResult<SkBuffMut> {
    let i = xp.info();
    let mut len = nla_total_size(wire::XfrmUserTmpl::SIZE * i.tmpls.len());
    let mut headlen = wire::XfrmUserpolicyInfo::SIZE;
    let del = c.event == u32::from(XFRM_MSG_DELPOLICY);
    if del {
        len += nla_total_size(headlen);
        headlen = wire::XfrmUserpolicyId::SIZE;
    }
    len += nla_total_size(6) + nla_total_size(8) + wire::align4(headlen);
    // The interface id is not counted by the kernel either; leave room.
    let mut skb = nlmsg_new(len + nla_total_size(4));
    let at = put(skb.nlmsg_put(c.portid, c.seq, c.event as u16, headlen, 0))?;
    let info = copy_to_user_policy(xp, dir);
    if del {
        let mut id = wire::XfrmUserpolicyId { dir, ..Default::default() };
        if c.byid() {
            id.index = xp.index();
        } else {
            id.sel = sel_to_user(&i.sel);
        }
        id.write_at(skb.nlmsg_data_mut(at), 0);
        nla_put_struct(&mut skb, XFRMA_POLICY, &info)?;
    } else {
        info.write_at(skb.nlmsg_data_mut(at), 0);
    }
    put_policy_attrs(&mut skb, xp)?;
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_notify_policy_flush`: an empty FLUSHPOLICY plus the type.
pub fn build_notify_policy_flush(c: &KmEvent) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(nla_total_size(6));
    let at = put(skb.nlmsg_put(c.portid, c.seq, XFRM_MSG_FLUSHPOLICY, 0, 0))?;
    copy_to_user_policy_type(&mut skb, c.ptype())?;
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `build_polexpire`: POLEXPIRE (pid of who asked, seq 0) to
/// `XFRMNLGRP_EXPIRE`.
pub fn build_polexpire(xp: &XfrmPolicy, dir: u8, c: &KmEvent) -> KResult<SkBuffMut> {
    let i = xp.info();
    let len = wire::XfrmUserPolexpire::SIZE
        + nla_total_size(wire::XfrmUserTmpl::SIZE * i.tmpls.len())
        + nla_total_size(6)
        + nla_total_size(8)
        + nla_total_size(4);
    let mut skb = nlmsg_new(len);
    let at = put(skb.nlmsg_put(c.portid, 0, XFRM_MSG_POLEXPIRE, wire::XfrmUserPolexpire::SIZE, 0))?;
    let upe =
        wire::XfrmUserPolexpire { pol: copy_to_user_policy(xp, dir), hard: u8::from(c.hard()) };
    upe.write_at(skb.nlmsg_data_mut(at), 0);
    put_policy_attrs(&mut skb, xp)?;
    skb.nlmsg_end(at);
    Ok(skb)
}
