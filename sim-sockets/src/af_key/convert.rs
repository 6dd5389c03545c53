//! Conversions between PF_KEY messages and XFRM objects:
//! `__pfkey_xfrm_state2msg`, `pfkey_msg2xfrm_state`,
//! `pfkey_xfrm_policy2msg`, `parse_ipsecrequests`, `gen_reqid`, and the
//! address and lifetime helpers around them.

use sim_core::sync::Arc;
use sim_core::sync::atomic::Ordering;
use sim_core::xfrm::algo_table::{
    XfrmAlgoDesc, xfrm_aalg_get_byid, xfrm_aalg_get_byname, xfrm_calg_get_byid,
    xfrm_calg_get_byname, xfrm_ealg_get_byid, xfrm_ealg_get_byname,
};
use sim_core::xfrm::policy::{
    XFRM_MAX_DEPTH, XFRM_POLICY_ALLOW, XFRM_POLICY_BLOCK, XFRM_POLICY_TYPE_MAIN,
};
use sim_core::xfrm::spd::XfrmPolicyWalk;
use sim_core::xfrm::state::flags::{
    XFRM_STATE_DECAP_DSCP, XFRM_STATE_NOECN, XFRM_STATE_NOPMTUDISC,
};
use sim_core::xfrm::state::{IPPROTO_DSTOPTS, IPPROTO_ROUTING};
use sim_core::xfrm::{
    XFRM_INF, XfrmAddress, XfrmAlgo, XfrmAlgoAuth, XfrmEncapTmpl, XfrmKmState, XfrmLifetimeCfg,
    XfrmPolicy, XfrmPolicyInfo, XfrmSelector, XfrmState, XfrmStateInfo, XfrmTmpl,
};
use sim_core::{Errno, KResult};
use sim_netns::Net;

use super::PfKeyInner;
use super::parse::{
    ExtHdrs, IPPROTO_AH, IPPROTO_COMP, IPPROTO_ESP, XFRM_MODE_BEET, XFRM_MODE_TUNNEL,
    pfkey_mode_from_xfrm, pfkey_mode_to_xfrm, pfkey_proto_from_xfrm, pfkey_proto_to_xfrm,
    pfkey_proto2satype, pfkey_satype2proto,
};
use super::wire::consts::*;
use super::wire::sockaddr::pfkey_sockaddr_len;
use super::wire::{
    IpsecRequestAddrs, SadbAddressRepr, SadbExtRepr, SadbKeyRepr, SadbLifetimeRepr,
    SadbMessageRepr, SadbMsgRepr, SadbSaRepr, SadbXIpsecrequestRepr, SadbXNatTPortRepr,
    SadbXNatTTypeRepr, SadbXPolicyRepr, SadbXSa2Repr, SockAddr, parse_sockaddr_pair,
};

/// `_KEY2X`: 0 means "no limit".
pub const fn key2x(v: u64) -> u64 {
    if v == 0 { XFRM_INF } else { v }
}

/// `_X2KEY`: "no limit" is written as 0.
pub const fn x2key(v: u64) -> u64 {
    if v == XFRM_INF { 0 } else { v }
}

/// `pfkey_sockaddr_fill()`: a sockaddr of `family` for `addr` and `port`
/// (`None` for a family PF_KEY cannot express).
pub fn pfkey_sockaddr_fill(addr: &XfrmAddress, port: u16, family: u16) -> Option<SockAddr> {
    match family {
        AF_INET => {
            let mut a = [0u8; 4];
            a.copy_from_slice(&addr.0[..4]);
            Some(SockAddr::v4(a, port))
        }
        AF_INET6 => Some(SockAddr::v6(addr.0, port)),
        _ => None,
    }
}

/// The prefix length of a full host address of `family`.
const fn host_prefixlen(family: u16) -> u8 {
    if family == AF_INET6 { 128 } else { 32 }
}

/// `pfkey_sadb_addr2xfrm_addr()`: family, address and port of an address
/// extension that `verify_address_len` accepted.
pub fn pfkey_sadb_addr2xfrm_addr(
    ext: &ExtHdrs<'_>,
    ext_type: u16,
) -> Option<(u16, XfrmAddress, u16)> {
    let sa = ext.sockaddr(ext_type)?;
    Some((sa.family(), XfrmAddress(sa.xfrm_address()), sa.port()))
}

fn address_ext(exttype: u16, proto: u8, prefixlen: u8, addr: SockAddr) -> SadbExtRepr {
    SadbExtRepr::Address(SadbAddressRepr { exttype, proto, prefixlen, reserved: 0, addr })
}

fn lifetime_ext(
    exttype: u16,
    allocations: u64,
    bytes: u64,
    addtime: u64,
    usetime: u64,
) -> SadbExtRepr {
    SadbExtRepr::Lifetime(SadbLifetimeRepr {
        exttype,
        allocations: allocations as u32,
        bytes,
        addtime,
        usetime,
    })
}

/// The PF_KEY id of a state's algorithm: the table entry's id when it is
/// PF_KEY-capable, else 0.
fn alg_id(desc: Option<&'static XfrmAlgoDesc>) -> u8 {
    desc.filter(|d| d.pfkey_supported).map_or(0, |d| d.desc.sadb_alg_id)
}

/// `__pfkey_xfrm_state2msg(x, add_keys, hsc)`: SA, HARD (hsc & 2), SOFT
/// (hsc & 1), CURRENT, SRC, DST, PROXY (selector source ≠ SA source),
/// keys (with `add_keys`), SA2, NAT-T. The header's version, type, seq and
/// pid are the caller's; satype is the state's. `EINVAL` for a mode or
/// family without a PF_KEY encoding.
pub fn pfkey_xfrm_state2msg(
    pfk: &PfKeyInner,
    x: &XfrmState,
    add_keys: bool,
    hsc: u8,
) -> KResult<SadbMessageRepr> {
    let mode = pfkey_mode_from_xfrm(x.mode).ok_or(Errno::EINVAL)?;
    let family = x.family;
    // Only what the message shows, copied under x->lock.
    let (lft, curlft, sel, encap) = {
        let g = x.lock_bh();
        (g.lft, g.curlft, g.sel, g.encap)
    };
    let profile = pfk.profile;
    let state = match x.km_state() {
        XfrmKmState::Valid if x.dying() => SADB_SASTATE_DYING,
        XfrmKmState::Valid => SADB_SASTATE_MATURE,
        XfrmKmState::Acq => SADB_SASTATE_LARVAL,
        _ => SADB_SASTATE_DEAD,
    };
    let auth = x.aalg.as_ref().map_or(0, |a| alg_id(xfrm_aalg_get_byname(profile, &a.name)));
    let mut encrypt = x.calg.as_ref().map_or(0, |a| alg_id(xfrm_calg_get_byname(profile, &a.name)));
    if let Some(e) = &x.ealg {
        encrypt = alg_id(xfrm_ealg_get_byname(profile, &e.name));
    }
    let mut flags = 0;
    if x.flags & XFRM_STATE_NOECN != 0 {
        flags |= SADB_SAFLAGS_NOECN;
    }
    if x.flags & XFRM_STATE_DECAP_DSCP != 0 {
        flags |= SADB_SAFLAGS_DECAP_DSCP;
    }
    if x.flags & XFRM_STATE_NOPMTUDISC != 0 {
        flags |= SADB_SAFLAGS_NOPMTUDISC;
    }
    let mut exts = Vec::with_capacity(10);
    exts.push(SadbExtRepr::Sa(SadbSaRepr {
        spi: x.spi(),
        replay: x.replay_window,
        state,
        auth,
        encrypt,
        flags,
    }));
    let l = &lft;
    if hsc & 2 != 0 {
        exts.push(lifetime_ext(
            SADB_EXT_LIFETIME_HARD,
            x2key(l.hard_packet_limit),
            x2key(l.hard_byte_limit),
            l.hard_add_expires_seconds,
            l.hard_use_expires_seconds,
        ));
    }
    if hsc & 1 != 0 {
        exts.push(lifetime_ext(
            SADB_EXT_LIFETIME_SOFT,
            x2key(l.soft_packet_limit),
            x2key(l.soft_byte_limit),
            l.soft_add_expires_seconds,
            l.soft_use_expires_seconds,
        ));
    }
    let c = &curlft;
    exts.push(lifetime_ext(SADB_EXT_LIFETIME_CURRENT, c.packets, c.bytes, c.add_time, c.use_time));
    let plen = host_prefixlen(family);
    let src = pfkey_sockaddr_fill(&x.saddr, 0, family).ok_or(Errno::EINVAL)?;
    exts.push(address_ext(SADB_EXT_ADDRESS_SRC, 0, plen, src));
    let dst = pfkey_sockaddr_fill(&x.daddr, 0, family).ok_or(Errno::EINVAL)?;
    exts.push(address_ext(SADB_EXT_ADDRESS_DST, 0, plen, dst));
    let sel_differs = match family {
        AF_INET => sel.saddr.0[..4] != x.saddr.0[..4],
        _ => sel.saddr.0 != x.saddr.0,
    };
    if sel_differs {
        let proxy = pfkey_sockaddr_fill(&sel.saddr, sel.sport, family).ok_or(Errno::EINVAL)?;
        exts.push(address_ext(
            SADB_EXT_ADDRESS_PROXY,
            pfkey_proto_from_xfrm(sel.proto),
            sel.prefixlen_s,
            proxy,
        ));
    }
    if add_keys {
        if let Some(a) = x.aalg.as_ref().filter(|a| a.key_len != 0) {
            exts.push(SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_AUTH,
                bits: a.key_len as u16,
                reserved: 0,
                key: a.key.clone(),
            }));
        }
        if let Some(e) = x.ealg.as_ref().filter(|e| e.key_len != 0) {
            exts.push(SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_ENCRYPT,
                bits: e.key_len as u16,
                reserved: 0,
                key: e.key.clone(),
            }));
        }
    }
    exts.push(SadbExtRepr::Sa2(SadbXSa2Repr { mode, reqid: x.reqid, ..Default::default() }));
    if let Some(n) = encap.as_ref().filter(|n| n.encap_type != 0) {
        exts.push(SadbExtRepr::NatTType(SadbXNatTTypeRepr { nat_t_type: n.encap_type as u8 }));
        exts.push(SadbExtRepr::NatTPort(SadbXNatTPortRepr {
            exttype: SADB_X_EXT_NAT_T_SPORT,
            port: n.encap_sport,
            reserved: 0,
        }));
        exts.push(SadbExtRepr::NatTPort(SadbXNatTPortRepr {
            exttype: SADB_X_EXT_NAT_T_DPORT,
            port: n.encap_dport,
            reserved: 0,
        }));
    }
    let header = SadbMsgRepr {
        version: PF_KEY_V2,
        satype: pfkey_proto2satype(x.proto),
        ..Default::default()
    };
    Ok(SadbMessageRepr { header, exts })
}

/// `xfrm_init_state()` as far as PF_KEY states reach it: the transform
/// type must be registered (`EPROTONOSUPPORT`), ESP needs an encryption
/// algorithm, AH an authentication one, IPComp a compression one, and AH
/// and IPComp refuse UDP encapsulation (`EINVAL`); a key length the
/// algorithm does not accept is `EINVAL` (the cipher's `setkey`).
fn xfrm_init_state(pfk: &PfKeyInner, info: &XfrmStateInfo) -> KResult<()> {
    if !pfk.profile.xfrm_types.has_type(info.id.proto, info.family) {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match info.id.proto {
        IPPROTO_ESP => {
            let e = info.ealg.as_ref().ok_or(Errno::EINVAL)?;
            if let Some(d) = xfrm_ealg_get_byname(pfk.profile, &e.name)
                && d.desc.sadb_alg_maxbits != 0
            {
                let bits = e.key_len;
                let (lo, hi) =
                    (u32::from(d.desc.sadb_alg_minbits), u32::from(d.desc.sadb_alg_maxbits));
                // AES keys are 128, 192 or 256 bits.
                if bits < lo || bits > hi || (e.name.contains("aes") && bits % 64 != 0) {
                    return Err(Errno::EINVAL);
                }
            }
        }
        IPPROTO_AH if info.aalg.is_none() || info.encap.is_some() => return Err(Errno::EINVAL),
        IPPROTO_COMP if info.calg.is_none() || info.encap.is_some() => {
            return Err(Errno::EINVAL);
        }
        _ => {}
    }
    Ok(())
}

/// `pfkey_msg2xfrm_state()`: the SA an ADD or UPDATE describes, VALID and
/// ready for insertion (errors in the kernel's order, see the reference).
pub fn pfkey_msg2xfrm_state(
    pfk: &PfKeyInner,
    req: &super::PfkeyRequest<'_>,
) -> KResult<Arc<XfrmState>> {
    let ext = &req.ext;
    let hdr = &req.hdr;
    let sa = ext.sa().ok_or(Errno::EINVAL)?;
    if !ext.present_and_same_family() {
        return Err(Errno::EINVAL);
    }
    if hdr.satype == SADB_SATYPE_ESP && !ext.has(SADB_EXT_KEY_ENCRYPT) {
        return Err(Errno::EINVAL);
    }
    if hdr.satype == SADB_SATYPE_AH && !ext.has(SADB_EXT_KEY_AUTH) {
        return Err(Errno::EINVAL);
    }
    if ext.has(SADB_EXT_LIFETIME_HARD) != ext.has(SADB_EXT_LIFETIME_SOFT) {
        return Err(Errno::EINVAL);
    }
    let proto = pfkey_satype2proto(hdr.satype);
    if proto == 0 {
        return Err(Errno::EINVAL);
    }
    if sa.auth() > SADB_AALG_MAX
        || (hdr.satype == SADB_X_SATYPE_IPCOMP && sa.encrypt() > SADB_X_CALG_MAX)
        || sa.encrypt() > SADB_EALG_MAX
    {
        return Err(Errno::EINVAL);
    }
    let akey = ext.key(SADB_EXT_KEY_AUTH);
    if akey.as_ref().is_some_and(|k| k.bits() == 0) && sa.auth() != SADB_X_AALG_NULL {
        return Err(Errno::EINVAL);
    }
    let ekey = ext.key(SADB_EXT_KEY_ENCRYPT);
    if ekey.as_ref().is_some_and(|k| k.bits() == 0) && sa.encrypt() != SADB_EALG_NULL {
        return Err(Errno::EINVAL);
    }
    let (family, saddr, _) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_SRC).ok_or(Errno::EINVAL)?;
    let (_, daddr, _) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_DST).ok_or(Errno::EINVAL)?;
    let mut info = XfrmStateInfo::new(family, daddr, saddr, sa.spi(), proto);
    info.replay_window = sa.replay().min(32);
    let f = sa.flags();
    if f & SADB_SAFLAGS_NOECN != 0 {
        info.flags |= XFRM_STATE_NOECN;
    }
    if f & SADB_SAFLAGS_DECAP_DSCP != 0 {
        info.flags |= XFRM_STATE_DECAP_DSCP;
    }
    if f & SADB_SAFLAGS_NOPMTUDISC != 0 {
        info.flags |= XFRM_STATE_NOPMTUDISC;
    }
    let mut lft = XfrmLifetimeCfg {
        soft_byte_limit: XFRM_INF,
        hard_byte_limit: XFRM_INF,
        soft_packet_limit: XFRM_INF,
        hard_packet_limit: XFRM_INF,
        ..Default::default()
    };
    if let Some(l) = ext.lifetime(SADB_EXT_LIFETIME_HARD) {
        lft.hard_packet_limit = key2x(u64::from(l.allocations()));
        lft.hard_byte_limit = key2x(l.bytes());
        lft.hard_add_expires_seconds = l.addtime();
        lft.hard_use_expires_seconds = l.usetime();
    }
    if let Some(l) = ext.lifetime(SADB_EXT_LIFETIME_SOFT) {
        lft.soft_packet_limit = key2x(u64::from(l.allocations()));
        lft.soft_byte_limit = key2x(l.bytes());
        lft.soft_add_expires_seconds = l.addtime();
        lft.soft_use_expires_seconds = l.usetime();
    }
    info.lft = lft;
    // Security contexts need an LSM with xfrm hooks; without one the
    // kernel accepts SEC_CTX and stores nothing.
    if sa.auth() != 0 {
        let a = xfrm_aalg_get_byid(pfk.profile, sa.auth())
            .filter(|a| a.pfkey_supported)
            .ok_or(Errno::ENOSYS)?;
        let (bits, key) = match (&akey, ext.key_bytes(SADB_EXT_KEY_AUTH)) {
            (Some(k), Some(b)) => (u32::from(k.bits()), b.to_vec()),
            _ => (0, Vec::new()),
        };
        info.aalg = Some(XfrmAlgoAuth {
            name: a.name.to_owned(),
            key_len: bits,
            trunc_len: a.auth().map_or(0, |u| u32::from(u.icv_truncbits)),
            key,
        });
    }
    if sa.encrypt() != 0 {
        if hdr.satype == SADB_X_SATYPE_IPCOMP {
            let a = xfrm_calg_get_byid(pfk.profile, sa.encrypt())
                .filter(|a| a.pfkey_supported)
                .ok_or(Errno::ENOSYS)?;
            info.calg = Some(XfrmAlgo { name: a.name.to_owned(), key_len: 0, key: Vec::new() });
        } else {
            let a = xfrm_ealg_get_byid(pfk.profile, sa.encrypt())
                .filter(|a| a.pfkey_supported)
                .ok_or(Errno::ENOSYS)?;
            let (bits, key) = match (&ekey, ext.key_bytes(SADB_EXT_KEY_ENCRYPT)) {
                (Some(k), Some(b)) => (u32::from(k.bits()), b.to_vec()),
                _ => (0, Vec::new()),
            };
            info.ealg = Some(XfrmAlgo { name: a.name.to_owned(), key_len: bits, key });
        }
    }
    if let Some(sa2) = ext.sa2() {
        info.mode = pfkey_mode_to_xfrm(sa2.mode()).ok_or(Errno::EINVAL)?;
        info.reqid = sa2.reqid();
    }
    let mut sel = XfrmSelector::default();
    if let Some((f, a, _)) = pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_PROXY) {
        sel.family = f;
        sel.saddr = a;
        sel.prefixlen_s = ext.address(SADB_EXT_ADDRESS_PROXY).map_or(0, |p| p.prefixlen());
    }
    if sel.family == 0 {
        sel.family = family;
    }
    info.sel = sel;
    if let Some(t) = ext.nat_t_type() {
        let mut natt =
            XfrmEncapTmpl { encap_type: u16::from(t.nat_t_type()), ..Default::default() };
        if let Some(p) = ext.nat_t_port(SADB_X_EXT_NAT_T_SPORT) {
            natt.encap_sport = p.port();
        }
        if let Some(p) = ext.nat_t_port(SADB_X_EXT_NAT_T_DPORT) {
            natt.encap_dport = p.port();
        }
        info.encap = Some(natt);
    }
    xfrm_init_state(pfk, &info)?;
    info.seq = hdr.seq;
    let x = Arc::new(XfrmState::new(info, pfk.now()));
    x.set_km_state(XfrmKmState::Valid);
    Ok(x)
}

/// What `pfkey_xfrm_policy2msg_size()` allocates beyond the wire bytes:
/// every transport template is sized with two sockaddrs of the policy's
/// family although none are written.
pub fn policy_alloc_extra(info: &XfrmPolicyInfo, family: u16) -> usize {
    let socklen = pfkey_sockaddr_len(family);
    info.tmpls.iter().filter(|t| t.mode != XFRM_MODE_TUNNEL).count() * 2 * socklen
}

/// `pfkey_xfrm_policy2msg(skb, xp, dir)`: SRC, DST, HARD, SOFT, CURRENT
/// and X_POLICY with one request per template; `sadb_msg_reserved` is
/// `refcnt`. Type, seq, pid and version are the caller's.
pub fn pfkey_xfrm_policy2msg(xp: &XfrmPolicy, dir: u8, refcnt: u16) -> KResult<SadbMessageRepr> {
    let info = xp.info();
    let family = xp.family();
    let sel = xp.selector();
    let mut exts = Vec::with_capacity(6);
    let src = pfkey_sockaddr_fill(&sel.saddr, sel.sport, family).ok_or(Errno::EINVAL)?;
    exts.push(address_ext(
        SADB_EXT_ADDRESS_SRC,
        pfkey_proto_from_xfrm(sel.proto),
        sel.prefixlen_s,
        src,
    ));
    let dst = pfkey_sockaddr_fill(&sel.daddr, sel.dport, family).ok_or(Errno::EINVAL)?;
    exts.push(address_ext(
        SADB_EXT_ADDRESS_DST,
        pfkey_proto_from_xfrm(sel.proto),
        sel.prefixlen_d,
        dst,
    ));
    let l = &info.lft;
    exts.push(lifetime_ext(
        SADB_EXT_LIFETIME_HARD,
        x2key(l.hard_packet_limit),
        x2key(l.hard_byte_limit),
        l.hard_add_expires_seconds,
        l.hard_use_expires_seconds,
    ));
    exts.push(lifetime_ext(
        SADB_EXT_LIFETIME_SOFT,
        x2key(l.soft_packet_limit),
        x2key(l.soft_byte_limit),
        l.soft_add_expires_seconds,
        l.soft_use_expires_seconds,
    ));
    let c = xp.curlft();
    exts.push(lifetime_ext(SADB_EXT_LIFETIME_CURRENT, c.packets, c.bytes, c.add_time, c.use_time));
    let policy_type = if info.action != XFRM_POLICY_ALLOW {
        IPSEC_POLICY_DISCARD
    } else if info.tmpls.is_empty() {
        IPSEC_POLICY_NONE
    } else {
        IPSEC_POLICY_IPSEC
    };
    let mut requests = Vec::with_capacity(info.tmpls.len());
    for t in &info.tmpls {
        let mode = pfkey_mode_from_xfrm(t.mode).ok_or(Errno::EINVAL)?;
        let level = if t.optional != 0 {
            IPSEC_LEVEL_USE
        } else if t.reqid != 0 {
            IPSEC_LEVEL_UNIQUE
        } else {
            IPSEC_LEVEL_REQUIRE
        };
        let addrs = if t.mode == XFRM_MODE_TUNNEL {
            let s = pfkey_sockaddr_fill(&t.saddr, 0, t.encap_family).ok_or(Errno::EINVAL)?;
            let d = pfkey_sockaddr_fill(&t.id.daddr, 0, t.encap_family).ok_or(Errno::EINVAL)?;
            IpsecRequestAddrs::Pair(s, d)
        } else {
            IpsecRequestAddrs::None
        };
        requests.push(SadbXIpsecrequestRepr {
            proto: u16::from(t.id.proto),
            mode,
            level,
            reqid: t.reqid,
            addrs,
            ..Default::default()
        });
    }
    exts.push(SadbExtRepr::Policy(SadbXPolicyRepr {
        policy_type,
        dir: dir.wrapping_add(1),
        reserved: 0,
        id: xp.index(),
        priority: info.priority,
        requests,
    }));
    let header = SadbMsgRepr { version: PF_KEY_V2, reserved: refcnt, ..Default::default() };
    Ok(SadbMessageRepr { header, exts })
}

/// `xfrm_id_proto_valid()`: AH, ESP, IPComp, and the IPv6 routing and
/// destination-options headers.
const fn xfrm_id_proto_valid(proto: u16) -> bool {
    matches!(
        proto as u8,
        IPPROTO_AH | IPPROTO_ESP | IPPROTO_COMP | IPPROTO_ROUTING | IPPROTO_DSTOPTS
    ) && proto <= 255
}

/// `gen_reqid()`: the next automatic reqid above `IPSEC_MANUAL_REQID_MAX`
/// that no MAIN policy's template of `net` uses (one counter for the whole
/// kernel); 0 when every value is taken.
pub fn gen_reqid(pfk: &PfKeyInner, net: &Net) -> u32 {
    let start = pfk.reqid.load(Ordering::Acquire);
    let mut reqid = start;
    loop {
        reqid = reqid.wrapping_add(1);
        if reqid == 0 {
            reqid = IPSEC_MANUAL_REQID_MAX + 1;
        }
        let mut walk = XfrmPolicyWalk::new(XFRM_POLICY_TYPE_MAIN);
        let rc = net.xfrm.policy.xfrm_policy_walk(&mut walk, |xp, _, _| {
            if xp.info().tmpls.iter().any(|t| t.reqid == reqid) {
                Err(Errno::EEXIST)
            } else {
                Ok(())
            }
        });
        net.xfrm.policy.xfrm_policy_walk_done(&mut walk);
        if rc != Err(Errno::EEXIST) {
            pfk.reqid.store(reqid, Ordering::Release);
            return reqid;
        }
        if reqid == start {
            pfk.reqid.store(reqid, Ordering::Release);
            return 0;
        }
    }
}

/// `parse_ipsecrequest()` for one request (`rq` is its whole
/// `sadb_x_ipsecrequest_len` bytes).
fn parse_ipsecrequest(
    pfk: &PfKeyInner,
    net: &Net,
    info: &mut XfrmPolicyInfo,
    family: u16,
    pol_dir: u8,
    rq: &[u8],
) -> KResult<()> {
    if info.tmpls.len() >= XFRM_MAX_DEPTH {
        return Err(Errno::ELOOP);
    }
    let rq_proto = u16::from_le_bytes([rq[2], rq[3]]);
    let rq_mode = rq[4];
    let rq_level = rq[5];
    let rq_reqid = u32::from_le_bytes([rq[8], rq[9], rq[10], rq[11]]);
    if rq_mode == 0 {
        return Err(Errno::EINVAL);
    }
    if !xfrm_id_proto_valid(rq_proto) {
        return Err(Errno::EINVAL);
    }
    let mut t = XfrmTmpl::default();
    t.id.proto = rq_proto as u8;
    let mode = pfkey_mode_to_xfrm(rq_mode).ok_or(Errno::EINVAL)?;
    t.mode = mode;
    if rq_level == IPSEC_LEVEL_USE {
        if (mode == XFRM_MODE_TUNNEL || mode == XFRM_MODE_BEET) && pol_dir == IPSEC_DIR_OUTBOUND {
            return Err(Errno::EINVAL);
        }
        t.optional = 1;
    } else if rq_level == IPSEC_LEVEL_UNIQUE {
        t.reqid = rq_reqid;
        if t.reqid > IPSEC_MANUAL_REQID_MAX {
            t.reqid = 0;
        }
        if t.reqid == 0 {
            t.reqid = gen_reqid(pfk, net);
            if t.reqid == 0 {
                return Err(Errno::ENOBUFS);
            }
        }
    }
    if t.mode == XFRM_MODE_TUNNEL {
        let (s, d) = parse_sockaddr_pair(rq.get(16..).unwrap_or_default())?;
        t.saddr = XfrmAddress(s.xfrm_address());
        t.id.daddr = XfrmAddress(d.xfrm_address());
        t.encap_family = s.family();
    } else {
        t.encap_family = family;
    }
    // KAME's PF_KEY has no way to restrict the algorithms.
    t.aalgos = !0;
    t.ealgos = !0;
    t.calgos = !0;
    info.tmpls.push(t);
    Ok(())
}

/// `parse_ipsecrequests(xp, pol)`: the requests inside an X_POLICY
/// extension (`pol` is its `sadb_x_policy_len × 8` bytes).
pub fn parse_ipsecrequests(
    pfk: &PfKeyInner,
    net: &Net,
    info: &mut XfrmPolicyInfo,
    family: u16,
    pol: &[u8],
) -> KResult<()> {
    if pol.len() < 16 {
        return Err(Errno::EINVAL);
    }
    let dir = pol[6];
    let mut rest = &pol[16..];
    while rest.len() >= 16 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        if rest.len() < len || len < 16 {
            return Err(Errno::EINVAL);
        }
        parse_ipsecrequest(pfk, net, info, family, dir, &rest[..len])?;
        rest = &rest[len..];
    }
    Ok(())
}

/// The selector of SPDADD/SPDDELETE from ADDRESS_SRC/DST: addresses,
/// prefixes, ports (full mask when non-zero) and the protocol, which DST's
/// `sadb_address_proto` decides.
pub fn pfkey_selector(ext: &ExtHdrs<'_>) -> KResult<XfrmSelector> {
    let mut sel = XfrmSelector::default();
    let (family, saddr, sport) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_SRC).ok_or(Errno::EINVAL)?;
    let sa = ext.address(SADB_EXT_ADDRESS_SRC).ok_or(Errno::EINVAL)?;
    sel.family = family;
    sel.saddr = saddr;
    sel.prefixlen_s = sa.prefixlen();
    sel.proto = pfkey_proto_to_xfrm(sa.proto());
    sel.sport = sport;
    if sport != 0 {
        sel.sport_mask = 0xffff;
    }
    let (_, daddr, dport) =
        pfkey_sadb_addr2xfrm_addr(ext, SADB_EXT_ADDRESS_DST).ok_or(Errno::EINVAL)?;
    let da = ext.address(SADB_EXT_ADDRESS_DST).ok_or(Errno::EINVAL)?;
    sel.daddr = daddr;
    sel.prefixlen_d = da.prefixlen();
    sel.proto = pfkey_proto_to_xfrm(da.proto());
    sel.dport = dport;
    if dport != 0 {
        sel.dport_mask = 0xffff;
    }
    Ok(sel)
}

/// The policy action of an `IPSEC_POLICY_*` type.
pub const fn policy_action(policy_type: u16) -> u8 {
    if policy_type == IPSEC_POLICY_DISCARD { XFRM_POLICY_BLOCK } else { XFRM_POLICY_ALLOW }
}
