//! Wire ↔ core conversions of xfrm_user.c: `copy_from_user_*` (request
//! structures into the XFRM layer's values) and `copy_to_user_*` (objects
//! into `include/uapi/linux/xfrm.h` layouts).

use sim_core::xfrm::policy::XFRM_SHARE_ANY;
use sim_core::xfrm::spd::XfrmPolicy;
use sim_core::xfrm::state::XfrmStateMut;
use sim_core::xfrm::{self as core_x, XfrmAddress, XfrmMark, XfrmPolicyInfo, XfrmState, XfrmTmpl};

use super::attr::XfrmAttrs;
use super::uapi::*;
use super::wire::{self, FixedRepr};

/// An `xfrm_address_t` as the core's address type.
pub fn addr_from(a: &wire::XfrmAddress) -> XfrmAddress {
    XfrmAddress::from_bytes(*a)
}

/// `memcpy(&k->sel, &u->sel)`: a wire selector as the core's.
pub fn sel_from_user(s: &wire::XfrmSelector) -> core_x::XfrmSelector {
    core_x::XfrmSelector {
        daddr: addr_from(&s.daddr),
        saddr: addr_from(&s.saddr),
        dport: s.dport,
        dport_mask: s.dport_mask,
        sport: s.sport,
        sport_mask: s.sport_mask,
        family: s.family,
        prefixlen_d: s.prefixlen_d,
        prefixlen_s: s.prefixlen_s,
        proto: s.proto,
        ifindex: s.ifindex,
        user: s.user,
    }
}

/// `memcpy(&u->sel, &k->sel)`.
pub fn sel_to_user(s: &core_x::XfrmSelector) -> wire::XfrmSelector {
    wire::XfrmSelector {
        daddr: *s.daddr.as_bytes(),
        saddr: *s.saddr.as_bytes(),
        dport: s.dport,
        dport_mask: s.dport_mask,
        sport: s.sport,
        sport_mask: s.sport_mask,
        family: s.family,
        prefixlen_d: s.prefixlen_d,
        prefixlen_s: s.prefixlen_s,
        proto: s.proto,
        ifindex: s.ifindex,
        user: s.user,
    }
}

/// `struct xfrm_lifetime_cfg` from the wire.
pub fn lft_from_user(l: &wire::XfrmLifetimeCfg) -> core_x::XfrmLifetimeCfg {
    core_x::XfrmLifetimeCfg {
        soft_byte_limit: l.soft_byte_limit,
        hard_byte_limit: l.hard_byte_limit,
        soft_packet_limit: l.soft_packet_limit,
        hard_packet_limit: l.hard_packet_limit,
        soft_add_expires_seconds: l.soft_add_expires_seconds,
        hard_add_expires_seconds: l.hard_add_expires_seconds,
        soft_use_expires_seconds: l.soft_use_expires_seconds,
        hard_use_expires_seconds: l.hard_use_expires_seconds,
    }
}

/// `struct xfrm_lifetime_cfg` to the wire.
pub fn lft_to_user(l: &core_x::XfrmLifetimeCfg) -> wire::XfrmLifetimeCfg {
    wire::XfrmLifetimeCfg {
        soft_byte_limit: l.soft_byte_limit,
        hard_byte_limit: l.hard_byte_limit,
        soft_packet_limit: l.soft_packet_limit,
        hard_packet_limit: l.hard_packet_limit,
        soft_add_expires_seconds: l.soft_add_expires_seconds,
        hard_add_expires_seconds: l.hard_add_expires_seconds,
        soft_use_expires_seconds: l.soft_use_expires_seconds,
        hard_use_expires_seconds: l.hard_use_expires_seconds,
    }
}

/// `struct xfrm_lifetime_cur` to the wire.
pub fn curlft_to_user(c: &core_x::XfrmLifetimeCur) -> wire::XfrmLifetimeCur {
    wire::XfrmLifetimeCur {
        bytes: c.bytes,
        packets: c.packets,
        add_time: c.add_time,
        use_time: c.use_time,
    }
}

/// `struct xfrm_lifetime_cur` from the wire (`XFRMA_LTIME_VAL`).
pub fn curlft_from_user(c: &wire::XfrmLifetimeCur) -> core_x::XfrmLifetimeCur {
    core_x::XfrmLifetimeCur {
        bytes: c.bytes,
        packets: c.packets,
        add_time: c.add_time,
        use_time: c.use_time,
    }
}

/// `xfrm_mark_get(attrs, &m)`: the `XFRMA_MARK` pair (absent: 0/0) and the
/// lookup value `v & m`.
pub fn xfrm_mark_get(attrs: &XfrmAttrs<'_>) -> (XfrmMark, u32) {
    match attrs.payload(XFRMA_MARK) {
        Some(p) => {
            let m = wire::XfrmMark::read_at(p, 0);
            (XfrmMark::new(m.v, m.m), m.v & m.m)
        }
        None => (XfrmMark::default(), 0),
    }
}

/// `copy_templates`: user templates (already through `validate_tmpl`)
/// into `struct xfrm_tmpl`.
pub fn copy_templates(ut: &[wire::XfrmUserTmpl]) -> Vec<XfrmTmpl> {
    ut.iter()
        .map(|u| XfrmTmpl {
            id: core_x::XfrmId { daddr: addr_from(&u.id.daddr), spi: u.id.spi, proto: u.id.proto },
            saddr: addr_from(&u.saddr),
            encap_family: u.family,
            reqid: u.reqid,
            mode: u.mode,
            share: u.share,
            optional: u.optional,
            allalgs: u8::from(u.aalgos & u.ealgos & u.calgos == u32::MAX),
            aalgos: u.aalgos,
            ealgos: u.ealgos,
            calgos: u.calgos,
        })
        .collect()
}

/// `copy_to_user_tmpl`'s conversion of one template.
pub fn tmpl_to_user(t: &XfrmTmpl) -> wire::XfrmUserTmpl {
    wire::XfrmUserTmpl {
        id: wire::XfrmId { daddr: *t.id.daddr.as_bytes(), spi: t.id.spi, proto: t.id.proto },
        family: t.encap_family,
        saddr: *t.saddr.as_bytes(),
        reqid: t.reqid,
        mode: t.mode,
        share: t.share,
        optional: t.optional,
        aalgos: t.aalgos,
        ealgos: t.ealgos,
        calgos: t.calgos,
    }
}

/// `copy_from_user_policy`: the fixed part of a policy (`share` is
/// dropped, the family is the selector's).
pub fn copy_from_user_policy(p: &wire::XfrmUserpolicyInfo) -> XfrmPolicyInfo {
    XfrmPolicyInfo {
        sel: sel_from_user(&p.sel),
        lft: lft_from_user(&p.lft),
        priority: p.priority,
        index: p.index,
        dir: p.dir,
        action: p.action,
        flags: p.flags,
        ..Default::default()
    }
}

/// `copy_to_user_policy(xp, p, dir)`.
pub fn copy_to_user_policy(xp: &XfrmPolicy, dir: u8) -> wire::XfrmUserpolicyInfo {
    let i = xp.info();
    let mut sel = sel_to_user(&i.sel);
    sel.family = xp.family();
    wire::XfrmUserpolicyInfo {
        sel,
        lft: lft_to_user(&i.lft),
        curlft: curlft_to_user(&xp.curlft()),
        priority: i.priority,
        index: xp.index(),
        dir,
        action: i.action,
        flags: i.flags,
        share: XFRM_SHARE_ANY,
    }
}

/// `copy_to_user_state(x, p)`, read in place: `m` is the part under
/// `x->lock`, which the caller holds.
pub fn copy_to_user_state_locked(x: &XfrmState, m: &XfrmStateMut) -> wire::XfrmUsersaInfo {
    wire::XfrmUsersaInfo {
        sel: sel_to_user(&m.sel),
        id: wire::XfrmId { daddr: *x.daddr.as_bytes(), spi: x.spi(), proto: x.proto },
        saddr: *x.saddr.as_bytes(),
        lft: lft_to_user(&m.lft),
        curlft: curlft_to_user(&m.curlft),
        stats: wire::XfrmStats {
            replay_window: m.stats.replay_window,
            replay: m.stats.replay,
            integrity_failed: m.stats.integrity_failed,
        },
        seq: x.seq(),
        reqid: x.reqid,
        family: x.family,
        mode: x.mode,
        replay_window: x.replay_window,
        flags: x.flags,
    }
}

/// The `xfrm_usersa_id` of a state (DELSA notification header,
/// `xfrm_aevent_id.sa_id`).
pub fn usersa_id(x: &XfrmState) -> wire::XfrmUsersaId {
    wire::XfrmUsersaId {
        daddr: *x.daddr.as_bytes(),
        spi: x.spi(),
        family: x.family,
        proto: x.proto,
    }
}

/// `struct xfrm_algo` (`XFRMA_ALG_CRYPT`/`_COMP`) to the core value.
pub fn algo_from_user(a: &wire::XfrmAlgo, name: &str) -> core_x::XfrmAlgo {
    core_x::XfrmAlgo { name: name.to_owned(), key_len: a.alg_key_len, key: a.alg_key.clone() }
}

/// The NUL-terminated `alg_name` as text (the kernel forces the last byte
/// to NUL before looking it up).
pub fn alg_name(name: &[u8; 64]) -> &[u8] {
    let end = name.iter().take(63).position(|&b| b == 0).unwrap_or(63);
    name.get(..end).unwrap_or_default()
}

/// `struct xfrm_algo` bytes of a core algorithm (`xfrm_alg_len` long).
pub fn algo_to_user(a: &core_x::XfrmAlgo) -> Vec<u8> {
    wire::XfrmAlgo {
        alg_name: wire::alg_name_from(&a.name),
        alg_key_len: a.key_len,
        alg_key: a.key.clone(),
    }
    .to_bytes()
}

/// `struct xfrm_algo_auth` bytes (`XFRMA_ALG_AUTH_TRUNC`).
pub fn auth_to_user(a: &core_x::XfrmAlgoAuth) -> Vec<u8> {
    wire::XfrmAlgoAuth {
        alg_name: wire::alg_name_from(&a.name),
        alg_key_len: a.key_len,
        alg_trunc_len: a.trunc_len,
        alg_key: a.key.clone(),
    }
    .to_bytes()
}

/// `copy_to_user_auth`: the `struct xfrm_algo` form of an auth algorithm
/// (`XFRMA_ALG_AUTH`).
pub fn auth_to_user_legacy(a: &core_x::XfrmAlgoAuth) -> Vec<u8> {
    wire::XfrmAlgo {
        alg_name: wire::alg_name_from(&a.name),
        alg_key_len: a.key_len,
        alg_key: a.key.clone(),
    }
    .to_bytes()
}

/// `struct xfrm_algo_aead` bytes (`XFRMA_ALG_AEAD`).
pub fn aead_to_user(a: &core_x::XfrmAlgoAead) -> Vec<u8> {
    wire::XfrmAlgoAead {
        alg_name: wire::alg_name_from(&a.name),
        alg_key_len: a.key_len,
        alg_icv_len: a.icv_len,
        alg_key: a.key.clone(),
    }
    .to_bytes()
}

/// `struct xfrm_encap_tmpl` from/to the wire.
pub fn encap_from_user(e: &wire::XfrmEncapTmpl) -> core_x::XfrmEncapTmpl {
    core_x::XfrmEncapTmpl {
        encap_type: e.encap_type,
        encap_sport: e.encap_sport,
        encap_dport: e.encap_dport,
        encap_oa: addr_from(&e.encap_oa),
    }
}

/// `struct xfrm_encap_tmpl` to the wire.
pub fn encap_to_user(e: &core_x::XfrmEncapTmpl) -> wire::XfrmEncapTmpl {
    wire::XfrmEncapTmpl {
        encap_type: e.encap_type,
        encap_sport: e.encap_sport,
        encap_dport: e.encap_dport,
        encap_oa: *e.encap_oa.as_bytes(),
    }
}

/// `struct xfrm_replay_state` from/to the wire.
pub fn replay_to_user(r: &core_x::XfrmReplayState) -> wire::XfrmReplayState {
    wire::XfrmReplayState { oseq: r.oseq, seq: r.seq, bitmap: r.bitmap }
}

/// `struct xfrm_replay_state` from the wire.
pub fn replay_from_user(r: &wire::XfrmReplayState) -> core_x::XfrmReplayState {
    core_x::XfrmReplayState { oseq: r.oseq, seq: r.seq, bitmap: r.bitmap }
}

/// `struct xfrm_replay_state_esn` bytes.
pub fn esn_to_user(e: &core_x::XfrmReplayStateEsn) -> Vec<u8> {
    let mut v = Vec::with_capacity(24 + 4 * e.bmp.len());
    for w in [e.bmp.len() as u32, e.oseq, e.seq, e.oseq_hi, e.seq_hi, e.replay_window] {
        v.extend_from_slice(&w.to_le_bytes());
    }
    for w in &e.bmp {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v
}

/// `struct xfrm_replay_state_esn` from an attribute payload (header and
/// the bitmap words present, at most `bmp_len`).
pub fn esn_from_user(p: &[u8]) -> core_x::XfrmReplayStateEsn {
    let w = |i: usize| {
        p.get(4 * i..4 * i + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let bmp_len = w(0) as usize;
    core_x::XfrmReplayStateEsn {
        oseq: w(1),
        seq: w(2),
        oseq_hi: w(3),
        seq_hi: w(4),
        replay_window: w(5),
        bmp: (0..bmp_len.min(128)).map(|i| w(6 + i)).collect(),
    }
}
