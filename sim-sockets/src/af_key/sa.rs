//! The SA handlers of `pfkey_funcs[]`: `pfkey_getspi`, `pfkey_add`
//! (ADD and UPDATE), `pfkey_delete`, `pfkey_get`, `pfkey_acquire`,
//! `pfkey_register`, `pfkey_flush`, `pfkey_promisc`.

use sim_core::sync::Arc;
use sim_core::xfrm::algo_table::{AALG_LIST, EALG_LIST, pfkey_supported_algs};
use sim_core::xfrm::state_table::verify_spi_info;
use sim_core::xfrm::{XfrmKmState, XfrmMark, XfrmState};
use sim_core::{Errno, KResult};
use sim_km::{KmEvent, xfrm_msg};

use super::broadcast::{
    BROADCAST_ALL, BROADCAST_ONE, BROADCAST_REGISTERED, PfkeySkb, pfkey_broadcast,
};
use super::convert::{pfkey_msg2xfrm_state, pfkey_sadb_addr2xfrm_addr, pfkey_xfrm_state2msg};
use super::parse::{pfkey_mode_to_xfrm, pfkey_proto2satype, pfkey_satype2proto};
use super::sock::PfkeySock;
use super::wire::consts::*;
use super::wire::{SadbAlgRepr, SadbExtRepr, SadbMessageRepr, SadbMsgRepr, SadbSupportedRepr};
use super::{PfKeyInner, PfkeyRequest};

/// Sends a kernel-built message (`alloc_skb(size + 16)`).
pub(crate) fn send_msg(
    pfk: &PfKeyInner,
    msg: &SadbMessageRepr,
    flags: u32,
    one: Option<&Arc<PfkeySock>>,
    net: &sim_netns::Net,
) -> KResult<()> {
    let skb = PfkeySkb::kernel(pfk, msg.to_bytes());
    pfkey_broadcast(pfk, &skb, flags, one, net)
}

/// `pfkey_xfrm_state_lookup()`: by DST address, SPI and protocol, mark 0;
/// `None` for a satype without a protocol or a non-inet family.
fn pfkey_xfrm_state_lookup(
    pfk: &PfKeyInner,
    sk: &PfkeySock,
    req: &PfkeyRequest<'_>,
) -> Option<Arc<XfrmState>> {
    let sa = req.ext.sa()?;
    let proto = pfkey_satype2proto(req.hdr.satype);
    if proto == 0 {
        return None;
    }
    let (family, daddr, _) = pfkey_sadb_addr2xfrm_addr(&req.ext, SADB_EXT_ADDRESS_DST)?;
    pfk.xfrm.xfrm_state_lookup(sk.net(), 0, &daddr, sa.spi(), proto, family)
}

/// `pfkey_getspi()`: finds or creates the larval SA (by the acquire seq,
/// else by addresses, mode and reqid), allocates its SPI in the range
/// (default 0x100–0x0fffffff) and answers GETSPI to the sender.
pub fn pfkey_getspi(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_getspi").entered();
    let ext = &req.ext;
    if !ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    let proto = pfkey_satype2proto(req.hdr.satype);
    if proto == 0 {
        return Err(Errno::EINVAL);
    }
    let (mode, reqid) = match ext.sa2() {
        Some(sa2) => (pfkey_mode_to_xfrm(sa2.mode()).ok_or(Errno::EINVAL)?, sa2.reqid()),
        None => (0, 0),
    };
    let (family, saddr, _) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_SRC).ok_or(Errno::EINVAL)?;
    let (_, daddr, _) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_DST).ok_or(Errno::EINVAL)?;
    let net = sk.net();
    let mut x = None;
    if req.hdr.seq != 0 {
        x = net
            .xfrm
            .state
            .xfrm_find_acq_byseq(0, req.hdr.seq, u32::MAX)
            .filter(|x| sim_core::xfrm::addr::xfrm_addr_equal(&x.daddr, &daddr, family));
    }
    let x = match x {
        Some(x) => x,
        None => pfk
            .xfrm
            .xfrm_find_acq(
                net,
                XfrmMark::default(),
                mode,
                reqid,
                0,
                proto,
                &daddr,
                &saddr,
                true,
                family,
            )
            .ok_or(Errno::ENOENT)?,
    };
    let (min, max) = ext.spirange().map_or((0x100, 0x0fff_ffff), |r| (r.min(), r.max()));
    verify_spi_info(x.proto, min, max)?;
    pfk.xfrm.xfrm_alloc_spi(net, &x, min, max)?;
    let mut msg = pfkey_xfrm_state2msg(pfk, &x, true, 3)?;
    msg.header = SadbMsgRepr {
        version: req.hdr.version,
        msg_type: SADB_GETSPI,
        satype: pfkey_proto2satype(proto),
        seq: req.hdr.seq,
        pid: req.hdr.pid,
        ..Default::default()
    };
    let _ = send_msg(pfk, &msg, BROADCAST_ONE, Some(sk), net);
    Ok(())
}

/// `pfkey_add()` for ADD and UPDATE: `pfkey_msg2xfrm_state`, then
/// `xfrm_state_add` / `xfrm_state_update`, then a NEWSA / UPDSA event to
/// every key manager (PF_KEY's broadcasts it to all sockets).
pub fn pfkey_add(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_add").entered();
    let x = pfkey_msg2xfrm_state(pfk, req)?;
    let net = sk.net();
    let add = req.hdr.msg_type == SADB_ADD;
    let r =
        if add { pfk.xfrm.xfrm_state_add(net, &x) } else { pfk.xfrm.xfrm_state_update(net, &x) };
    if let Err(e) = r {
        x.set_km_state(XfrmKmState::Dead);
        return Err(e);
    }
    let mut c =
        KmEvent::new(net, if add { xfrm_msg::XFRM_MSG_NEWSA } else { xfrm_msg::XFRM_MSG_UPDSA });
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_state_notify(Some(&x), &c);
    Ok(())
}

/// `pfkey_delete()`: `ESRCH` if there is no such SA, `EPERM` for a
/// kernel-owned one; a DELSA event on success.
pub fn pfkey_delete(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_delete").entered();
    if req.ext.sa().is_none() || !req.ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    let x = pfkey_xfrm_state_lookup(pfk, sk, req).ok_or(Errno::ESRCH)?;
    if x.is_kern() {
        return Err(Errno::EPERM);
    }
    let net = sk.net();
    pfk.xfrm.xfrm_state_delete(net, &x)?;
    let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_DELSA);
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_state_notify(Some(&x), &c);
    Ok(())
}

/// `pfkey_get()`: the SA with keys and all lifetimes, to the sender.
pub fn pfkey_get(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_get").entered();
    if req.ext.sa().is_none() || !req.ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    let x = pfkey_xfrm_state_lookup(pfk, sk, req).ok_or(Errno::ESRCH)?;
    let mut msg = pfkey_xfrm_state2msg(pfk, &x, true, 3)?;
    msg.header = SadbMsgRepr {
        version: req.hdr.version,
        msg_type: SADB_GET,
        satype: pfkey_proto2satype(x.proto),
        seq: req.hdr.seq,
        pid: req.hdr.pid,
        ..Default::default()
    };
    let _ = send_msg(pfk, &msg, BROADCAST_ONE, Some(sk), sk.net());
    Ok(())
}

/// `pfkey_acquire()`: only a bare header reporting a failed negotiation
/// means something — the larval SA with that seq becomes ERROR (and, as
/// the older kernels did, `km_waitq` is woken). Anything longer is
/// `EOPNOTSUPP`; seq or errno 0 is ignored. Never a reply.
pub fn pfkey_acquire(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_acquire").entered();
    if req.hdr.len != 2 {
        return Err(Errno::EOPNOTSUPP);
    }
    if req.hdr.seq == 0 || req.hdr.errno == 0 {
        return Ok(());
    }
    let net = sk.net();
    let Some(x) = net.xfrm.state.xfrm_find_acq_byseq(0, req.hdr.seq, u32::MAX) else {
        return Ok(());
    };
    let changed = {
        let _g = x.lock_bh();
        if x.km_state() == XfrmKmState::Acq {
            x.set_km_state(XfrmKmState::Error);
            true
        } else {
            false
        }
    };
    if changed && let Ok(d) = pfk.xfrm.pernet(net) {
        d.km_waitq_wake_up(&net.xfrm);
    }
    Ok(())
}

/// `compose_sadb_supported()`: the request header (errno 0) with
/// SUPPORTED_AUTH and SUPPORTED_ENCRYPT listing the available,
/// PF_KEY-capable algorithms in table order; an empty list is left out.
pub fn compose_sadb_supported(pfk: &PfKeyInner, orig: &SadbMsgRepr) -> SadbMessageRepr {
    let alg = |d: &sim_core::xfrm::algo_table::XfrmAlgoDesc| SadbAlgRepr {
        id: d.desc.sadb_alg_id,
        ivlen: d.desc.sadb_alg_ivlen,
        minbits: d.desc.sadb_alg_minbits,
        maxbits: d.desc.sadb_alg_maxbits,
        reserved: 0,
    };
    let mut exts = Vec::with_capacity(2);
    let auth: Vec<SadbAlgRepr> = pfkey_supported_algs(pfk.profile, &AALG_LIST).map(alg).collect();
    if !auth.is_empty() {
        exts.push(SadbExtRepr::Supported(SadbSupportedRepr {
            exttype: SADB_EXT_SUPPORTED_AUTH,
            reserved: 0,
            algs: auth,
        }));
    }
    let enc: Vec<SadbAlgRepr> = pfkey_supported_algs(pfk.profile, &EALG_LIST).map(alg).collect();
    if !enc.is_empty() {
        exts.push(SadbExtRepr::Supported(SadbSupportedRepr {
            exttype: SADB_EXT_SUPPORTED_ENCRYPT,
            reserved: 0,
            algs: enc,
        }));
    }
    SadbMessageRepr { header: SadbMsgRepr { errno: 0, ..*orig }, exts }
}

/// `pfkey_register()`: satype above `SADB_SATYPE_MAX` is `EINVAL`; a
/// satype already registered `EEXIST`; the bit is set (UNSPEC sets none)
/// and the SUPPORTED reply goes to every registered socket and the sender.
pub fn pfkey_register(
    pfk: &PfKeyInner,
    sk: &Arc<PfkeySock>,
    req: &PfkeyRequest<'_>,
) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_register").entered();
    let satype = req.hdr.satype;
    if satype > SADB_SATYPE_MAX {
        return Err(Errno::EINVAL);
    }
    if satype != SADB_SATYPE_UNSPEC {
        let bit = 1u32 << satype;
        if sk.registered() & bit != 0 {
            return Err(Errno::EEXIST);
        }
        sk.set_registered(sk.registered() | bit);
    }
    let msg = {
        let _g = pfk.pfkey_mutex.lock();
        compose_sadb_supported(pfk, &req.hdr)
    };
    let _ = send_msg(pfk, &msg, BROADCAST_REGISTERED, Some(sk), sk.net());
    Ok(())
}

/// `unicast_flush_resp()`: the request header (errno 0, length 2) back to
/// the sender.
pub(crate) fn unicast_flush_resp(
    pfk: &PfKeyInner,
    sk: &Arc<PfkeySock>,
    hdr: &SadbMsgRepr,
) -> KResult<()> {
    let h = SadbMsgRepr { errno: 0, len: 2, ..*hdr };
    let skb = PfkeySkb::kernel(pfk, h.to_bytes().to_vec());
    pfkey_broadcast(pfk, &skb, BROADCAST_ONE, Some(sk), sk.net())
}

/// `pfkey_flush()`: `xfrm_state_flush` of the satype's protocol (UNSPEC =
/// AH, ESP and IPComp), the echo to the sender, and a FLUSHSA event unless
/// nothing was flushed.
pub fn pfkey_flush(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_flush").entered();
    let proto = pfkey_satype2proto(req.hdr.satype);
    if proto == 0 {
        return Err(Errno::EINVAL);
    }
    let net = sk.net();
    let err = pfk.xfrm.xfrm_state_flush(net, proto).map(|_| ());
    let err2 = unicast_flush_resp(pfk, sk, &req.hdr);
    match (err, err2) {
        (Err(Errno::ESRCH), _) => return Ok(()),
        (Err(e), _) | (Ok(()), Err(e)) => return Err(e),
        _ => {}
    }
    let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_FLUSHSA);
    c.data = u32::from(proto);
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_state_notify(None, &c);
    Ok(())
}

/// `pfkey_promisc()`: a bare header with satype 0 or 1 sets the flag
/// (other values `EINVAL`) and is re-broadcast with errno cleared; a longer
/// message is re-broadcast as it came. Both go to every socket.
pub fn pfkey_promisc(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_promisc").entered();
    let satype = req.hdr.satype;
    let mut data = req.raw.to_vec();
    if req.hdr.len == 2 {
        if satype != 0 && satype != 1 {
            return Err(Errno::EINVAL);
        }
        sk.set_promisc(satype == 1);
        if let Some(e) = data.get_mut(2) {
            *e = 0;
        }
    }
    let n = data.len();
    let skb = PfkeySkb::new(pfk, data, n);
    let _ = pfkey_broadcast(pfk, &skb, BROADCAST_ALL, None, sk.net());
    Ok(())
}
