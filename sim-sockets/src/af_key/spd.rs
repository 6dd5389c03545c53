//! The SPD handlers of `pfkey_funcs[]` — `pfkey_spdadd` (X_SPDADD,
//! X_SPDUPDATE, X_SPDSETIDX), `pfkey_spddelete`, `pfkey_spdget`
//! (X_SPDGET, X_SPDDELETE2), `pfkey_spdflush`, `pfkey_migrate` — and
//! `pfkey_compile_policy` for `setsockopt(IP_IPSEC_POLICY)`.

use sim_core::sync::Arc;
use sim_core::xfrm::policy::{
    XFRM_MAX_DEPTH, XFRM_POLICY_MAX, XFRM_POLICY_TYPE_MAIN, xfrm_policy_id2dir,
};
use sim_core::xfrm::{
    XFRM_INF, XfrmAddress, XfrmLifetimeCfg, XfrmMark, XfrmPolicy, XfrmPolicyInfo, XfrmSelector,
};
use sim_core::{Errno, KResult};
use sim_km::{KmEvent, XfrmKmAddress, XfrmMigrate, xfrm_msg};
use sim_netns::Net;

use super::broadcast::{BROADCAST_ONE, PfkeySkb, pfkey_broadcast};
use super::convert::{
    key2x, parse_ipsecrequests, pfkey_selector, pfkey_xfrm_policy2msg, policy_action,
    policy_alloc_extra,
};
use super::parse::{pfkey_mode_to_xfrm, verify_sec_ctx_len};
use super::sa::unicast_flush_resp;
use super::sock::PfkeySock;
use super::wire::consts::*;
use super::wire::{SadbMsgRepr, parse_sockaddr_pair};
use super::{PfKeyInner, PfkeyRequest};

/// `IP_IPSEC_POLICY`.
pub const IP_IPSEC_POLICY: i32 = 16;
/// `IPV6_IPSEC_POLICY`.
pub const IPV6_IPSEC_POLICY: i32 = 34;

/// A policy's reference count as `pfkey_xfrm_policy2msg` reads it into
/// `sadb_msg_reserved`: the holders the caller has (`base`), plus one
/// while the lifetime timer is armed — the first second after insertion
/// (the virtual clock's whole seconds) and always for a policy with a time
/// limit.
pub fn policy_refcnt(pfk: &PfKeyInner, xp: &XfrmPolicy, base: u16) -> u16 {
    let l = &xp.info().lft;
    let limited = l.soft_add_expires_seconds != 0
        || l.hard_add_expires_seconds != 0
        || l.soft_use_expires_seconds != 0
        || l.hard_use_expires_seconds != 0;
    let fresh = pfk.now() <= xp.curlft().add_time;
    base + u16::from(limited || fresh)
}

/// Sends a policy message of `xp` (`pfkey_xfrm_policy2msg_prep`'s size).
pub(crate) fn send_policy_msg(
    pfk: &PfKeyInner,
    hdr: SadbMsgRepr,
    xp: &XfrmPolicy,
    dir: u8,
    flags: u32,
    one: Option<&Arc<PfkeySock>>,
    net: &Net,
) -> KResult<()> {
    let mut msg = pfkey_xfrm_policy2msg(xp, dir, hdr.reserved)?;
    msg.header = SadbMsgRepr { len: 0, ..hdr };
    let bytes = msg.to_bytes();
    let n = bytes.len() + 16 + policy_alloc_extra(xp.info(), xp.family());
    let skb = PfkeySkb::new(pfk, bytes, n);
    pfkey_broadcast(pfk, &skb, flags, one, net)
}

fn lifetimes(req: &PfkeyRequest<'_>) -> XfrmLifetimeCfg {
    let mut lft = XfrmLifetimeCfg {
        soft_byte_limit: XFRM_INF,
        hard_byte_limit: XFRM_INF,
        soft_packet_limit: XFRM_INF,
        hard_packet_limit: XFRM_INF,
        ..Default::default()
    };
    if let Some(l) = req.ext.lifetime(SADB_EXT_LIFETIME_HARD) {
        lft.hard_packet_limit = key2x(u64::from(l.allocations()));
        lft.hard_byte_limit = key2x(l.bytes());
        lft.hard_add_expires_seconds = l.addtime();
        lft.hard_use_expires_seconds = l.usetime();
    }
    if let Some(l) = req.ext.lifetime(SADB_EXT_LIFETIME_SOFT) {
        lft.soft_packet_limit = key2x(u64::from(l.allocations()));
        lft.soft_byte_limit = key2x(l.bytes());
        lft.soft_add_expires_seconds = l.addtime();
        lft.soft_use_expires_seconds = l.usetime();
    }
    lft
}

/// The X_POLICY extension's bytes (`sadb_x_policy_len × 8`).
fn policy_bytes<'a>(req: &PfkeyRequest<'a>) -> Option<&'a [u8]> {
    req.ext.get(SADB_X_EXT_POLICY)
}

/// `pfkey_spdadd()`: SRC/DST and X_POLICY required, type at most IPSEC,
/// direction 1–3; the selector, action, priority, lifetimes and templates;
/// `xfrm_policy_insert` (exclusive unless X_SPDUPDATE); a NEWPOLICY or
/// UPDPOLICY event. The id in the request is ignored.
pub fn pfkey_spdadd(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_spdadd").entered();
    let ext = &req.ext;
    let (Some(pol), Some(polb)) = (ext.policy(), policy_bytes(req)) else {
        return Err(Errno::EINVAL);
    };
    if !ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    if pol.policy_type() > IPSEC_POLICY_IPSEC {
        return Err(Errno::EINVAL);
    }
    if pol.dir() == 0 || pol.dir() >= IPSEC_DIR_MAX {
        return Err(Errno::EINVAL);
    }
    let sel = pfkey_selector(ext)?;
    let net = sk.net();
    let mut info = XfrmPolicyInfo {
        sel,
        action: policy_action(pol.policy_type()),
        priority: pol.priority(),
        lft: lifetimes(req),
        ptype: XFRM_POLICY_TYPE_MAIN,
        ..Default::default()
    };
    if pol.policy_type() == IPSEC_POLICY_IPSEC {
        parse_ipsecrequests(pfk, net, &mut info, sel.family, polb)?;
    }
    let dir = pol.dir() - 1;
    let update = req.hdr.msg_type == SADB_X_SPDUPDATE;
    info.dir = dir;
    let r = pfk.xfrm.xfrm_policy_insert(net, dir, info, !update)?;
    let mut c = KmEvent::new(
        net,
        if update { xfrm_msg::XFRM_MSG_UPDPOLICY } else { xfrm_msg::XFRM_MSG_NEWPOLICY },
    );
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_policy_notify(Some(&r.policy), dir, &c);
    Ok(())
}

/// `pfkey_spddelete()`: by exact selector in the MAIN table (`ENOENT`),
/// then a DELPOLICY event.
pub fn pfkey_spddelete(
    pfk: &PfKeyInner,
    sk: &Arc<PfkeySock>,
    req: &PfkeyRequest<'_>,
) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_spddelete").entered();
    let ext = &req.ext;
    let Some(pol) = ext.policy() else {
        return Err(Errno::EINVAL);
    };
    if !ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    if pol.dir() == 0 || pol.dir() >= IPSEC_DIR_MAX {
        return Err(Errno::EINVAL);
    }
    let sel = pfkey_selector(ext)?;
    let dir = pol.dir() - 1;
    let net = sk.net();
    let xp = pfk
        .xfrm
        .xfrm_policy_bysel_ctx(
            net,
            XfrmMark::default(),
            0,
            XFRM_POLICY_TYPE_MAIN,
            dir,
            &sel,
            None,
            true,
        )
        .map_err(|_| Errno::ENOENT)?;
    let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_DELPOLICY);
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_policy_notify(Some(&xp), dir, &c);
    Ok(())
}

/// `pfkey_spdget()` (X_SPDGET and X_SPDDELETE2): the policy with
/// `sadb_x_policy_id` (direction from its low bits, `EINVAL` from 3 up,
/// `ENOENT` if absent); GET answers the sender, DELETE2 deletes and
/// reports DELPOLICY by id.
pub fn pfkey_spdget(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_spdget").entered();
    let pol = req.ext.policy().ok_or(Errno::EINVAL)?;
    let dir = xfrm_policy_id2dir(pol.id());
    if dir >= XFRM_POLICY_MAX {
        return Err(Errno::EINVAL);
    }
    let delete = req.hdr.msg_type == SADB_X_SPDDELETE2;
    let net = sk.net();
    let xp = pfk
        .xfrm
        .xfrm_policy_byid(net, XfrmMark::default(), 0, XFRM_POLICY_TYPE_MAIN, dir, pol.id(), delete)
        .map_err(|_| Errno::ENOENT)?;
    if delete {
        let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_DELPOLICY);
        c.seq = req.hdr.seq;
        c.portid = req.hdr.pid;
        c.data = 1;
        pfk.xfrm.km().km_policy_notify(Some(&xp), dir, &c);
        Ok(())
    } else {
        let hdr = SadbMsgRepr {
            version: req.hdr.version,
            msg_type: req.hdr.msg_type,
            satype: 0,
            errno: 0,
            reserved: policy_refcnt(pfk, &xp, 2),
            seq: req.hdr.seq,
            pid: req.hdr.pid,
            len: 0,
        };
        // key_pol_get_resp: a reply the socket had no room for is lost.
        let _ = send_policy_msg(pfk, hdr, &xp, dir, BROADCAST_ONE, Some(sk), net);
        Ok(())
    }
}

/// `pfkey_spdflush()`: flush the MAIN policies, echo to the sender, and a
/// FLUSHPOLICY event unless nothing was flushed.
pub fn pfkey_spdflush(
    pfk: &PfKeyInner,
    sk: &Arc<PfkeySock>,
    req: &PfkeyRequest<'_>,
) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_spdflush").entered();
    let net = sk.net();
    let err = pfk.xfrm.xfrm_policy_flush(net, XFRM_POLICY_TYPE_MAIN).map(|_| ());
    let err2 = unicast_flush_resp(pfk, sk, &req.hdr);
    match (err, err2) {
        (Err(Errno::ESRCH), _) => return Ok(()),
        (Err(e), _) | (Ok(()), Err(e)) => return Err(e),
        _ => {}
    }
    let mut c = KmEvent::new(net, xfrm_msg::XFRM_MSG_FLUSHPOLICY);
    c.data = u32::from(XFRM_POLICY_TYPE_MAIN);
    c.seq = req.hdr.seq;
    c.portid = req.hdr.pid;
    pfk.xfrm.km().km_policy_notify(None, 0, &c);
    Ok(())
}

/// `ipsecrequests_to_migrate()`: one (old, new) request pair; returns the
/// migration and the bytes consumed.
fn ipsecrequests_to_migrate(rq: &[u8]) -> KResult<(XfrmMigrate, usize)> {
    let rlen = |b: &[u8]| b.get(..2).map_or(0, |l| usize::from(u16::from_le_bytes([l[0], l[1]])));
    let l1 = rlen(rq);
    if rq.len() < 16 || rq.len() < l1 || l1 < 16 {
        return Err(Errno::EINVAL);
    }
    let (old_s, old_d) = parse_sockaddr_pair(&rq[16..l1])?;
    let rq2 = &rq[l1..];
    let l2 = rlen(rq2);
    if rq2.len() <= 16 || rq2.len() < l2 || l2 < 16 {
        return Err(Errno::EINVAL);
    }
    let (new_s, new_d) = parse_sockaddr_pair(&rq2[16..l2])?;
    // proto (2..4), mode (4), reqid (8..12) must agree.
    if rq[2..5] != rq2[2..5] || rq[8..12] != rq2[8..12] {
        return Err(Errno::EINVAL);
    }
    let mode = pfkey_mode_to_xfrm(rq[4]).ok_or(Errno::EINVAL)?;
    let m = XfrmMigrate {
        old_daddr: XfrmAddress(old_d.xfrm_address()),
        old_saddr: XfrmAddress(old_s.xfrm_address()),
        new_daddr: XfrmAddress(new_d.xfrm_address()),
        new_saddr: XfrmAddress(new_s.xfrm_address()),
        proto: rq[2],
        mode,
        reserved: 0,
        reqid: u32::from_le_bytes([rq[8], rq[9], rq[10], rq[11]]),
        old_family: old_s.family(),
        new_family: new_s.family(),
    };
    Ok((m, l1 + l2))
}

/// `pfkey_migrate()`: SRC/DST and X_POLICY required, direction below 4, an
/// optional KMADDRESS pair, and (old, new) request pairs; then the
/// `xfrm_migrate` checks (direction, addresses, the policy must exist) and
/// the MIGRATE report to every key manager. The SAs themselves are not
/// moved (see docs/differences.md).
pub fn pfkey_migrate(pfk: &PfKeyInner, sk: &Arc<PfkeySock>, req: &PfkeyRequest<'_>) -> KResult<()> {
    let _span = tracing::trace_span!("pfkey_migrate").entered();
    let ext = &req.ext;
    let (Some(pol), Some(polb)) = (ext.policy(), policy_bytes(req)) else {
        return Err(Errno::EINVAL);
    };
    if !ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    if pol.dir() >= IPSEC_DIR_MAX {
        return Err(Errno::EINVAL);
    }
    let k = match ext.get(SADB_X_EXT_KMADDRESS) {
        Some(kb) => {
            let (l, r) = parse_sockaddr_pair(kb.get(8..).unwrap_or_default())?;
            Some(XfrmKmAddress {
                local: XfrmAddress(l.xfrm_address()),
                remote: XfrmAddress(r.xfrm_address()),
                reserved: 0,
                family: l.family(),
            })
        }
        None => None,
    };
    let dir = pol.dir().wrapping_sub(1);
    let sel = pfkey_selector(ext)?;
    let mut rest = polb.get(16..).unwrap_or_default();
    let mut m = Vec::new();
    while !rest.is_empty() && m.len() < XFRM_MAX_DEPTH {
        let (mig, used) = ipsecrequests_to_migrate(rest)?;
        m.push(mig);
        rest = rest.get(used..).unwrap_or_default();
    }
    if m.is_empty() || !rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    xfrm_migrate(pfk, sk.net(), &sel, dir, &m, k.as_ref())
}

/// The checks of `xfrm_migrate()` (`xfrm_migrate_check`, the policy
/// lookup) and its `km_migrate` report.
fn xfrm_migrate(
    pfk: &PfKeyInner,
    net: &Arc<Net>,
    sel: &XfrmSelector,
    dir: u8,
    m: &[XfrmMigrate],
    k: Option<&XfrmKmAddress>,
) -> KResult<()> {
    if dir >= XFRM_POLICY_MAX {
        return Err(Errno::EINVAL);
    }
    for (i, a) in m.iter().enumerate() {
        let same = a.old_daddr == a.new_daddr && a.old_saddr == a.new_saddr;
        if same || a.new_daddr.is_any(a.new_family) || a.new_saddr.is_any(a.new_family) {
            return Err(Errno::EINVAL);
        }
        if m[i + 1..].iter().any(|b| {
            a.old_daddr == b.old_daddr
                && a.old_saddr == b.old_saddr
                && a.proto == b.proto
                && a.mode == b.mode
                && a.reqid == b.reqid
                && a.old_family == b.old_family
        }) {
            return Err(Errno::EINVAL);
        }
    }
    pfk.xfrm
        .xfrm_policy_bysel_ctx(
            net,
            XfrmMark::default(),
            0,
            XFRM_POLICY_TYPE_MAIN,
            dir,
            sel,
            None,
            false,
        )
        .map_err(|_| Errno::ENOENT)?;
    // The announcement's outcome does not matter to the caller.
    let _ = pfk.xfrm.km().km_migrate(sel, dir, XFRM_POLICY_TYPE_MAIN, m, k, None);
    Ok(())
}

/// `pfkey_compile_policy()`: a `sadb_x_policy` (with requests, optionally
/// followed by a `sadb_x_sec_ctx`) from `setsockopt(IP_IPSEC_POLICY /
/// IPV6_IPSEC_POLICY)` as a socket policy matching every flow of the
/// socket; `EOPNOTSUPP` for another option (the next key manager may take
/// it), `EINVAL` for a non-inet socket or a malformed policy.
pub fn pfkey_compile_policy(
    pfk: &PfKeyInner,
    family: u16,
    opt: i32,
    data: &[u8],
) -> KResult<(XfrmPolicyInfo, u8)> {
    match family {
        AF_INET if opt != IP_IPSEC_POLICY => return Err(Errno::EOPNOTSUPP),
        AF_INET6 if opt != IPV6_IPSEC_POLICY => return Err(Errno::EOPNOTSUPP),
        AF_INET | AF_INET6 => {}
        _ => return Err(Errno::EINVAL),
    }
    let Some(p) = data.get(..16) else {
        return Err(Errno::EINVAL);
    };
    let plen = usize::from(u16::from_le_bytes([p[0], p[1]])) * 8;
    let ptype = u16::from_le_bytes([p[4], p[5]]);
    let pdir = p[6];
    if plen > data.len() || ptype > IPSEC_POLICY_BYPASS || pdir == 0 || pdir > IPSEC_DIR_OUTBOUND {
        return Err(Errno::EINVAL);
    }
    let mut info = XfrmPolicyInfo {
        sel: XfrmSelector { family, ..Default::default() },
        action: policy_action(ptype),
        lft: XfrmLifetimeCfg {
            soft_byte_limit: XFRM_INF,
            hard_byte_limit: XFRM_INF,
            soft_packet_limit: XFRM_INF,
            hard_packet_limit: XFRM_INF,
            ..Default::default()
        },
        ptype: XFRM_POLICY_TYPE_MAIN,
        ..Default::default()
    };
    if ptype == IPSEC_POLICY_IPSEC {
        // The manager callback has no namespace; automatic reqids are
        // checked against the initial namespace's policies.
        parse_ipsecrequests(
            pfk,
            &pfk.init_net,
            &mut info,
            family,
            data.get(..plen).unwrap_or_default(),
        )?;
    }
    if data.len() >= plen + 8 {
        let ctx = &data[plen..];
        let clen = usize::from(u16::from_le_bytes([ctx[0], ctx[1]])) * 8;
        if data.len() < plen + clen {
            return Err(Errno::EINVAL);
        }
        verify_sec_ctx_len(ctx.get(..clen).unwrap_or_default())?;
    }
    Ok((info, pdir - 1))
}
