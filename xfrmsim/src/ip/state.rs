//! `ip xfrm state` (iproute2 `ip/xfrm_state.c`).

use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::{
    FixedRepr, XfrmAddressFilter, XfrmAlgo, XfrmAlgoAead, XfrmAlgoAuth, XfrmEncapTmpl, XfrmMark,
    XfrmUserExpire, XfrmUsersaFlush, XfrmUsersaId, XfrmUsersaInfo, XfrmUserspiInfo, alg_name_from,
};

use super::args::*;
use super::policy::{addr_match, sctx_payload};
use super::print::{Opts, state_info};
use super::talk::{CResult, Fail, Rtnl};
use crate::nl::{AttrTable, Msg, NLM_F_DUMP, NLM_F_REQUEST, Request, le_u32, messages};

/// `xfrm_algo_parse`'s key: `0x` + hex digits, or the word's bytes.
fn key_parse(w: &str, what: &str) -> PResult<Vec<u8>> {
    if let Some(h) = w.strip_prefix("0x") {
        if h.len() % 2 != 0 || h.is_empty() {
            return invarg(&format!("{what} value is invalid"), w);
        }
        (0..h.len())
            .step_by(2)
            .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .map_or_else(|| invarg(&format!("{what} value is invalid"), w), Ok)
    } else {
        Ok(w.as_bytes().to_vec())
    }
}

fn flag_parse(flags: &mut u8, a: &mut Args<'_>) -> PResult<()> {
    let w = a.word();
    if w.len() > 2 && w.starts_with("0x") {
        match u8::from_str_radix(&w[2..], 16) {
            Ok(v) => *flags = v,
            Err(_) => return invarg("FLAG value is invalid", w),
        }
        return Ok(());
    }
    loop {
        let f = match a.word() {
            "noecn" => XFRM_STATE_NOECN,
            "decap-dscp" => XFRM_STATE_DECAP_DSCP,
            "nopmtudisc" => XFRM_STATE_NOPMTUDISC,
            "wildrecv" => XFRM_STATE_WILDRECV,
            "icmp" => XFRM_STATE_ICMP,
            "af-unspec" => XFRM_STATE_AF_UNSPEC,
            "align4" => XFRM_STATE_ALIGN4,
            "esn" => XFRM_STATE_ESN,
            _ => {
                a.back();
                break;
            }
        };
        *flags |= f;
        if !a.next_ok() {
            break;
        }
        a.advance();
    }
    Ok(())
}

fn u32_arg(a: &mut Args<'_>, what: &str) -> PResult<u32> {
    let w = a.next_arg()?;
    get_u32(w).map_or_else(|| invarg(&format!("{what} value is invalid"), w), Ok)
}

/// `xfrm_state_modify`: `add` and `update`.
fn modify(rtnl: &mut Rtnl<'_>, ty: u16, a: &mut Args<'_>) -> CResult<()> {
    let mut xs = XfrmUsersaInfo { lft: lifetime_inf(), ..Default::default() };
    let mut idp = false;
    let mut algo_attrs: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut mark = XfrmMark::default();
    let (mut ctxp, mut if_id, mut tfcpad, mut extra) = (None::<String>, None, None, None::<u32>);
    let mut coa = None;
    while a.more() {
        match a.word() {
            "mode" => xs.mode = mode_parse(a.next_arg()?)?,
            "mark" => mark = mark_parse(a)?,
            "reqid" => xs.reqid = u32_arg(a, "REQID")?,
            // ip stores the sequence number in network order.
            "seq" => xs.seq = u32_arg(a, "SEQ")?.to_be(),
            "replay-window" => {
                let w = a.next_arg()?;
                xs.replay_window = get_u8(w)
                    .map_or_else(|| invarg("value after \"replay-window\" is invalid", w), Ok)?;
            }
            "flag" => {
                a.next_arg()?;
                flag_parse(&mut xs.flags, a)?;
            }
            "extra-flag" => {
                let mut x = 0u32;
                a.next_arg()?;
                loop {
                    match a.word() {
                        "dont-encap-dscp" => x |= XFRM_SA_XFLAG_DONT_ENCAP_DSCP,
                        "oseq-may-wrap" => x |= XFRM_SA_XFLAG_OSEQ_MAY_WRAP,
                        _ => {
                            a.back();
                            break;
                        }
                    }
                    if !a.next_ok() {
                        break;
                    }
                    a.advance();
                }
                extra = Some(x);
            }
            "sel" => {
                a.next_arg()?;
                selector_parse(&mut xs.sel, a)?;
            }
            "limit" => {
                a.next_arg()?;
                lifetime_parse(&mut xs.lft, a)?;
            }
            "encap" => {
                let w = a.next_arg()?;
                let encap_type = match w {
                    "espinudp-nonike" => 1,
                    "espinudp" => 2,
                    "espintcp" => 7,
                    _ => {
                        return Err(invarg::<()>("ENCAP-TYPE value is invalid", w)
                            .unwrap_err()
                            .into());
                    }
                };
                let w = a.next_arg()?;
                let sport = get_u16(w)
                    .map_or_else(|| invarg("SPORT value after \"encap\" is invalid", w), Ok)?;
                let w = a.next_arg()?;
                let dport = get_u16(w)
                    .map_or_else(|| invarg("DPORT value after \"encap\" is invalid", w), Ok)?;
                let w = a.next_arg()?;
                let oa = get_addr(w, "encap")?;
                let e = XfrmEncapTmpl {
                    encap_type,
                    encap_sport: sport,
                    encap_dport: dport,
                    encap_oa: oa.addr,
                };
                algo_attrs.push((XFRMA_ENCAP, e.to_bytes()));
            }
            "coa" => {
                let w = a.next_arg()?;
                coa = Some(get_prefix(w, "coa")?.addr);
            }
            "ctx" => ctxp = Some(a.next_arg()?.to_string()),
            "if_id" => if_id = Some(u32_arg(a, "IF_ID")?),
            "tfcpad" => tfcpad = Some(u32_arg(a, "TFCPAD")?),
            w @ ("enc" | "auth" | "auth-trunc" | "aead" | "comp") => {
                let kind = w;
                let name = a.next_arg()?;
                let (aty, bytes) = match kind {
                    "comp" => (
                        XFRMA_ALG_COMP,
                        XfrmAlgo { alg_name: alg_name_from(name), alg_key_len: 0, alg_key: vec![] }
                            .to_bytes(),
                    ),
                    _ => {
                        let key = key_parse(a.next_arg()?, "ALGO-KEYMAT")?;
                        let bits = (key.len() * 8) as u32;
                        match kind {
                            "enc" | "auth" => {
                                let t =
                                    if kind == "enc" { XFRMA_ALG_CRYPT } else { XFRMA_ALG_AUTH };
                                (
                                    t,
                                    XfrmAlgo {
                                        alg_name: alg_name_from(name),
                                        alg_key_len: bits,
                                        alg_key: key,
                                    }
                                    .to_bytes(),
                                )
                            }
                            "auth-trunc" => {
                                let t = u32_arg(a, "ALGO-TRUNC-LEN")?;
                                let al = XfrmAlgoAuth {
                                    alg_name: alg_name_from(name),
                                    alg_key_len: bits,
                                    alg_trunc_len: t,
                                    alg_key: key,
                                };
                                (XFRMA_ALG_AUTH_TRUNC, al.to_bytes())
                            }
                            _ => {
                                let icv = u32_arg(a, "ALGO-ICV-LEN")?;
                                let al = XfrmAlgoAead {
                                    alg_name: alg_name_from(name),
                                    alg_key_len: bits,
                                    alg_icv_len: icv,
                                    alg_key: key,
                                };
                                (XFRMA_ALG_AEAD, al.to_bytes())
                            }
                        }
                    }
                };
                algo_attrs.push((aty, bytes));
            }
            w => {
                if idp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                idp = true;
                let seen = id_parse(&mut xs.saddr, &mut xs.id, false, a)?;
                xs.family = seen.family;
            }
        }
        a.advance();
    }
    if !idp {
        return Err(Fail::Usage("Not enough information: ID is required\n".into()));
    }
    if xs.family == 0 {
        xs.family = AF_INET;
    }
    let mut req = Request::new(ty, NLM_F_REQUEST, &xs.to_bytes());
    for (t, b) in &algo_attrs {
        req.addattr(*t, b);
    }
    if let Some(c) = coa {
        req.addattr(XFRMA_COADDR, &c);
    }
    if let Some(x) = extra {
        req.addattr(XFRMA_SA_EXTRA_FLAGS, &x.to_le_bytes());
    }
    if mark.m & mark.v != 0 {
        req.addattr(XFRMA_MARK, &mark.to_bytes());
    }
    if let Some(c) = ctxp {
        req.addattr(XFRMA_SEC_CTX, &sctx_payload(&c));
    }
    if let Some(v) = if_id {
        req.addattr(XFRMA_IF_ID, &v.to_le_bytes());
    }
    if let Some(v) = tfcpad {
        req.addattr(XFRMA_TFCPAD, &v.to_le_bytes());
    }
    rtnl.talk(req, false)?;
    Ok(())
}

/// `xfrm_state_allocspi`.
fn allocspi(rtnl: &mut Rtnl<'_>, a: &mut Args<'_>, o: &Opts, out: &mut String) -> CResult<()> {
    let mut spi = XfrmUserspiInfo::default();
    let mut idp = false;
    let mut mark = XfrmMark::default();
    let (mut minp, mut maxp) = (false, false);
    while a.more() {
        match a.word() {
            "mode" => spi.info.mode = mode_parse(a.next_arg()?)?,
            "mark" => mark = mark_parse(a)?,
            "reqid" => spi.info.reqid = u32_arg(a, "REQID")?,
            "seq" => spi.info.seq = u32_arg(a, "SEQ")?.to_be(),
            "min" => {
                minp = true;
                spi.min = u32_arg(a, "value after \"min\"")?;
            }
            "max" => {
                maxp = true;
                spi.max = u32_arg(a, "value after \"max\"")?;
            }
            w => {
                if idp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                idp = true;
                let seen = id_parse(&mut spi.info.saddr, &mut spi.info.id, false, a)?;
                spi.info.family = seen.family;
                if spi.info.id.spi != 0 {
                    return Err(Fail::Usage("\"spi\" is invalid\n".into()));
                }
            }
        }
        a.advance();
    }
    if !idp {
        return Err(Fail::Usage("Not enough information: ID is required\n".into()));
    }
    if minp || maxp {
        if !minp {
            return Err(Fail::Usage("\"min\" is missing\n".into()));
        }
        if !maxp {
            return Err(Fail::Usage("\"max\" is missing\n".into()));
        }
        if spi.min > spi.max {
            return Err(Fail::Usage(
                "value after \"min\" is larger than value after \"max\"\n".into(),
            ));
        }
    } else {
        // The kernel's default range for an unspecified one.
        spi.min = 0x100;
        spi.max = 0x0fff_ffff;
    }
    if spi.info.family == 0 {
        spi.info.family = AF_INET;
    }
    let mut req = Request::new(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST, &spi.to_bytes());
    if mark.m & mark.v != 0 {
        req.addattr(XFRMA_MARK, &mark.to_bytes());
    }
    if let Some(ans) = rtnl.talk(req, true)? {
        for m in messages(&ans) {
            print_state_msg(out, &m, o);
        }
    }
    Ok(())
}

/// `xfrm_state_get_or_delete`.
fn get_or_delete(rtnl: &mut Rtnl<'_>, delete: bool, a: &mut Args<'_>) -> CResult<Option<Vec<u8>>> {
    let mut info = XfrmUsersaInfo::default();
    let mut idp = false;
    let mut mark = XfrmMark::default();
    while a.more() {
        match a.word() {
            "mark" => mark = mark_parse(a)?,
            w => {
                if idp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                idp = true;
                let seen = id_parse(&mut info.saddr, &mut info.id, false, a)?;
                info.family = seen.family;
            }
        }
        a.advance();
    }
    if !idp {
        return Err(Fail::Usage("Not enough information: ID is required\n".into()));
    }
    let family = if info.family == 0 { AF_INET } else { info.family };
    let sid = XfrmUsersaId { daddr: info.id.daddr, spi: info.id.spi, family, proto: info.id.proto };
    let ty = if delete { XFRM_MSG_DELSA } else { XFRM_MSG_GETSA };
    let mut req = Request::new(ty, NLM_F_REQUEST, &sid.to_bytes());
    req.addattr(XFRMA_SRCADDR, &info.saddr);
    if mark.m & mark.v != 0 {
        req.addattr(XFRMA_MARK, &mark.to_bytes());
    }
    rtnl.talk(req, !delete)
}

/// The list/deleteall filter (`struct xfrm_filter`, state part).
#[derive(Debug, Default, Clone)]
struct Filter {
    use_: bool,
    xs: XfrmUsersaInfo,
    id: IdSeen,
    mode: bool,
    reqid: bool,
    flags: bool,
}

impl Filter {
    /// `xfrm_state_filter_match`.
    fn matches(&self, xs: &XfrmUsersaInfo) -> bool {
        if !self.use_ {
            return true;
        }
        if self.id.src_mask != 0 && !addr_match(&xs.saddr, &self.xs.saddr, self.id.src_mask) {
            return false;
        }
        if self.id.dst_mask != 0 && !addr_match(&xs.id.daddr, &self.xs.id.daddr, self.id.dst_mask) {
            return false;
        }
        if self.id.proto && xs.id.proto != self.xs.id.proto {
            return false;
        }
        if self.id.spi && xs.id.spi != self.xs.id.spi {
            return false;
        }
        if self.mode && xs.mode != self.xs.mode {
            return false;
        }
        if self.reqid && xs.reqid != self.xs.reqid {
            return false;
        }
        if self.flags && xs.flags & self.xs.flags == 0 {
            return false;
        }
        true
    }
}

fn filter_parse(a: &mut Args<'_>, o: &mut Opts) -> CResult<Filter> {
    let mut f = Filter::default();
    let mut idp = false;
    while a.more() {
        match a.word() {
            "nokeys" => o.nokeys = true,
            "mode" => {
                f.xs.mode = mode_parse(a.next_arg()?)?;
                f.mode = true;
                f.use_ = true;
            }
            "reqid" => {
                f.xs.reqid = u32_arg(a, "REQID")?;
                f.reqid = true;
                f.use_ = true;
            }
            "flag" => {
                a.next_arg()?;
                flag_parse(&mut f.xs.flags, a)?;
                f.flags = true;
                f.use_ = true;
            }
            w => {
                if idp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                idp = true;
                f.id = id_parse(&mut f.xs.saddr, &mut f.xs.id, true, a)?;
                f.use_ = true;
            }
        }
        a.advance();
    }
    Ok(f)
}

/// The SA inside a NEWSA/UPDSA/DELSA/EXPIRE message, its attributes and
/// the expire's `hard`.
fn state_of<'m>(m: &Msg<'m>) -> Option<(XfrmUsersaInfo, AttrTable<'m>, Option<u8>)> {
    let fixed = match m.ty {
        XFRM_MSG_DELSA => XfrmUsersaId::SIZE,
        XFRM_MSG_EXPIRE => XfrmUserExpire::SIZE,
        XFRM_MSG_NEWSA | XFRM_MSG_UPDSA => XfrmUsersaInfo::SIZE,
        _ => return None,
    };
    if m.payload.len() < fixed {
        return None;
    }
    let tb =
        AttrTable::parse(m.payload.get(crate::nl::align4(fixed)..).unwrap_or_default(), XFRMA_MAX);
    let (xs, hard) = match m.ty {
        XFRM_MSG_DELSA => (XfrmUsersaInfo::from_bytes(tb.get(XFRMA_SA)?).ok()?, None),
        XFRM_MSG_EXPIRE => {
            let e = XfrmUserExpire::from_bytes(m.payload).ok()?;
            (e.state, Some(e.hard))
        }
        _ => (XfrmUsersaInfo::from_bytes(m.payload).ok()?, None),
    };
    Some((xs, tb, hard))
}

/// `xfrm_state_print`.
pub fn print_state_msg(out: &mut String, m: &Msg<'_>, o: &Opts) {
    let Some((xs, tb, hard)) = state_of(m) else { return };
    let title = match m.ty {
        XFRM_MSG_DELSA => "Deleted ",
        XFRM_MSG_UPDSA => "Updated ",
        XFRM_MSG_EXPIRE => "Expired ",
        _ => "",
    };
    state_info(out, &xs, &tb, title, o);
    if let Some(h) = hard {
        out.push_str(&format!("\thard {h}\n"));
    }
}

fn list_or_deleteall(
    rtnl: &mut Rtnl<'_>,
    deleteall: bool,
    a: &mut Args<'_>,
    o: &Opts,
    out: &mut String,
) -> CResult<()> {
    let mut o = *o;
    let f = filter_parse(a, &mut o)?;
    if !deleteall {
        let mut req = Request::new(XFRM_MSG_GETSA, NLM_F_DUMP | NLM_F_REQUEST, &[]);
        req.addattr(XFRMA_ADDRESS_FILTER, &XfrmAddressFilter::default().to_bytes());
        return rtnl.dump(req, &mut |m, _| {
            if let Some((xs, _, _)) = state_of(m)
                && f.matches(&xs)
            {
                print_state_msg(out, m, &o);
            }
        });
    }
    loop {
        let mut dels = Vec::new();
        let req = Request::new(XFRM_MSG_GETSA, NLM_F_DUMP | NLM_F_REQUEST, &[]);
        rtnl.dump(req, &mut |m, _| {
            if m.ty != XFRM_MSG_NEWSA {
                return;
            }
            let Some((xs, tb, _)) = state_of(m) else { return };
            if !f.matches(&xs) {
                return;
            }
            let sid = XfrmUsersaId {
                daddr: xs.id.daddr,
                spi: xs.id.spi,
                family: xs.family,
                proto: xs.id.proto,
            };
            let mut r = Request::new(XFRM_MSG_DELSA, NLM_F_REQUEST, &sid.to_bytes());
            r.addattr(XFRMA_SRCADDR, &xs.saddr);
            if let Some(p) = tb.get(XFRMA_MARK) {
                r.addattr(XFRMA_MARK, p);
            }
            dels.push(r);
        })
        .map_err(super::talk::deleteall_error)?;
        if dels.is_empty() {
            return Ok(());
        }
        rtnl.send_batch(dels)?;
    }
}

/// `xfrm_sad_getinfo`: `ip xfrm state count`.
fn count(rtnl: &mut Rtnl<'_>, o: &Opts, out: &mut String) -> CResult<()> {
    let req = Request::new(XFRM_MSG_GETSADINFO, NLM_F_REQUEST, &u32::MAX.to_le_bytes());
    let Some(ans) = rtnl.talk(req, true)? else { return Ok(()) };
    let msgs = messages(&ans);
    let Some(m) = msgs.first() else { return Ok(()) };
    let tb = AttrTable::parse(m.payload.get(4..).unwrap_or_default(), XFRMA_SAD_MAX);
    out.push_str("\t SAD");
    if let Some(c) = tb.u32(XFRMA_SAD_CNT) {
        out.push_str(&format!(" count {}", c as i32));
    }
    if o.stats > 0
        && let Some(h) = tb.get(XFRMA_SAD_HINFO)
    {
        out.push_str(&format!(
            " (buckets count {} Max {})",
            le_u32(h, 0) as i32,
            le_u32(h, 4) as i32
        ));
    }
    out.push('\n');
    Ok(())
}

/// `xfrm_state_flush`.
fn flush(rtnl: &mut Rtnl<'_>, a: &mut Args<'_>) -> CResult<()> {
    let mut fl = XfrmUsersaFlush { proto: 0 };
    let mut protop = false;
    while a.more() {
        match a.word() {
            "proto" => {
                if protop {
                    return Err(duparg::<()>("proto", a.word()).unwrap_err().into());
                }
                protop = true;
                let w = a.next_arg()?;
                fl.proto = super::names::xfrmproto_by_name(w)
                    .map_or_else(|| invarg("XFRM-PROTO value is invalid", w), Ok)?;
            }
            w => return Err(invarg::<()>("unknown", w).unwrap_err().into()),
        }
        a.advance();
    }
    rtnl.talk(Request::new(XFRM_MSG_FLUSHSA, NLM_F_REQUEST, &fl.to_bytes()), false)?;
    Ok(())
}

/// `do_xfrm_state`.
pub fn do_state(rtnl: &mut Rtnl<'_>, argv: &[String], o: &Opts, out: &mut String) -> CResult<()> {
    let mut a = Args::new(argv);
    let Some(cmd) = a.cur() else {
        return list_or_deleteall(rtnl, false, &mut a, o, out);
    };
    let m = |full: &str| !cmd.is_empty() && full.starts_with(cmd);
    a.advance();
    if m("add") {
        modify(rtnl, XFRM_MSG_NEWSA, &mut a)
    } else if m("update") {
        modify(rtnl, XFRM_MSG_UPDSA, &mut a)
    } else if m("allocspi") {
        allocspi(rtnl, &mut a, o, out)
    } else if m("delete") {
        get_or_delete(rtnl, true, &mut a).map(|_| ())
    } else if m("deleteall") || m("delall") {
        list_or_deleteall(rtnl, true, &mut a, o, out)
    } else if m("list") || m("show") || m("lst") {
        list_or_deleteall(rtnl, false, &mut a, o, out)
    } else if m("get") {
        if let Some(ans) = get_or_delete(rtnl, false, &mut a)? {
            for msg in messages(&ans) {
                print_state_msg(out, &msg, o);
            }
        }
        Ok(())
    } else if m("flush") {
        flush(rtnl, &mut a)
    } else if m("count") {
        count(rtnl, o, out)
    } else if m("help") {
        Err(Fail::Usage(USAGE.into()))
    } else {
        Err(Fail::Usage(format!("Command \"{cmd}\" is unknown, try \"ip xfrm state help\".\n")))
    }
}

/// `ip xfrm state help` (the part the simulation implements).
pub const USAGE: &str = "Usage: ip xfrm state { add | update } ID [ ALGO-LIST ] [ mode MODE ]
        [ mark MARK [ mask MASK ] ] [ reqid REQID ] [ seq SEQ ]
        [ replay-window SIZE ] [ flag FLAG-LIST ] [ sel SELECTOR ] [ LIMIT-LIST ]
        [ encap ENCAP ] [ coa ADDR[/PLEN] ] [ ctx CTX ] [ extra-flag EXTRA-FLAG-LIST ]
        [ if_id IF_ID ] [ tfcpad LENGTH ]
Usage: ip xfrm state allocspi ID [ mode MODE ] [ mark MARK [ mask MASK ] ]
        [ reqid REQID ] [ seq SEQ ] [ min SPI max SPI ]
Usage: ip xfrm state { delete | get } ID [ mark MARK [ mask MASK ] ]
Usage: ip xfrm state deleteall [ ID ] [ mode MODE ] [ reqid REQID ]
        [ flag FLAG-LIST ]
Usage: ip xfrm state list [ nokeys ] [ ID ] [ mode MODE ] [ reqid REQID ]
        [ flag FLAG-LIST ]
Usage: ip xfrm state flush [ proto XFRM-PROTO ]
Usage: ip xfrm state count
";
