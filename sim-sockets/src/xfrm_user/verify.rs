//! The validation rules of `net/xfrm/xfrm_user.c` (and `verify_spi_info`
//! of `net/xfrm/xfrm_state.c`) as pure functions over parsed structures
//! and attributes, with the errno and extended-ACK text of Linux 6.18.
//!
//! [`xfrm_user_rcv_msg_precheck`] is the front half of `xfrm_user_rcv_msg`
//! (type range, capability, dump dispatch, `nlmsg_parse_deprecated`,
//! `xfrm_reject_unused_attr`, missing handler) and [`validate_request`] runs
//! the checks each handler makes before it touches the SAD or SPD.

use sim_core::Errno;

use super::attr::{
    ExtAckError, ParsedAttrs, XfrmAttrs, nla_parse_deprecated, nlmsg_parse_deprecated,
};
use super::uapi::*;
use super::wire::{
    FixedRepr, XfrmAddressFilter, XfrmAlgoAeadPacket, XfrmAlgoAuthPacket, XfrmAlgoPacket,
    XfrmReplayState, XfrmReplayStateEsnPacket, XfrmUserAcquire, XfrmUserPolexpire,
    XfrmUserSecCtxPacket, XfrmUserTmpl, XfrmUserpolicyId, XfrmUserpolicyInfo, XfrmUserpolicyType,
    XfrmUsersaId, XfrmUsersaInfo, XfrmUserspiInfo, XfrmuSpdhthresh, aead_len, parse_user_tmpls,
    xfrm_alg_auth_len, xfrm_alg_len, xfrm_replay_state_esn_len,
};

/// What a verifier returns: nothing, or the errno and extended-ACK text.
pub type VerifyResult = Result<(), (Errno, Option<&'static str>)>;

/// `NLM_F_REPLACE` (NEW requests).
pub const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

/// Kernel configuration the verifiers depend on (the 6.18 host's values).
pub const CONFIG_XFRM_SUB_POLICY: bool = true;

const fn einval(msg: &'static str) -> VerifyResult {
    Err((Errno::EINVAL, Some(msg)))
}

/// `verify_one_alg`: an `XFRMA_ALG_AUTH`/`_CRYPT`/`_COMP` attribute must
/// hold its whole key.
pub fn verify_one_alg(attrs: &XfrmAttrs<'_>, nla_type: u16) -> VerifyResult {
    let Some(p) = attrs.payload(nla_type) else { return Ok(()) };
    let ok = XfrmAlgoPacket::new_checked(p)
        .map(|a| p.len() >= xfrm_alg_len(a.alg_key_len()))
        .unwrap_or(false);
    if !ok {
        return einval("Invalid AUTH/CRYPT/COMP attribute length");
    }
    match nla_type {
        XFRMA_ALG_AUTH | XFRMA_ALG_CRYPT | XFRMA_ALG_COMP => Ok(()),
        _ => einval("Invalid algorithm attribute type"),
    }
}

/// `verify_auth_trunc`: `XFRMA_ALG_AUTH_TRUNC` must hold its whole key.
pub fn verify_auth_trunc(attrs: &XfrmAttrs<'_>) -> VerifyResult {
    let Some(p) = attrs.payload(XFRMA_ALG_AUTH_TRUNC) else { return Ok(()) };
    let ok = XfrmAlgoAuthPacket::new_checked(p)
        .map(|a| p.len() >= xfrm_alg_auth_len(a.alg_key_len()))
        .unwrap_or(false);
    if ok { Ok(()) } else { einval("Invalid AUTH_TRUNC attribute length") }
}

/// `verify_aead`: `XFRMA_ALG_AEAD` must hold its whole key.
pub fn verify_aead(attrs: &XfrmAttrs<'_>) -> VerifyResult {
    let Some(p) = attrs.payload(XFRMA_ALG_AEAD) else { return Ok(()) };
    let ok = XfrmAlgoAeadPacket::new_checked(p)
        .map(|a| p.len() >= aead_len(a.alg_key_len()))
        .unwrap_or(false);
    if ok { Ok(()) } else { einval("Invalid AEAD attribute length") }
}

/// `verify_sec_ctx_len`: `uctx->len` must fit the attribute and equal
/// `sizeof(*uctx) + ctx_len`.
pub fn verify_sec_ctx_len(attrs: &XfrmAttrs<'_>) -> VerifyResult {
    let Some(p) = attrs.payload(XFRMA_SEC_CTX) else { return Ok(()) };
    let ok = XfrmUserSecCtxPacket::new_checked(p)
        .map(|u| {
            let len = u.len() as usize;
            len <= p.len() && len == 8 + u.ctx_len() as usize
        })
        .unwrap_or(false);
    if ok { Ok(()) } else { einval("Invalid security context length") }
}

/// `verify_replay`: the ESN replay attribute against the SA and its
/// direction (`sa_dir` = `XFRMA_SA_DIR`, 0 if absent).
pub fn verify_replay(p: &XfrmUsersaInfo, attrs: &XfrmAttrs<'_>, sa_dir: u8) -> VerifyResult {
    let Some(rt) = attrs.payload(XFRMA_REPLAY_ESN_VAL) else {
        if p.flags & XFRM_STATE_ESN != 0 {
            return einval("Missing required attribute for ESN");
        }
        return Ok(());
    };
    let Ok(rs) = XfrmReplayStateEsnPacket::new_checked(rt) else {
        return einval("ESN attribute is too short to fit the full bitmap length");
    };
    if rs.bmp_len() > XFRMA_REPLAY_ESN_MAX / 4 / 8 {
        return einval("ESN bitmap length must be <= 128");
    }
    if rt.len() < xfrm_replay_state_esn_len(rs.bmp_len()) && rt.len() != 24 {
        return einval("ESN attribute is too short to fit the full bitmap length");
    }
    if p.id.proto != IPPROTO_ESP && p.id.proto != IPPROTO_AH {
        return einval("ESN only supported for ESP and AH");
    }
    if p.replay_window != 0 {
        return einval("ESN not compatible with legacy replay_window");
    }
    let esn = p.flags & XFRM_STATE_ESN != 0;
    if sa_dir == XFRM_SA_DIR_OUT {
        if rs.replay_window() != 0 {
            return einval("Replay window should be 0 for output SA");
        }
        if rs.seq() != 0 || rs.seq_hi() != 0 {
            return einval("Replay seq and seq_hi should be 0 for output SA");
        }
        if !esn {
            if rs.oseq_hi() != 0 {
                return einval("Replay oseq_hi should be 0 in non-ESN mode for output SA");
            }
            if rs.oseq() == u32::MAX {
                return einval(
                    "Replay oseq should be less than 0xFFFFFFFF in non-ESN mode for output SA",
                );
            }
        } else if rs.oseq() == u32::MAX && rs.oseq_hi() == u32::MAX {
            return einval("Replay oseq and oseq_hi should be less than 0xFFFFFFFF for output SA");
        }
        if rs.bmp_len() != 0 {
            return einval("Replay bmp_len should 0 for output SA");
        }
    }
    if sa_dir == XFRM_SA_DIR_IN {
        if rs.oseq() != 0 || rs.oseq_hi() != 0 {
            return einval("Replay oseq and oseq_hi should be 0 for input SA");
        }
        if !esn {
            if rs.seq_hi() != 0 {
                return einval("Replay seq_hi should be 0 in non-ESN mode for input SA");
            }
            if rs.seq() == u32::MAX {
                return einval(
                    "Replay seq should be less than 0xFFFFFFFF in non-ESN mode for input SA",
                );
            }
        } else if rs.seq() == u32::MAX && rs.seq_hi() == u32::MAX {
            return einval("Replay seq and seq_hi should be less than 0xFFFFFFFF for input SA");
        }
    }
    Ok(())
}

fn any(attrs: &XfrmAttrs<'_>, types: &[u16]) -> bool {
    types.iter().any(|&t| attrs.has(t))
}

const IPTFS_ATTRS: [u16; 6] = [
    XFRMA_IPTFS_DROP_TIME,
    XFRMA_IPTFS_REORDER_WINDOW,
    XFRMA_IPTFS_DONT_FRAG,
    XFRMA_IPTFS_INIT_DELAY,
    XFRMA_IPTFS_MAX_QSIZE,
    XFRMA_IPTFS_PKT_SIZE,
];

/// `verify_newsa_info`: NEWSA/UPDSA checks, in the kernel's order.
pub fn verify_newsa_info(p: &XfrmUsersaInfo, attrs: &XfrmAttrs<'_>) -> VerifyResult {
    let sa_dir = attrs.u8(XFRMA_SA_DIR).unwrap_or(0);
    match p.family {
        AF_INET | AF_INET6 => {}
        _ => return einval("Invalid address family"),
    }
    let mut family = p.sel.family;
    if family == 0 && p.flags & XFRM_STATE_AF_UNSPEC == 0 {
        family = p.family;
    }
    match family {
        AF_UNSPEC => {}
        AF_INET => {
            if p.sel.prefixlen_d > 32 || p.sel.prefixlen_s > 32 {
                return einval("Invalid prefix length in selector (must be <= 32 for IPv4)");
            }
        }
        AF_INET6 => {
            if p.sel.prefixlen_d > 128 || p.sel.prefixlen_s > 128 {
                return einval("Invalid prefix length in selector (must be <= 128 for IPv6)");
            }
        }
        _ => return einval("Invalid address family in selector"),
    }
    match p.id.proto {
        IPPROTO_AH => {
            if !attrs.has(XFRMA_ALG_AUTH) && !attrs.has(XFRMA_ALG_AUTH_TRUNC) {
                return einval("Missing required attribute for AH: AUTH_TRUNC or AUTH");
            }
            if any(attrs, &[XFRMA_ALG_AEAD, XFRMA_ALG_CRYPT, XFRMA_ALG_COMP, XFRMA_TFCPAD]) {
                return einval("Invalid attributes for AH: AEAD, CRYPT, COMP, TFCPAD");
            }
        }
        IPPROTO_ESP => {
            if attrs.has(XFRMA_ALG_COMP) {
                return einval("Invalid attribute for ESP: COMP");
            }
            if !any(attrs, &[XFRMA_ALG_AUTH, XFRMA_ALG_AUTH_TRUNC, XFRMA_ALG_CRYPT, XFRMA_ALG_AEAD])
            {
                return einval(
                    "Missing required attribute for ESP: at least one of AUTH, AUTH_TRUNC, CRYPT, AEAD",
                );
            }
            if any(attrs, &[XFRMA_ALG_AUTH, XFRMA_ALG_AUTH_TRUNC, XFRMA_ALG_CRYPT])
                && attrs.has(XFRMA_ALG_AEAD)
            {
                return einval(
                    "Invalid attribute combination for ESP: AEAD can't be used with AUTH, AUTH_TRUNC, CRYPT",
                );
            }
            if attrs.has(XFRMA_TFCPAD) && p.mode != XFRM_MODE_TUNNEL {
                return einval("TFC padding can only be used in tunnel mode");
            }
            if any(attrs, &IPTFS_ATTRS) && p.mode != XFRM_MODE_IPTFS {
                return einval("IP-TFS options can only be used in IP-TFS mode");
            }
        }
        IPPROTO_COMP => {
            if !attrs.has(XFRMA_ALG_COMP) {
                return einval("Missing required attribute for COMP: COMP");
            }
            if any(
                attrs,
                &[
                    XFRMA_ALG_AEAD,
                    XFRMA_ALG_AUTH,
                    XFRMA_ALG_AUTH_TRUNC,
                    XFRMA_ALG_CRYPT,
                    XFRMA_TFCPAD,
                ],
            ) {
                return einval(
                    "Invalid attributes for COMP: AEAD, AUTH, AUTH_TRUNC, CRYPT, TFCPAD",
                );
            }
            if p.id.spi >= 0x10000 {
                return einval("SPI is too large for COMP (must be < 0x10000)");
            }
        }
        IPPROTO_DSTOPTS | IPPROTO_ROUTING => {
            if any(
                attrs,
                &[
                    XFRMA_ALG_COMP,
                    XFRMA_ALG_AUTH,
                    XFRMA_ALG_AUTH_TRUNC,
                    XFRMA_ALG_AEAD,
                    XFRMA_ALG_CRYPT,
                    XFRMA_ENCAP,
                    XFRMA_SEC_CTX,
                    XFRMA_TFCPAD,
                ],
            ) {
                return einval("Invalid attributes for DSTOPTS/ROUTING");
            }
            if !attrs.has(XFRMA_COADDR) {
                return einval("Missing required COADDR attribute for DSTOPTS/ROUTING");
            }
        }
        _ => return einval("Unsupported protocol"),
    }
    verify_aead(attrs)?;
    verify_auth_trunc(attrs)?;
    verify_one_alg(attrs, XFRMA_ALG_AUTH)?;
    verify_one_alg(attrs, XFRMA_ALG_CRYPT)?;
    verify_one_alg(attrs, XFRMA_ALG_COMP)?;
    verify_sec_ctx_len(attrs)?;
    verify_replay(p, attrs, sa_dir)?;
    match p.mode {
        XFRM_MODE_TRANSPORT | XFRM_MODE_TUNNEL | XFRM_MODE_ROUTEOPTIMIZATION | XFRM_MODE_BEET => {}
        XFRM_MODE_IPTFS => {
            if p.id.proto != IPPROTO_ESP {
                return einval("IP-TFS mode only supported with ESP");
            }
            if sa_dir == 0 {
                return einval("IP-TFS mode requires in or out direction attribute");
            }
        }
        _ => return einval("Unsupported mode"),
    }
    if attrs.has(XFRMA_MTIMER_THRESH) {
        if !attrs.has(XFRMA_ENCAP) {
            return einval("MTIMER_THRESH attribute can only be set on ENCAP states");
        }
        if sa_dir == XFRM_SA_DIR_OUT {
            return einval("MTIMER_THRESH attribute should not be set on output SA");
        }
    }
    if sa_dir == XFRM_SA_DIR_OUT {
        if p.flags & XFRM_STATE_DECAP_DSCP != 0 {
            return einval("Flag DECAP_DSCP should not be set for output SA");
        }
        if p.flags & XFRM_STATE_ICMP != 0 {
            return einval("Flag ICMP should not be set for output SA");
        }
        if p.flags & XFRM_STATE_WILDRECV != 0 {
            return einval("Flag WILDRECV should not be set for output SA");
        }
        if p.replay_window != 0 {
            return einval("Replay window should be 0 for output SA");
        }
        if attrs.has(XFRMA_IPTFS_DROP_TIME) {
            return einval("IP-TFS drop time should not be set for output SA");
        }
        if attrs.has(XFRMA_IPTFS_REORDER_WINDOW) {
            return einval("IP-TFS reorder window should not be set for output SA");
        }
        if let Some(rp) = attrs.payload(XFRMA_REPLAY_VAL) {
            // The policy guarantees 12 bytes.
            let replay = XfrmReplayState::read_at(rp, 0);
            if replay.seq != 0 || replay.bitmap != 0 {
                return einval("Replay seq and bitmap should be 0 for output SA");
            }
        }
    }
    if sa_dir == XFRM_SA_DIR_IN {
        if p.flags & XFRM_STATE_NOPMTUDISC != 0 {
            return einval("Flag NOPMTUDISC should not be set for input SA");
        }
        if let Some(xflags) = attrs.u32(XFRMA_SA_EXTRA_FLAGS) {
            if xflags & XFRM_SA_XFLAG_DONT_ENCAP_DSCP != 0 {
                return einval("Flag DONT_ENCAP_DSCP should not be set for input SA");
            }
            if xflags & XFRM_SA_XFLAG_OSEQ_MAY_WRAP != 0 {
                return einval("Flag OSEQ_MAY_WRAP should not be set for input SA");
            }
        }
        if attrs.has(XFRMA_IPTFS_DONT_FRAG) {
            return einval("IP-TFS don't fragment should not be set for input SA");
        }
        if attrs.has(XFRMA_IPTFS_INIT_DELAY) {
            return einval("IP-TFS initial delay should not be set for input SA");
        }
        if attrs.has(XFRMA_IPTFS_MAX_QSIZE) {
            return einval("IP-TFS max queue size should not be set for input SA");
        }
        if attrs.has(XFRMA_IPTFS_PKT_SIZE) {
            return einval("IP-TFS packet size should not be set for input SA");
        }
    }
    if sa_dir == 0 && attrs.has(XFRMA_SA_PCPU) {
        return einval("SA_PCPU only supported with SA_DIR");
    }
    Ok(())
}

/// `verify_policy_dir`: IN, OUT or FWD.
pub fn verify_policy_dir(dir: u8) -> VerifyResult {
    match dir {
        XFRM_POLICY_IN | XFRM_POLICY_OUT | XFRM_POLICY_FWD => Ok(()),
        _ => einval("Invalid policy direction"),
    }
}

/// `verify_policy_type`: MAIN, or SUB with `CONFIG_XFRM_SUB_POLICY`.
pub fn verify_policy_type(policy_type: u8) -> VerifyResult {
    match policy_type {
        XFRM_POLICY_TYPE_MAIN => Ok(()),
        XFRM_POLICY_TYPE_SUB if CONFIG_XFRM_SUB_POLICY => Ok(()),
        _ => einval("Invalid policy type"),
    }
}

/// `copy_from_user_policy_type`: the type from `XFRMA_POLICY_TYPE`
/// (MAIN when absent), verified.
pub fn copy_from_user_policy_type(
    attrs: &XfrmAttrs<'_>,
) -> Result<u8, (Errno, Option<&'static str>)> {
    let ty = attrs
        .payload(XFRMA_POLICY_TYPE)
        .map(|p| XfrmUserpolicyType::read_at(p, 0).type_)
        .unwrap_or(XFRM_POLICY_TYPE_MAIN);
    verify_policy_type(ty)?;
    Ok(ty)
}

/// `xfrm_policy_id2dir`: the direction encoded in a policy index.
pub const fn xfrm_policy_id2dir(index: u32) -> u8 {
    (index & 7) as u8
}

/// `verify_newpolicy_info`: NEWPOLICY/UPDPOLICY/ACQUIRE policy checks.
pub fn verify_newpolicy_info(p: &XfrmUserpolicyInfo) -> VerifyResult {
    match p.share {
        XFRM_SHARE_ANY | XFRM_SHARE_SESSION | XFRM_SHARE_USER | XFRM_SHARE_UNIQUE => {}
        _ => return einval("Invalid policy share"),
    }
    match p.action {
        XFRM_POLICY_ALLOW | XFRM_POLICY_BLOCK => {}
        _ => return einval("Invalid policy action"),
    }
    match p.sel.family {
        AF_INET => {
            if p.sel.prefixlen_d > 32 || p.sel.prefixlen_s > 32 {
                return einval("Invalid prefix length in selector (must be <= 32 for IPv4)");
            }
        }
        AF_INET6 => {
            if p.sel.prefixlen_d > 128 || p.sel.prefixlen_s > 128 {
                return einval("Invalid prefix length in selector (must be <= 128 for IPv6)");
            }
        }
        _ => return einval("Invalid selector family"),
    }
    verify_policy_dir(p.dir)?;
    if p.index != 0 && xfrm_policy_id2dir(p.index) != p.dir {
        return einval("Policy index doesn't match direction");
    }
    Ok(())
}

/// `xfrm_id_proto_valid`: AH, ESP, COMP, and the IPv6 ROUTING/DSTOPTS.
pub const fn xfrm_id_proto_valid(proto: u8) -> bool {
    matches!(proto, IPPROTO_AH | IPPROTO_ESP | IPPROTO_COMP | IPPROTO_ROUTING | IPPROTO_DSTOPTS)
}

/// `xfrm_id_proto_match(proto, userproto)`.
pub const fn xfrm_id_proto_match(proto: u8, userproto: u8) -> bool {
    userproto == 0
        || (userproto == IPSEC_PROTO_ANY
            && matches!(proto, IPPROTO_AH | IPPROTO_ESP | IPPROTO_COMP))
        || proto == userproto
}

/// `validate_tmpl`: the templates of a policy with selector family
/// `family` and direction `dir`. Like the kernel it rewrites a template
/// family of 0 to the policy's.
pub fn validate_tmpl(ut: &mut [XfrmUserTmpl], family: u16, dir: u8) -> VerifyResult {
    if ut.len() > XFRM_MAX_DEPTH {
        return einval("Template count must be <= XFRM_MAX_DEPTH (6)");
    }
    let mut prev_family = family;
    for t in ut.iter_mut() {
        if t.family == 0 {
            t.family = family;
        }
        match t.mode {
            XFRM_MODE_TUNNEL | XFRM_MODE_BEET => {
                if t.optional != 0 && dir == XFRM_POLICY_OUT {
                    return einval("Mode in optional template not allowed in outbound policy");
                }
            }
            XFRM_MODE_IPTFS => {}
            _ => {
                if t.family != prev_family {
                    return einval("Mode in template doesn't support a family change");
                }
            }
        }
        if t.mode >= XFRM_MODE_MAX {
            return einval("Mode in template must be < XFRM_MODE_MAX (6)");
        }
        prev_family = t.family;
        match t.family {
            AF_INET | AF_INET6 => {}
            _ => return einval("Invalid family in template"),
        }
        if !xfrm_id_proto_valid(t.id.proto) {
            return einval("Invalid XFRM protocol in template");
        }
    }
    Ok(())
}

/// `copy_from_user_tmpl` minus the copy: validates `XFRMA_TMPL` (if any)
/// and returns the templates with families filled in.
pub fn xfrm_user_tmpls(
    attrs: &XfrmAttrs<'_>,
    family: u16,
    dir: u8,
) -> Result<Vec<XfrmUserTmpl>, (Errno, Option<&'static str>)> {
    let Some(p) = attrs.payload(XFRMA_TMPL) else { return Ok(Vec::new()) };
    let mut ut = parse_user_tmpls(p);
    validate_tmpl(&mut ut, family, dir)?;
    Ok(ut)
}

/// `verify_spi_info` (`net/xfrm/xfrm_state.c`): ALLOCSPI range checks.
pub fn verify_spi_info(proto: u8, min: u32, max: u32) -> VerifyResult {
    match proto {
        IPPROTO_AH | IPPROTO_ESP => {}
        IPPROTO_COMP => {
            if max >= 0x10000 {
                return einval("IPCOMP SPI must be <= 65535");
            }
        }
        _ => return einval("Invalid protocol, must be one of AH, ESP, IPCOMP"),
    }
    if min > max {
        return einval("Invalid SPI range: min > max");
    }
    Ok(())
}

/// `verify_spi_info` applied to an ALLOCSPI request.
pub fn verify_userspi_info(p: &XfrmUserspiInfo) -> VerifyResult {
    verify_spi_info(p.info.id.proto, p.min, p.max)
}

/// `xfrm_reject_unused_attr`: `XFRMA_SA_DIR` only on NEWSA/UPDSA/ALLOCSPI,
/// `XFRMA_SA_PCPU` only on those and ACQUIRE.
pub fn xfrm_reject_unused_attr(nlmsg_type: u16, attrs: &XfrmAttrs<'_>) -> VerifyResult {
    if attrs.has(XFRMA_SA_DIR)
        && !matches!(nlmsg_type, XFRM_MSG_NEWSA | XFRM_MSG_UPDSA | XFRM_MSG_ALLOCSPI)
    {
        return einval("Invalid attribute SA_DIR");
    }
    if attrs.has(XFRMA_SA_PCPU)
        && !matches!(
            nlmsg_type,
            XFRM_MSG_NEWSA | XFRM_MSG_UPDSA | XFRM_MSG_ALLOCSPI | XFRM_MSG_ACQUIRE
        )
    {
        return einval("Invalid attribute SA_PCPU");
    }
    Ok(())
}

/// `xfrm_set_spdinfo`'s checks of the hash thresholds.
pub fn verify_spd_hthresh(attrs: &XfrmAttrs<'_>) -> VerifyResult {
    for (ty, max, short, big) in [
        (
            XFRMA_SPD_IPV4_HTHRESH,
            32,
            "Invalid SPD_IPV4_HTHRESH attribute length",
            "Invalid hash threshold (must be <= 32 for IPv4)",
        ),
        (
            XFRMA_SPD_IPV6_HTHRESH,
            128,
            "Invalid SPD_IPV6_HTHRESH attribute length",
            "Invalid hash threshold (must be <= 128 for IPv6)",
        ),
    ] {
        let Some(p) = attrs.payload(ty) else { continue };
        if p.len() < XfrmuSpdhthresh::SIZE {
            return einval(short);
        }
        let t = XfrmuSpdhthresh::read_at(p, 0);
        if t.lbits > max || t.rbits > max {
            return einval(big);
        }
    }
    Ok(())
}

/// `xfrm_new_ae`'s checks before the SA lookup.
pub fn verify_new_ae(nlmsg_flags: u16, attrs: &XfrmAttrs<'_>) -> VerifyResult {
    if !any(
        attrs,
        &[
            XFRMA_LTIME_VAL,
            XFRMA_REPLAY_VAL,
            XFRMA_REPLAY_ESN_VAL,
            XFRMA_ETIMER_THRESH,
            XFRMA_REPLAY_THRESH,
        ],
    ) {
        return einval("Missing required attribute for AE");
    }
    if nlmsg_flags & NLM_F_REPLACE == 0 {
        return einval("NLM_F_REPLACE flag is required");
    }
    Ok(())
}

/// `xfrm_do_migrate` / `copy_from_user_migrate` checks before
/// `xfrm_migrate`: the MIGRATE attribute, the policy type and 1..=6 entries.
pub fn verify_migrate(attrs: &XfrmAttrs<'_>) -> VerifyResult {
    let Some(p) = attrs.payload(XFRMA_MIGRATE) else {
        return einval("Missing required MIGRATE attribute");
    };
    copy_from_user_policy_type(attrs)?;
    let n = p.len() / super::wire::XfrmUserMigrate::SIZE;
    if n == 0 || n > XFRM_MAX_DEPTH {
        return einval("Invalid number of SAs to migrate, must be 0 < num <= XFRM_MAX_DEPTH (6)");
    }
    Ok(())
}

/// How `xfrm_user_rcv_msg` goes on with a message that passed the
/// generic checks.
#[derive(Debug, Clone, PartialEq, Eq)]
// The parsed request carries `attrs[]` by value, on the stack as the
// kernel's array is; boxing it would cost every request an allocation.
#[allow(clippy::large_enum_variant)]
pub enum XfrmRequest<'a> {
    /// GETSA/GETPOLICY with `NLM_F_DUMP`: start a dump (attributes are not
    /// parsed here).
    Dump {
        /// `XFRM_MSG_GETSA` or `XFRM_MSG_GETPOLICY`.
        nlmsg_type: u16,
    },
    /// Call the type's handler.
    Do(ParsedRequest<'a>),
}

/// A request ready for its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest<'a> {
    /// `nlmsg_type`.
    pub nlmsg_type: u16,
    /// `nlmsg_flags`.
    pub nlmsg_flags: u16,
    /// The fixed payload (`xfrm_msg_min[type]` bytes; longer messages keep
    /// everything up to the attributes).
    pub payload: &'a [u8],
    /// The attributes.
    pub attrs: XfrmAttrs<'a>,
    /// Warning left in the extended ACK by the parse.
    pub warning: Option<&'static str>,
}

/// The front half of `xfrm_user_rcv_msg` for one message (`msg` is
/// `nlmsg_len` bytes, header included; `capable` is
/// `netlink_net_capable(skb, CAP_NET_ADMIN)`):
/// type above `XFRM_MSG_MAX` → `EINVAL` (before the capability check);
/// no capability → `EPERM`; GETSA/GETPOLICY dumps are handed back;
/// otherwise `nlmsg_parse_deprecated` with `xfrm_msg_min[type]` and the
/// type's policy, `xfrm_reject_unused_attr`, and `EINVAL` for the types
/// without a handler (REPORT, NEWSADINFO, MAPPING).
pub fn xfrm_user_rcv_msg_precheck(
    msg: &[u8],
    capable: bool,
) -> Result<XfrmRequest<'_>, ExtAckError> {
    let hdr = super::wire::read_array::<16>(msg, 0);
    let nlmsg_type = u16::from_le_bytes([hdr[4], hdr[5]]);
    let nlmsg_flags = u16::from_le_bytes([hdr[6], hdr[7]]);
    // The netlink core never hands control types (< XFRM_MSG_BASE) over.
    let Some(min) = xfrm_msg_min(nlmsg_type) else {
        return Err(ExtAckError::new(Errno::EINVAL, None));
    };
    if !capable {
        return Err(ExtAckError::new(Errno::EPERM, None));
    }
    if matches!(nlmsg_type, XFRM_MSG_GETSA | XFRM_MSG_GETPOLICY) && nlmsg_flags & NLM_F_DUMP != 0 {
        return Ok(XfrmRequest::Dump { nlmsg_type });
    }
    let table = xfrm_nla_policy(nlmsg_type);
    let ParsedAttrs { attrs, warning } = nlmsg_parse_deprecated(msg, min, table)?;
    if !core::ptr::eq(table, &XFRMA_SPD_NLA_POLICY) {
        xfrm_reject_unused_attr(nlmsg_type, &attrs).map_err(ExtAckError::from)?;
    }
    if matches!(nlmsg_type, XFRM_MSG_REPORT | XFRM_MSG_NEWSADINFO | XFRM_MSG_MAPPING) {
        // No handler; the parse warning stays in the extended ACK.
        return Err(ExtAckError::new(Errno::EINVAL, warning));
    }
    let end = (16 + super::wire::align4(min)).min(msg.len());
    let payload = msg.get(16..end).unwrap_or_default();
    Ok(XfrmRequest::Do(ParsedRequest { nlmsg_type, nlmsg_flags, payload, attrs, warning }))
}

/// The checks a handler of `xfrm_dispatch[]` makes before it looks at the
/// SAD or SPD, in the kernel's order (see each `xfrm_*` handler). An error
/// without its own text keeps the parse warning, as the kernel's extended
/// ACK does. Checks that need state (lookups, algorithm names, LSM,
/// `num_possible_cpus`) are left to the handlers.
pub fn validate_request(req: &ParsedRequest<'_>) -> Result<(), ExtAckError> {
    let a = &req.attrs;
    let p = req.payload;
    let r: VerifyResult = match req.nlmsg_type {
        XFRM_MSG_NEWSA | XFRM_MSG_UPDSA => verify_newsa_info(&XfrmUsersaInfo::read_at(p, 0), a),
        XFRM_MSG_DELSA | XFRM_MSG_GETSA => {
            // xfrm_user_state_lookup: non-IPsec protocols are looked up by
            // address and need XFRMA_SRCADDR.
            let id = XfrmUsersaId::read_at(p, 0);
            if !xfrm_id_proto_match(id.proto, IPSEC_PROTO_ANY) && !a.has(XFRMA_SRCADDR) {
                Err((Errno::EINVAL, None))
            } else {
                Ok(())
            }
        }
        XFRM_MSG_NEWPOLICY | XFRM_MSG_UPDPOLICY => {
            let pol = XfrmUserpolicyInfo::read_at(p, 0);
            verify_newpolicy_info(&pol)
                .and_then(|()| verify_sec_ctx_len(a))
                .and_then(|()| copy_from_user_policy_type(a).map(drop))
                .and_then(|()| xfrm_user_tmpls(a, pol.sel.family, pol.dir).map(drop))
        }
        XFRM_MSG_DELPOLICY | XFRM_MSG_GETPOLICY => {
            let id = XfrmUserpolicyId::read_at(p, 0);
            copy_from_user_policy_type(a)
                .map(drop)
                .and_then(|()| verify_policy_dir(id.dir))
                .and_then(|()| if id.index == 0 { verify_sec_ctx_len(a) } else { Ok(()) })
        }
        XFRM_MSG_ALLOCSPI => verify_userspi_info(&XfrmUserspiInfo::read_at(p, 0)),
        XFRM_MSG_ACQUIRE => {
            let ua = XfrmUserAcquire::read_at(p, 0);
            verify_newpolicy_info(&ua.policy)
                .and_then(|()| verify_sec_ctx_len(a))
                .and_then(|()| copy_from_user_policy_type(a).map(drop))
                .and_then(|()| xfrm_user_tmpls(a, ua.policy.sel.family, ua.policy.dir).map(drop))
        }
        XFRM_MSG_POLEXPIRE => {
            let up = XfrmUserPolexpire::read_at(p, 0);
            copy_from_user_policy_type(a)
                .map(drop)
                .and_then(|()| verify_policy_dir(up.pol.dir))
                .and_then(|()| if up.pol.index == 0 { verify_sec_ctx_len(a) } else { Ok(()) })
        }
        XFRM_MSG_FLUSHPOLICY => copy_from_user_policy_type(a).map(drop),
        XFRM_MSG_NEWAE => verify_new_ae(req.nlmsg_flags, a),
        XFRM_MSG_MIGRATE => verify_migrate(a),
        XFRM_MSG_NEWSPDINFO => verify_spd_hthresh(a),
        _ => Ok(()),
    };
    r.map_err(|(errno, msg)| ExtAckError::new(errno, msg.or(req.warning)))
}

/// The first `xfrm_dump_sa` call's parse of a GETSA dump request:
/// attributes right after the `nlmsghdr` (header length 0), the address
/// filter (prefix lengths above 128 → `EINVAL`) and the protocol filter.
pub fn xfrm_dump_sa_filter(msg: &[u8]) -> Result<(Option<XfrmAddressFilter>, u8), ExtAckError> {
    let ParsedAttrs { attrs, .. } = nlmsg_parse_deprecated(msg, 0, &XFRMA_NLA_POLICY)?;
    let filter = match attrs.payload(XFRMA_ADDRESS_FILTER) {
        Some(p) => {
            let f = XfrmAddressFilter::read_at(p, 0);
            if f.splen > 128 || f.dplen > 128 {
                return Err(ExtAckError::new(Errno::EINVAL, None));
            }
            Some(f)
        }
        None => None,
    };
    Ok((filter, attrs.u8(XFRMA_PROTO).unwrap_or(0)))
}

/// Parses an attribute stream that starts `data_offset` bytes into its
/// message against `xfrma_policy` (for nested payloads such as a dump's
/// records).
pub fn xfrm_parse_attrs(data: &[u8], data_offset: usize) -> Result<ParsedAttrs<'_>, ExtAckError> {
    nla_parse_deprecated(data, data_offset, &XFRMA_NLA_POLICY)
}
