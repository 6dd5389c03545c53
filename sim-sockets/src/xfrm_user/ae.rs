//! Asynchronous events of xfrm_user.c: `xfrm_get_ae`, `xfrm_new_ae` and
//! `build_aevent` (NEWAE to the requester or to `XFRMNLGRP_AEVENTS`).

use sim_core::sync::Arc;
use sim_core::xfrm::{XfrmKmState, XfrmState};
use sim_core::{Errno, KResult};
use sim_km::KmEvent;

use super::convert::*;
use super::dispatch::Ctx;
use super::msg::*;
use super::state::{HZ, maxage_jiffies};
use super::uapi::*;
use super::wire::{self, FixedRepr};
use crate::netlink::ExtAck;
use crate::netlink::wire::nla_total_size;
use crate::skbuff::SkBuffMut;

/// `build_aevent`: NEWAE for `x` with the event's pid, seq and flags:
/// the replay state, the current lifetime, the thresholds asked for,
/// mark and interface id.
pub fn build_aevent(x: &XfrmState, c: &KmEvent) -> KResult<SkBuffMut> {
    let i = x.info();
    let replay_size = i.replay_esn.as_ref().map_or(12, |e| 24 + 4 * e.bmp.len());
    let len = wire::XfrmAeventId::SIZE
        + nla_total_size(replay_size)
        + nla_total_size(32)
        + nla_total_size(8)
        + 2 * nla_total_size(4);
    let mut skb = nlmsg_new(len + nla_total_size(4));
    let at = put(skb.nlmsg_put(c.portid, c.seq, XFRM_MSG_NEWAE, wire::XfrmAeventId::SIZE, 0))?;
    let id = wire::XfrmAeventId {
        sa_id: usersa_id(x),
        saddr: *i.saddr.as_bytes(),
        flags: c.aevent(),
        reqid: i.reqid,
    };
    id.write_at(skb.nlmsg_data_mut(at), 0);
    match &i.replay_esn {
        Some(e) => put(skb.nla_put(XFRMA_REPLAY_ESN_VAL, &esn_to_user(e))).map(drop)?,
        None => nla_put_struct(&mut skb, XFRMA_REPLAY_VAL, &replay_to_user(&i.replay))?,
    };
    nla_put_struct(&mut skb, XFRMA_LTIME_VAL, &curlft_to_user(&i.curlft))?;
    if id.flags & XFRM_AE_RTHR != 0 {
        put(skb.nla_put_u32(XFRMA_REPLAY_THRESH, i.replay_maxdiff))?;
    }
    if id.flags & XFRM_AE_ETHR != 0 {
        let v = maxage_jiffies(i.replay_maxage_ms).saturating_mul(10) / HZ;
        put(skb.nla_put_u32(XFRMA_ETIMER_THRESH, v))?;
    }
    xfrm_mark_put(&mut skb, &i.mark)?;
    xfrm_if_id_put(&mut skb, i.if_id)?;
    skb.nlmsg_end(at);
    Ok(skb)
}

fn lookup(c: &Ctx<'_, '_>, p: &wire::XfrmAeventId) -> KResult<Arc<XfrmState>> {
    let (_, mark) = xfrm_mark_get(&c.req.attrs);
    let id = &p.sa_id;
    c.net
        .xfrm
        .state
        .xfrm_state_lookup(mark, &addr_from(&id.daddr), id.spi, id.proto, id.family)
        .ok_or(Errno::ESRCH)
}

/// `xfrm_get_ae`: the reply's header carries the request's `nlmsg_pid`.
pub fn xfrm_get_ae(c: &Ctx<'_, '_>, _extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_get_ae").entered();
    let p = wire::XfrmAeventId::read_at(c.req.payload, 0);
    let x = lookup(c, &p)?;
    let mut e = KmEvent::new(c.net, u32::from(XFRM_MSG_NEWAE));
    e.data = p.flags;
    e.seq = c.nlh.seq();
    e.portid = c.nlh.pid();
    let skb = build_aevent(&x, &e)?;
    unicast_reply(c.rcv, skb)
}

/// `xfrm_replay_verify_len`: a new ESN state must match the SA's sizes.
fn xfrm_replay_verify_len(x: &XfrmState, re: Option<&[u8]>, extack: &mut ExtAck) -> KResult<()> {
    let (Some(cur), Some(rp)) = (x.lock_bh().replay_esn.clone(), re) else { return Ok(()) };
    let up = esn_from_user(rp);
    let ubmp = rp.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) as usize;
    let ulen = 24 + 4 * ubmp;
    let fail = |extack: &mut ExtAck, m: &'static str| {
        extack.set_msg(m);
        Err(Errno::EINVAL)
    };
    if rp.len() < ulen {
        return fail(extack, "ESN attribute is too short");
    }
    if 24 + 4 * cur.bmp.len() != ulen {
        return fail(extack, "New ESN size doesn't match the existing SA's ESN size");
    }
    if cur.bmp.len() != ubmp {
        return fail(extack, "New ESN bitmap size doesn't match the existing SA's ESN bitmap");
    }
    if up.replay_window as usize > ubmp * 32 {
        return fail(extack, "ESN replay window is longer than the bitmap");
    }
    Ok(())
}

/// `xfrm_new_ae`: new replay state and counters for a VALID SA (the
/// required attributes and `NLM_F_REPLACE` were checked earlier); NEWAE
/// with `XFRM_AE_CU` to every manager.
pub fn xfrm_new_ae(c: &Ctx<'_, '_>, extack: &mut ExtAck) -> KResult<()> {
    let _span = tracing::trace_span!("xfrm_new_ae").entered();
    let p = wire::XfrmAeventId::read_at(c.req.payload, 0);
    let x = lookup(c, &p)?;
    if x.km_state() != XfrmKmState::Valid {
        extack.set_msg("SA must be in VALID state");
        return Err(Errno::EINVAL);
    }
    let a = &c.req.attrs;
    xfrm_replay_verify_len(&x, a.payload(XFRMA_REPLAY_ESN_VAL), extack)?;
    {
        // xfrm_update_ae_params(x, attrs, 1)
        let mut m = x.lock_bh();
        if let (Some(re), true) = (a.payload(XFRMA_REPLAY_ESN_VAL), m.replay_esn.is_some()) {
            m.replay_esn = Some(esn_from_user(re));
        }
        if let Some(rp) = a.payload(XFRMA_REPLAY_VAL) {
            let r = replay_from_user(&wire::XfrmReplayState::read_at(rp, 0));
            m.replay = r;
            m.preplay = r;
        }
        if let Some(lt) = a.payload(XFRMA_LTIME_VAL) {
            m.curlft = curlft_from_user(&wire::XfrmLifetimeCur::read_at(lt, 0));
        }
    }
    let mut e = KmEvent::new(c.net, u32::from(c.nlh.msg_type()));
    e.seq = c.nlh.seq();
    e.portid = c.nlh.pid();
    e.data = XFRM_AE_CU;
    c.u.xfrm.km().km_state_notify(Some(&x), &e);
    Ok(())
}
