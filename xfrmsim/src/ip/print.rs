//! The printers of iproute2's `ip/ipxfrm.c` (`xfrm_selector_print`,
//! `xfrm_id_info_print`, `xfrm_lifetime_print`, `xfrm_stats_print`,
//! `xfrm_xfrma_print`, `xfrm_state_info_print`,
//! `xfrm_policy_info_print`), as iproute2 6.1 prints them, over reply
//! bytes parsed with the NETLINK_XFRM wire views.

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::{
    FixedRepr, XfrmAlgo, XfrmAlgoAead, XfrmAlgoAuth, XfrmEncapTmpl, XfrmId, XfrmLifetimeCfg,
    XfrmLifetimeCur, XfrmMark, XfrmReplayState, XfrmSelector, XfrmStats, XfrmUserOffload,
    XfrmUserpolicyInfo, XfrmUserpolicyType, XfrmUsersaInfo, alg_name_str, parse_user_tmpls,
};

use super::args::{AF_INET, AF_INET6};
use super::names::*;
use crate::nl::AttrTable;

/// The display switches (`show_stats`, `show_details`, `nokeys`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-s` count.
    pub stats: u32,
    /// `-d` count.
    pub details: u32,
    /// `list nokeys`.
    pub nokeys: bool,
}

/// `rt_addr_n2a` for an `xfrm_address_t`.
pub fn addr(family: u16, a: &[u8; 16]) -> String {
    match family {
        AF_INET => Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string(),
        AF_INET6 => Ipv6Addr::from(*a).to_string(),
        _ => "???".into(),
    }
}

/// `strxf_limit`.
fn limit(v: u64) -> String {
    if v == XFRM_INF { "(INF)".into() } else { v.to_string() }
}

/// `strxf_time` (the simulation prints UTC where `ip` uses local time).
pub fn time(t: u64) -> String {
    if t == 0 {
        return "-".into();
    }
    let days = (t / 86400) as i64;
    let secs = t % 86400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `xfrm_selector_print`.
pub fn selector(out: &mut String, sel: &XfrmSelector, family: u16, prefix: &str, o: &Opts) {
    let f = if sel.family != 0 { sel.family } else { family };
    out.push_str(prefix);
    let _ = write!(out, "src {}/{} ", addr(f, &sel.saddr), sel.prefixlen_s);
    let _ = write!(out, "dst {}/{} ", addr(f, &sel.daddr), sel.prefixlen_d);
    if sel.proto != 0 {
        let _ = write!(out, "proto {} ", proto_name(sel.proto));
    }
    match sel.proto {
        1 | 58 => {
            if sel.sport_mask != 0 {
                let _ = write!(out, "type {} ", sel.sport);
            }
            if sel.dport_mask != 0 {
                let _ = write!(out, "code {} ", sel.dport);
            }
        }
        47 => {
            if sel.sport_mask != 0 || sel.dport_mask != 0 {
                let _ = write!(out, "key {} ", (u32::from(sel.sport) << 16) + u32::from(sel.dport));
            }
        }
        135 => {
            if sel.sport_mask != 0 {
                let _ = write!(out, "type {} ", sel.sport);
            }
            if sel.dport_mask != 0 && o.stats > 0 {
                let _ = write!(out, "(dport) 0x{:04x} ", sel.dport.swap_bytes());
            }
        }
        _ => {
            if sel.sport_mask != 0 {
                let _ = write!(out, "sport {} ", sel.sport);
            }
            if sel.dport_mask != 0 {
                let _ = write!(out, "dport {} ", sel.dport);
            }
        }
    }
    if sel.ifindex > 0 {
        let _ = write!(out, "dev if{} ", sel.ifindex);
    }
    if o.stats > 0 {
        let _ = write!(out, "uid {}", sel.user);
    }
    out.push('\n');
}

/// `xfrm_id_info_print`.
#[allow(clippy::too_many_arguments)]
fn id_info(
    out: &mut String,
    saddr: &[u8; 16],
    id: &XfrmId,
    mode: u8,
    reqid: u32,
    family: u16,
    force_spi: bool,
    prefix: &str,
    title: &str,
    o: &Opts,
) {
    out.push_str(title);
    let _ = write!(out, "src {} ", addr(family, saddr));
    let _ = writeln!(out, "dst {}", addr(family, &id.daddr));
    out.push_str(prefix);
    out.push('\t');
    let _ = write!(out, "proto {} ", xfrmproto_name(id.proto));
    if o.stats > 0 || force_spi || id.spi != 0 {
        let _ = write!(out, "spi 0x{:08x}", id.spi);
        if o.stats > 0 {
            let _ = write!(out, "({})", id.spi);
        }
        out.push(' ');
    }
    let _ = write!(out, "reqid {reqid}");
    if o.stats > 0 {
        let _ = write!(out, "(0x{reqid:08x})");
    }
    out.push(' ');
    let _ = writeln!(out, "mode {}", mode_name(mode));
}

/// `xfrm_lifetime_print`.
fn lifetime(out: &mut String, cfg: &XfrmLifetimeCfg, cur: &XfrmLifetimeCur, prefix: &str) {
    let _ = writeln!(out, "{prefix}lifetime config:");
    let _ = writeln!(
        out,
        "{prefix}  limit: soft {}(bytes), hard {}(bytes)",
        limit(cfg.soft_byte_limit),
        limit(cfg.hard_byte_limit)
    );
    let _ = writeln!(
        out,
        "{prefix}  limit: soft {}(packets), hard {}(packets)",
        limit(cfg.soft_packet_limit),
        limit(cfg.hard_packet_limit)
    );
    let _ = writeln!(
        out,
        "{prefix}  expire add: soft {}(sec), hard {}(sec)",
        cfg.soft_add_expires_seconds, cfg.hard_add_expires_seconds
    );
    let _ = writeln!(
        out,
        "{prefix}  expire use: soft {}(sec), hard {}(sec)",
        cfg.soft_use_expires_seconds, cfg.hard_use_expires_seconds
    );
    let _ = writeln!(out, "{prefix}lifetime current:");
    let _ = writeln!(out, "{prefix}  {}(bytes), {}(packets)", cur.bytes, cur.packets);
    let _ = writeln!(out, "{prefix}  add {} use {}", time(cur.add_time), time(cur.use_time));
}

/// `xfrm_stats_print`.
fn stats(out: &mut String, s: &XfrmStats, prefix: &str) {
    let _ = writeln!(out, "{prefix}stats:");
    let _ = writeln!(
        out,
        "{prefix}  replay-window {} replay {} failed {}",
        s.replay_window, s.replay, s.integrity_failed
    );
}

/// `__xfrm_algo_print`: type, name, key (`(ERROR truncated)` when the
/// payload is short), and with `-s` the key length in bits.
fn algo_line(
    out: &mut String,
    ty_name: &str,
    name: &[u8; 64],
    key_bits: u32,
    key: &[u8],
    prefix: &str,
    o: &Opts,
) {
    out.push_str(prefix);
    let _ = write!(out, "{ty_name} ");
    let _ = write!(out, "{} ", String::from_utf8_lossy(alg_name_str(name)));
    let keylen = (key_bits / 8) as usize;
    if key.len() < keylen {
        out.push_str("(ERROR truncated)");
        return;
    }
    if o.nokeys {
        out.push_str("<<Keys hidden>>");
    } else {
        out.push_str("0x");
        for b in key.iter().take(keylen) {
            let _ = write!(out, "{b:02x}");
        }
    }
    if o.stats > 0 {
        let _ = write!(out, " ({key_bits} bits)");
    }
}

fn algo(out: &mut String, ty_name: &str, payload: &[u8], prefix: &str, o: &Opts) {
    match XfrmAlgo::from_bytes(payload) {
        Ok(a) => algo_line(out, ty_name, &a.alg_name, a.alg_key_len, &a.alg_key, prefix, o),
        Err(_) => {
            let _ = write!(out, "{prefix}{ty_name} (ERROR truncated)");
        }
    }
    out.push('\n');
}

/// `xfrm_xfrma_print`.
fn xfrma(out: &mut String, tb: &AttrTable<'_>, family: u16, prefix: &str, o: &Opts) {
    if let Some(p) = tb.get(XFRMA_MARK) {
        let m = XfrmMark::from_bytes(p).unwrap_or_default();
        let _ = writeln!(out, "\tmark {}/{} ", alt_hex(m.v), alt_hex(m.m));
    }
    if let (Some(p), None) = (tb.get(XFRMA_ALG_AUTH), tb.get(XFRMA_ALG_AUTH_TRUNC)) {
        algo(out, "auth", p, prefix, o);
    }
    if let Some(p) = tb.get(XFRMA_ALG_AUTH_TRUNC) {
        match XfrmAlgoAuth::from_bytes(p) {
            Ok(a) => {
                algo_line(out, "auth-trunc", &a.alg_name, a.alg_key_len, &a.alg_key, prefix, o);
                let _ = write!(out, " {}", a.alg_trunc_len);
            }
            Err(_) => {
                let _ = write!(out, "{prefix}auth-trunc (ERROR truncated)");
            }
        }
        out.push('\n');
    }
    if let Some(p) = tb.get(XFRMA_ALG_AEAD) {
        match XfrmAlgoAead::from_bytes(p) {
            Ok(a) => {
                algo_line(out, "aead", &a.alg_name, a.alg_key_len, &a.alg_key, prefix, o);
                let _ = write!(out, " {}", a.alg_icv_len);
            }
            Err(_) => {
                let _ = write!(out, "{prefix}aead (ERROR truncated)");
            }
        }
        out.push('\n');
    }
    if let Some(p) = tb.get(XFRMA_ALG_CRYPT) {
        algo(out, "enc", p, prefix, o);
    }
    if let Some(p) = tb.get(XFRMA_ALG_COMP) {
        algo(out, "comp", p, prefix, o);
    }
    if let Some(p) = tb.get(XFRMA_ENCAP) {
        let _ = write!(out, "{prefix}encap ");
        let Ok(e) = XfrmEncapTmpl::from_bytes(p) else {
            out.push_str("(ERROR truncated)\n");
            return;
        };
        out.push_str("type ");
        match e.encap_type {
            1 => out.push_str("espinudp-nonike "),
            2 => out.push_str("espinudp "),
            7 => out.push_str("espintcp "),
            n => {
                let _ = write!(out, "{n} ");
            }
        }
        let _ = write!(out, "sport {} ", e.encap_sport);
        let _ = write!(out, "dport {} ", e.encap_dport);
        let _ = writeln!(out, "addr {}", addr(family, &e.encap_oa));
    }
    if let Some(p) = tb.get(XFRMA_TMPL) {
        let tmpls = parse_user_tmpls(p);
        if tmpls.is_empty() {
            let _ = writeln!(out, "{prefix}(ERROR \"tmpl\" truncated)");
        }
        for t in &tmpls {
            out.push_str(prefix);
            id_info(out, &t.saddr, &t.id, t.mode, t.reqid, t.family, false, prefix, "tmpl ", o);
            if o.stats > 0 || t.optional != 0 {
                out.push_str(prefix);
                out.push('\t');
                match t.optional {
                    0 => {
                        if o.stats > 0 {
                            out.push_str("level required ");
                        }
                    }
                    1 => out.push_str("level use "),
                    n => {
                        let _ = write!(out, "level {n} ");
                    }
                }
                if o.stats > 0 {
                    let _ = write!(out, "share {} ", share_name(t.share));
                }
                out.push('\n');
            }
            if o.stats > 0 {
                let _ = writeln!(
                    out,
                    "{prefix}\tenc-mask {:08x} auth-mask {:08x} comp-mask {:08x}",
                    t.ealgos, t.aalgos, t.calgos
                );
            }
        }
    }
    if let Some(p) = tb.get(XFRMA_COADDR) {
        let _ = write!(out, "{prefix}coa ");
        match p.get(..16).and_then(|s| <[u8; 16]>::try_from(s).ok()) {
            Some(a) => {
                let _ = writeln!(out, "{}", addr(family, &a));
            }
            None => {
                out.push_str("(ERROR truncated)\n");
                return;
            }
        }
    }
    if let Some(p) = tb.get(XFRMA_LASTUSED) {
        let _ = write!(out, "{prefix}lastused ");
        match p.get(..8).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
            Some(b) => {
                let _ = writeln!(out, "{}", time(u64::from_le_bytes(b)));
            }
            None => {
                out.push_str("(ERROR truncated)\n");
                return;
            }
        }
    }
    if let Some(p) = tb.get(XFRMA_REPLAY_VAL) {
        let _ = write!(out, "{prefix}anti-replay context: ");
        match XfrmReplayState::from_bytes(p) {
            Ok(r) => {
                let _ = writeln!(
                    out,
                    "seq 0x{:x}, oseq 0x{:x}, bitmap 0x{:08x}",
                    r.seq, r.oseq, r.bitmap
                );
            }
            Err(_) => {
                out.push_str("(ERROR truncated)\n");
                return;
            }
        }
    }
    if let Some(p) = tb.get(XFRMA_REPLAY_ESN_VAL) {
        let _ = writeln!(out, "{prefix}anti-replay esn context:");
        let w = |i: usize| crate::nl::le_u32(p, i * 4);
        let (bmp_len, oseq, seq, oseq_hi, seq_hi, win) = (w(0), w(1), w(2), w(3), w(4), w(5));
        let _ = writeln!(
            out,
            "{prefix} seq-hi 0x{seq_hi:x}, seq 0x{seq:x}, oseq-hi 0x{oseq_hi:x}, oseq 0x{oseq:x}"
        );
        let _ = writeln!(out, "{prefix} replay_window {win}, bitmap-length {bmp_len}");
        for i in 0..bmp_len.min(4096) as usize {
            if i % 8 == 0 {
                let _ = write!(out, "{prefix} ");
            }
            let _ = write!(out, "{:08x} ", w(6 + i));
            if i % 8 == 7 || i + 1 == bmp_len as usize {
                out.push('\n');
            }
        }
    }
    if let Some(p) = tb.get(XFRMA_OFFLOAD_DEV)
        && let Ok(off) = XfrmUserOffload::from_bytes(p)
    {
        let dir = if off.flags & XFRM_OFFLOAD_INBOUND != 0 { "in" } else { "out" };
        let _ = writeln!(
            out,
            "{prefix}crypto offload parameters: dev if{} dir {dir} mode crypto",
            off.ifindex
        );
    }
    if let Some(v) = tb.u32(XFRMA_IF_ID) {
        let _ = writeln!(out, "{prefix}if_id {}", alt_hex(v));
    }
    if let Some(v) = tb.u32(XFRMA_TFCPAD) {
        let _ = writeln!(out, "{prefix}tfcpad {v}");
    }
}

fn flags_list(out: &mut String, mut flags: u8, names: &[(u8, &str)]) {
    for (f, s) in names {
        if flags & f != 0 {
            flags &= !f;
            out.push_str(s);
            if flags != 0 {
                out.push(' ');
            }
        }
    }
    if flags != 0 {
        let _ = write!(out, "{flags:x}");
    }
}

fn sec_ctx(out: &mut String, tb: &AttrTable<'_>, trailer: &str) {
    if let Some(p) = tb.get(XFRMA_SEC_CTX) {
        out.push_str("\tsecurity context ");
        let s = p.get(8..).unwrap_or_default();
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        let _ = write!(out, "{}{trailer}", String::from_utf8_lossy(&s[..end]));
    }
}

/// `xfrm_state_info_print`.
pub fn state_info(
    out: &mut String,
    xs: &XfrmUsersaInfo,
    tb: &AttrTable<'_>,
    title: &str,
    o: &Opts,
) {
    let force_spi = xfrmproto_is_ipsec(xs.id.proto);
    id_info(out, &xs.saddr, &xs.id, xs.mode, xs.reqid, xs.family, force_spi, "", title, o);
    let buf = "\t";
    out.push_str(buf);
    let _ = write!(out, "replay-window {} ", xs.replay_window);
    if o.stats > 0 {
        let _ = write!(out, "seq 0x{:08} ", xs.seq);
    }
    if o.stats > 0 || xs.flags != 0 {
        out.push_str("flag ");
        flags_list(
            out,
            xs.flags,
            &[
                (XFRM_STATE_NOECN, "noecn"),
                (XFRM_STATE_DECAP_DSCP, "decap-dscp"),
                (XFRM_STATE_NOPMTUDISC, "nopmtudisc"),
                (XFRM_STATE_WILDRECV, "wildrecv"),
                (XFRM_STATE_ICMP, "icmp"),
                (XFRM_STATE_AF_UNSPEC, "af-unspec"),
                (XFRM_STATE_ALIGN4, "align4"),
                (XFRM_STATE_ESN, "esn"),
            ],
        );
    }
    if o.stats > 0 {
        let _ = write!(out, " (0x{})", mask8(xs.flags));
    }
    out.push('\n');
    if let Some(x) = tb.u32(XFRMA_SA_EXTRA_FLAGS)
        && x != 0
    {
        let _ = write!(out, "{buf}extra_flag ");
        let mut rest = x;
        for (f, s) in [
            (XFRM_SA_XFLAG_DONT_ENCAP_DSCP, "dont-encap-dscp"),
            (XFRM_SA_XFLAG_OSEQ_MAY_WRAP, "oseq-may-wrap"),
        ] {
            if rest & f != 0 {
                rest &= !f;
                out.push_str(s);
                if rest != 0 {
                    out.push(' ');
                }
            }
        }
        if rest != 0 {
            let _ = write!(out, "{rest:x}");
        }
        out.push('\n');
    }
    xfrma(out, tb, xs.family, buf, o);
    if xs.sel != XfrmSelector::default() {
        selector(out, &xs.sel, xs.family, "\tsel ", o);
    }
    if o.stats > 0 {
        lifetime(out, &xs.lft, &xs.curlft, buf);
        stats(out, &xs.stats, buf);
    }
    sec_ctx(out, tb, " \n");
}

/// `xfrm_policy_info_print`.
pub fn policy_info(
    out: &mut String,
    xp: &XfrmUserpolicyInfo,
    tb: &AttrTable<'_>,
    prefix: &str,
    title: &str,
    o: &Opts,
) {
    selector(out, &xp.sel, 0, title, o);
    sec_ctx(out, tb, " \n");
    let buf = &format!("{prefix}\t");
    out.push_str(buf);
    let mut dir = xp.dir;
    if dir >= XFRM_POLICY_MAX {
        dir -= XFRM_POLICY_MAX;
        out.push_str("socket ");
    } else {
        out.push_str("dir ");
    }
    match dir {
        XFRM_POLICY_IN => out.push_str("in"),
        XFRM_POLICY_OUT => out.push_str("out"),
        XFRM_POLICY_FWD => out.push_str("fwd"),
        n => {
            let _ = write!(out, "{n}");
        }
    }
    out.push(' ');
    match xp.action {
        XFRM_POLICY_ALLOW => {
            if o.stats > 0 {
                out.push_str("action allow ");
            }
        }
        XFRM_POLICY_BLOCK => out.push_str("action block "),
        n => {
            let _ = write!(out, "action {n} ");
        }
    }
    if o.stats > 0 {
        let _ = write!(out, "index {} ", xp.index);
    }
    let _ = write!(out, "priority {} ", xp.priority);
    if let Some(p) = tb.get(XFRMA_POLICY_TYPE) {
        out.push_str("ptype ");
        let t = XfrmUserpolicyType::from_bytes(p).map(|u| u.type_).unwrap_or(0);
        if p.len() < XfrmUserpolicyType::SIZE {
            out.push_str("(ERROR truncated)");
        }
        let _ = write!(out, "{} ", ptype_name(t));
    }
    if o.stats > 0 {
        let _ = write!(out, "share {} ", share_name(xp.share));
    }
    if o.stats > 0 || xp.flags != 0 {
        out.push_str("flag ");
        flags_list(out, xp.flags, &[(XFRM_POLICY_LOCALOK, "localok"), (XFRM_POLICY_ICMP, "icmp")]);
    }
    if o.stats > 0 {
        let _ = write!(out, " (0x{})", mask8(xp.flags));
    }
    out.push('\n');
    if o.stats > 0 {
        lifetime(out, &xp.lft, &xp.curlft, buf);
    }
    xfrma(out, tb, xp.sel.family, buf, o);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_civil_utc() {
        assert_eq!(time(0), "-");
        assert_eq!(time(1), "1970-01-01 00:00:01");
        assert_eq!(time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(time(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn c_alt_hex() {
        assert_eq!(alt_hex(0), "0");
        assert_eq!(alt_hex(0xff), "0xff");
    }
}
