//! SAD/SPD information and default policies of xfrm_user.c:
//! `xfrm_get_sadinfo`, `xfrm_get_spdinfo`, `xfrm_set_spdinfo`,
//! `xfrm_set_default`, `xfrm_get_default`.

use sim_core::KResult;
use sim_core::xfrm::policy::{XFRM_POLICY_FWD, XFRM_POLICY_IN, XFRM_POLICY_OUT};
use sim_netns::Net;

use super::dispatch::Ctx;
use super::km::xfrm_nlmsg_multicast;
use super::msg::*;
use super::uapi::*;
use super::wire::{self, FixedRepr};
use crate::netlink::ExtAck;
use crate::netlink::wire::nla_total_size;
use crate::skbuff::SkBuffMut;

fn req_flags(c: &Ctx<'_, '_>) -> u32 {
    c.req.payload.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `build_sadinfo`: NEWSADINFO with the state count and hash sizes.
pub fn build_sadinfo(net: &Net, portid: u32, seq: u32, flags: u32) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(4 + nla_total_size(8) + nla_total_size(4));
    let at = put(skb.nlmsg_put(portid, seq, XFRM_MSG_NEWSADINFO, 4, 0))?;
    skb.nlmsg_data_mut(at)[..4].copy_from_slice(&flags.to_le_bytes());
    let si = net.xfrm.state.xfrm_sad_getinfo();
    put(skb.nla_put_u32(XFRMA_SAD_CNT, si.sadcnt))?;
    let sh = wire::XfrmuSadhinfo { sadhcnt: si.sadhcnt, sadhmcnt: si.sadhmcnt };
    nla_put_struct(&mut skb, XFRMA_SAD_HINFO, &sh)?;
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_get_sadinfo`.
pub fn xfrm_get_sadinfo(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_sadinfo").entered();
    let skb = build_sadinfo(c.net, c.rcv.skb.cb.portid, c.nlh.seq(), req_flags(c))?;
    unicast_reply(c.rcv, skb)
}

/// `build_spdinfo`: NEWSPDINFO with the policy counts, the index hash
/// mask and the hash thresholds.
pub fn build_spdinfo(net: &Net, portid: u32, seq: u32, flags: u32) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(4 + nla_total_size(24) + nla_total_size(8) + 2 * nla_total_size(2));
    let at = put(skb.nlmsg_put(portid, seq, XFRM_MSG_NEWSPDINFO, 4, 0))?;
    skb.nlmsg_data_mut(at)[..4].copy_from_slice(&flags.to_le_bytes());
    let si = net.xfrm.policy.xfrm_spd_getinfo();
    let th = net.xfrm.policy.hthresh();
    let spc = wire::XfrmuSpdinfo {
        incnt: si.incnt,
        outcnt: si.outcnt,
        fwdcnt: si.fwdcnt,
        inscnt: si.inscnt,
        outscnt: si.outscnt,
        fwdscnt: si.fwdscnt,
    };
    nla_put_struct(&mut skb, XFRMA_SPD_INFO, &spc)?;
    let sph = wire::XfrmuSpdhinfo { spdhcnt: si.spdhcnt, spdhmcnt: si.spdhmcnt };
    nla_put_struct(&mut skb, XFRMA_SPD_HINFO, &sph)?;
    let t4 = wire::XfrmuSpdhthresh { lbits: th.lbits4, rbits: th.rbits4 };
    nla_put_struct(&mut skb, XFRMA_SPD_IPV4_HTHRESH, &t4)?;
    let t6 = wire::XfrmuSpdhthresh { lbits: th.lbits6, rbits: th.rbits6 };
    nla_put_struct(&mut skb, XFRMA_SPD_IPV6_HTHRESH, &t6)?;
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_get_spdinfo`.
pub fn xfrm_get_spdinfo(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_spdinfo").entered();
    let skb = build_spdinfo(c.net, c.rcv.skb.cb.portid, c.nlh.seq(), req_flags(c))?;
    unicast_reply(c.rcv, skb)
}

/// `xfrm_set_spdinfo`: new hash thresholds (checked earlier) and a
/// rebuild of the policy hash.
pub fn xfrm_set_spdinfo(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_set_spdinfo").entered();
    let a = &c.req.attrs;
    let t4 = a.payload(XFRMA_SPD_IPV4_HTHRESH).map(|p| wire::XfrmuSpdhthresh::read_at(p, 0));
    let t6 = a.payload(XFRMA_SPD_IPV6_HTHRESH).map(|p| wire::XfrmuSpdhthresh::read_at(p, 0));
    if t4.is_none() && t6.is_none() {
        return Ok(());
    }
    let spd = &c.net.xfrm.policy;
    let mut th = spd.hthresh();
    if let Some(t) = t4 {
        th.lbits4 = t.lbits;
        th.rbits4 = t.rbits;
    }
    if let Some(t) = t6 {
        th.lbits6 = t.lbits;
        th.rbits6 = t.rbits;
    }
    spd.xfrm_set_hthresh(th)
}

fn current_default(net: &Net) -> wire::XfrmUserpolicyDefault {
    let d = |dir: u8| net.xfrm.policy_default(usize::from(dir)).unwrap_or(0);
    wire::XfrmUserpolicyDefault {
        in_: d(XFRM_POLICY_IN),
        fwd: d(XFRM_POLICY_FWD),
        out: d(XFRM_POLICY_OUT),
    }
}

/// A GETDEFAULT message with the namespace's defaults.
fn build_default(net: &Net, portid: u32, seq: u32) -> KResult<SkBuffMut> {
    let mut skb = nlmsg_new(wire::XfrmUserpolicyDefault::SIZE);
    let at =
        put(skb.nlmsg_put(portid, seq, XFRM_MSG_GETDEFAULT, wire::XfrmUserpolicyDefault::SIZE, 0))?;
    current_default(net).write_at(skb.nlmsg_data_mut(at), 0);
    skb.nlmsg_end(at);
    Ok(skb)
}

/// `xfrm_set_default`: each of in/fwd/out changes only to BLOCK or
/// ACCEPT; then `xfrm_notify_userpolicy` (GETDEFAULT to
/// `XFRMNLGRP_POLICY`, pid and seq 0).
pub fn xfrm_set_default(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_set_default").entered();
    let up = wire::XfrmUserpolicyDefault::read_at(c.req.payload, 0);
    let valid = |v: u8| v == XFRM_USERPOLICY_BLOCK || v == XFRM_USERPOLICY_ACCEPT;
    for (dir, v) in [(XFRM_POLICY_IN, up.in_), (XFRM_POLICY_FWD, up.fwd), (XFRM_POLICY_OUT, up.out)]
    {
        if valid(v) {
            c.net.xfrm.set_policy_default(usize::from(dir), v);
        }
    }
    if let Ok(skb) = build_default(c.net, 0, 0) {
        let _ = xfrm_nlmsg_multicast(c.rcv.ksk, skb, XFRMNLGRP_POLICY);
    }
    Ok(())
}

/// `xfrm_get_default`.
pub fn xfrm_get_default(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_default").entered();
    let skb = build_default(c.net, c.rcv.skb.cb.portid, c.nlh.seq())?;
    unicast_reply(c.rcv, skb)
}
