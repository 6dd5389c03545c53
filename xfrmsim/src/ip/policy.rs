//! `ip xfrm policy` (iproute2 `ip/xfrm_policy.c`): each command builds
//! the NETLINK_XFRM request `ip` sends and prints the replies as `ip`
//! prints them.

use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::wire::{
    FixedRepr, XfrmMark, XfrmUserPolexpire, XfrmUserTmpl, XfrmUserpolicyId, XfrmUserpolicyInfo,
    XfrmUserpolicyType, emit_user_tmpls,
};

use super::args::*;
use super::print::{Opts, policy_info};
use super::talk::{CResult, Fail, Rtnl};
use crate::nl::{AttrTable, Msg, NLM_F_DUMP, NLM_F_REQUEST, Request, le_u32};

fn dir_parse(w: &str) -> PResult<u8> {
    match w {
        "in" => Ok(XFRM_POLICY_IN),
        "out" => Ok(XFRM_POLICY_OUT),
        "fwd" => Ok(XFRM_POLICY_FWD),
        _ => invarg("DIR value is invalid", w),
    }
}

fn ptype_parse(w: &str) -> PResult<u8> {
    match w {
        "main" => Ok(XFRM_POLICY_TYPE_MAIN),
        "sub" => Ok(XFRM_POLICY_TYPE_SUB),
        _ => invarg("PTYPE value is invalid", w),
    }
}

/// `xfrm_policy_flag_parse` (cursor on the first flag word).
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
        match a.word() {
            "localok" => *flags |= XFRM_POLICY_LOCALOK,
            "icmp" => *flags |= XFRM_POLICY_ICMP,
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
    Ok(())
}

/// `xfrm_tmpl_parse` (cursor on the first word after `tmpl`).
fn tmpl_parse(t: &mut XfrmUserTmpl, preferred: &mut u16, a: &mut Args<'_>) -> PResult<()> {
    let mut id_seen = false;
    let mut any = false;
    loop {
        match a.word() {
            "mode" => t.mode = mode_parse(a.next_arg()?)?,
            "reqid" => {
                let w = a.next_arg()?;
                t.reqid = match get_u32(w) {
                    Some(v) => v,
                    None => return invarg("REQID value is invalid", w),
                };
            }
            "level" => {
                let w = a.next_arg()?;
                t.optional = match w {
                    "required" => 0,
                    "use" => 1,
                    _ => return invarg("LEVEL value is invalid\n", w),
                };
            }
            w if !id_seen && is_id_word(w) => {
                id_seen = true;
                let seen = id_parse(&mut t.saddr, &mut t.id, false, a)?;
                if seen.family != 0 {
                    t.family = seen.family;
                }
                *preferred = t.family;
            }
            _ => {
                a.back();
                break;
            }
        }
        any = true;
        if !a.next_ok() {
            break;
        }
        a.advance();
    }
    if !any {
        return missarg("TMPL");
    }
    Ok(())
}

/// `xfrm_sctx_parse`: the `XFRMA_SEC_CTX` payload for `ctx CTX`.
pub fn sctx_payload(s: &str) -> Vec<u8> {
    let slen = s.len() + 1;
    let len = 8 + slen;
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(len as u16).to_le_bytes());
    v.extend_from_slice(&XFRMA_SEC_CTX.to_le_bytes());
    v.push(1); // ctx_alg
    v.push(1); // ctx_doi
    v.extend_from_slice(&(slen as u16).to_le_bytes());
    v.extend_from_slice(s.as_bytes());
    v.push(0);
    v
}

fn if_id_parse(w: &str) -> PResult<u32> {
    match get_u32(w) {
        Some(v) => Ok(v),
        None => invarg("IF_ID value is invalid", w),
    }
}

/// `xfrm_policy_modify`: `add` and `update`.
fn modify(rtnl: &mut Rtnl<'_>, ty: u16, a: &mut Args<'_>) -> CResult<()> {
    let mut xp = XfrmUserpolicyInfo { lft: lifetime_inf(), ..Default::default() };
    let mut preferred = 0u16;
    let (mut dirp, mut selp, mut ptypep, mut ctxp) = (false, false, false, None::<String>);
    let mut upt = XfrmUserpolicyType::default();
    let mut tmpls: Vec<XfrmUserTmpl> = Vec::new();
    let mut mark = XfrmMark::default();
    let mut if_id = None;
    while a.more() {
        match a.word() {
            "dir" => {
                if dirp {
                    return Err(duparg::<()>("dir", a.word()).unwrap_err().into());
                }
                dirp = true;
                xp.dir = dir_parse(a.next_arg()?)?;
            }
            "ctx" => {
                if ctxp.is_some() {
                    return Err(duparg::<()>("ctx", a.word()).unwrap_err().into());
                }
                ctxp = Some(a.next_arg()?.to_string());
            }
            "mark" => mark = mark_parse(a)?,
            "index" => {
                let w = a.next_arg()?;
                xp.index = get_u32(w).map_or_else(|| invarg("INDEX value is invalid", w), Ok)?;
            }
            "ptype" => {
                if ptypep {
                    return Err(duparg::<()>("ptype", a.word()).unwrap_err().into());
                }
                ptypep = true;
                upt.type_ = ptype_parse(a.next_arg()?)?;
            }
            "action" => {
                let w = a.next_arg()?;
                xp.action = match w {
                    "allow" => XFRM_POLICY_ALLOW,
                    "block" => XFRM_POLICY_BLOCK,
                    _ => {
                        return Err(invarg::<()>("ACTION value is invalid\n", w)
                            .unwrap_err()
                            .into());
                    }
                };
            }
            "priority" => {
                let w = a.next_arg()?;
                xp.priority =
                    get_u32(w).map_or_else(|| invarg("PRIORITY value is invalid", w), Ok)?;
            }
            "flag" => {
                a.next_arg()?;
                flag_parse(&mut xp.flags, a)?;
            }
            "limit" => {
                a.next_arg()?;
                lifetime_parse(&mut xp.lft, a)?;
            }
            "tmpl" => {
                if tmpls.len() >= XFRM_MAX_DEPTH {
                    return Err(Fail::Usage("Too many tmpls: buffer overflow\n".into()));
                }
                let mut t = XfrmUserTmpl {
                    family: preferred,
                    aalgos: !0,
                    ealgos: !0,
                    calgos: !0,
                    ..Default::default()
                };
                a.next_arg()?;
                tmpl_parse(&mut t, &mut preferred, a)?;
                tmpls.push(t);
            }
            "if_id" => if_id = Some(if_id_parse(a.next_arg()?)?),
            w => {
                if selp {
                    return Err(duparg::<()>("unknown", w).unwrap_err().into());
                }
                selp = true;
                selector_parse(&mut xp.sel, a)?;
                if preferred == 0 {
                    preferred = xp.sel.family;
                }
            }
        }
        a.advance();
    }
    if !dirp {
        return Err(Fail::Usage("Not enough information: DIR is required.\n".into()));
    }
    if xp.sel.family == 0 {
        xp.sel.family = AF_INET;
    }
    let mut req = Request::new(ty, NLM_F_REQUEST, &xp.to_bytes());
    if ptypep {
        req.addattr(XFRMA_POLICY_TYPE, &upt.to_bytes());
    }
    if !tmpls.is_empty() {
        req.addattr(XFRMA_TMPL, &emit_user_tmpls(&tmpls));
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
    rtnl.talk(req, false)?;
    Ok(())
}

/// `xfrm_policy_get_or_delete`.
fn get_or_delete(rtnl: &mut Rtnl<'_>, delete: bool, a: &mut Args<'_>) -> CResult<Option<Vec<u8>>> {
    let mut xpid = XfrmUserpolicyId::default();
    let (mut dirp, mut selp, mut indexp, mut ptypep, mut ctxp) =
        (false, false, false, false, None::<String>);
    let mut upt = XfrmUserpolicyType::default();
    let mut mark = XfrmMark::default();
    let mut if_id = None;
    while a.more() {
        match a.word() {
            "dir" => {
                if dirp {
                    return Err(duparg::<()>("dir", a.word()).unwrap_err().into());
                }
                dirp = true;
                xpid.dir = dir_parse(a.next_arg()?)?;
            }
            "ctx" => {
                if ctxp.is_some() {
                    return Err(duparg::<()>("ctx", a.word()).unwrap_err().into());
                }
                ctxp = Some(a.next_arg()?.to_string());
            }
            "mark" => mark = mark_parse(a)?,
            "index" => {
                if indexp {
                    return Err(duparg::<()>("index", a.word()).unwrap_err().into());
                }
                indexp = true;
                let w = a.next_arg()?;
                xpid.index = get_u32(w).map_or_else(|| invarg("INDEX value is invalid", w), Ok)?;
            }
            "ptype" => {
                if ptypep {
                    return Err(duparg::<()>("ptype", a.word()).unwrap_err().into());
                }
                ptypep = true;
                upt.type_ = ptype_parse(a.next_arg()?)?;
            }
            "if_id" => if_id = Some(if_id_parse(a.next_arg()?)?),
            w => {
                if selp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                selp = true;
                selector_parse(&mut xpid.sel, a)?;
            }
        }
        a.advance();
    }
    if !dirp {
        return Err(Fail::Usage("Not enough information: DIR is required.\n".into()));
    }
    if !selp && !indexp {
        return Err(Fail::Usage(
            "Not enough information: either SELECTOR or INDEX is required.\n".into(),
        ));
    }
    if selp && indexp {
        return Err(Fail::Usage("Error: either \"SELECTOR\" or \"INDEX\" is required.\n".into()));
    }
    if xpid.sel.family == 0 {
        xpid.sel.family = AF_INET;
    }
    let ty = if delete { XFRM_MSG_DELPOLICY } else { XFRM_MSG_GETPOLICY };
    let mut req = Request::new(ty, NLM_F_REQUEST, &xpid.to_bytes());
    if ptypep {
        req.addattr(XFRMA_POLICY_TYPE, &upt.to_bytes());
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
    rtnl.talk(req, !delete)
}

/// The list/deleteall filter (`struct xfrm_filter`, policy part).
#[derive(Debug, Default, Clone)]
struct Filter {
    use_: bool,
    xp: XfrmUserpolicyInfo,
    ptype: u8,
    dir: bool,
    ptype_mask: bool,
    sel: SelSeen,
    index: bool,
    action: bool,
    priority: bool,
    flags: bool,
    nosock: bool,
}

/// `xfrm_addr_match`: 0 when the first `bits` bits agree.
pub fn addr_match(a: &[u8; 16], b: &[u8; 16], bits: u8) -> bool {
    let bytes = (bits / 8) as usize;
    if a[..bytes] != b[..bytes] {
        return false;
    }
    let rem = bits % 8;
    if rem == 0 || bytes >= 16 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    (a[bytes] ^ b[bytes]) & mask == 0
}

impl Filter {
    /// `xfrm_policy_filter_match`.
    fn matches(&self, xp: &XfrmUserpolicyInfo, ptype: u8) -> bool {
        if !self.use_ {
            return true;
        }
        if self.nosock && xp.dir >= XFRM_POLICY_MAX {
            return false;
        }
        if self.dir && xp.dir != self.xp.dir {
            return false;
        }
        if self.ptype_mask && ptype != self.ptype {
            return false;
        }
        if self.sel.src_mask != 0
            && !addr_match(&xp.sel.saddr, &self.xp.sel.saddr, self.sel.src_mask)
        {
            return false;
        }
        if self.sel.dst_mask != 0
            && !addr_match(&xp.sel.daddr, &self.xp.sel.daddr, self.sel.dst_mask)
        {
            return false;
        }
        if self.sel.proto && xp.sel.proto != self.xp.sel.proto {
            return false;
        }
        if self.sel.sport && xp.sel.sport != self.xp.sel.sport {
            return false;
        }
        if self.sel.dport && xp.sel.dport != self.xp.sel.dport {
            return false;
        }
        if self.index && xp.index != self.xp.index {
            return false;
        }
        if self.action && xp.action != self.xp.action {
            return false;
        }
        if self.priority && xp.priority != self.xp.priority {
            return false;
        }
        if self.flags && xp.flags & self.xp.flags == 0 {
            return false;
        }
        true
    }
}

fn filter_parse(a: &mut Args<'_>) -> CResult<Filter> {
    let mut f = Filter::default();
    let mut selp = false;
    while a.more() {
        match a.word() {
            "dir" => {
                f.xp.dir = dir_parse(a.next_arg()?)?;
                f.dir = true;
            }
            "index" => {
                let w = a.next_arg()?;
                f.xp.index = get_u32(w).map_or_else(|| invarg("INDEX value is invalid", w), Ok)?;
                f.index = true;
            }
            "ptype" => {
                f.ptype = ptype_parse(a.next_arg()?)?;
                f.ptype_mask = true;
            }
            "action" => {
                let w = a.next_arg()?;
                f.xp.action = match w {
                    "allow" => XFRM_POLICY_ALLOW,
                    "block" => XFRM_POLICY_BLOCK,
                    _ => {
                        return Err(invarg::<()>("ACTION value is invalid\n", w)
                            .unwrap_err()
                            .into());
                    }
                };
                f.action = true;
            }
            "priority" => {
                let w = a.next_arg()?;
                f.xp.priority =
                    get_u32(w).map_or_else(|| invarg("PRIORITY value is invalid", w), Ok)?;
                f.priority = true;
            }
            "flag" => {
                a.next_arg()?;
                flag_parse(&mut f.xp.flags, a)?;
                f.flags = true;
            }
            "nosock" => f.nosock = true,
            w => {
                if selp {
                    return Err(invarg::<()>("unknown", w).unwrap_err().into());
                }
                selp = true;
                f.sel = selector_parse(&mut f.xp.sel, a)?;
            }
        }
        f.use_ = true;
        a.advance();
    }
    Ok(f)
}

/// The policy inside a NEWPOLICY/UPDPOLICY/DELPOLICY/POLEXPIRE message,
/// its attributes and its type.
fn policy_of<'m>(m: &Msg<'m>) -> Option<(XfrmUserpolicyInfo, AttrTable<'m>, u8, Option<u8>)> {
    let (fixed, hard) = match m.ty {
        XFRM_MSG_DELPOLICY => (XfrmUserpolicyId::SIZE, None),
        XFRM_MSG_POLEXPIRE => (XfrmUserPolexpire::SIZE, None),
        XFRM_MSG_NEWPOLICY | XFRM_MSG_UPDPOLICY => (XfrmUserpolicyInfo::SIZE, None),
        _ => return None,
    };
    let attrs = m.payload.get(crate::nl::align4(fixed)..).unwrap_or_default();
    if m.payload.len() < fixed {
        return None;
    }
    let tb = AttrTable::parse(attrs, XFRMA_MAX);
    let ptype = tb.get(XFRMA_POLICY_TYPE).and_then(|p| p.first().copied()).unwrap_or(0);
    let (xp, hard) = match m.ty {
        XFRM_MSG_DELPOLICY => (XfrmUserpolicyInfo::from_bytes(tb.get(XFRMA_POLICY)?).ok()?, hard),
        XFRM_MSG_POLEXPIRE => {
            let e = XfrmUserPolexpire::from_bytes(m.payload).ok()?;
            (e.pol, Some(e.hard))
        }
        _ => (XfrmUserpolicyInfo::from_bytes(m.payload).ok()?, hard),
    };
    Some((xp, tb, ptype, hard))
}

/// `xfrm_policy_print`: one policy message as `ip` prints it (with its
/// `Deleted`/`Updated`/`Expired` title).
pub fn print_policy_msg(out: &mut String, m: &Msg<'_>, o: &Opts) {
    let Some((xp, tb, _, hard)) = policy_of(m) else {
        return;
    };
    match m.ty {
        XFRM_MSG_DELPOLICY => out.push_str("Deleted "),
        XFRM_MSG_UPDPOLICY => out.push_str("Updated "),
        XFRM_MSG_POLEXPIRE => out.push_str("Expired "),
        _ => {}
    }
    policy_info(out, &xp, &tb, "", "", o);
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
    let f = filter_parse(a)?;
    let dump = || Request::new(XFRM_MSG_GETPOLICY, NLM_F_DUMP | NLM_F_REQUEST, &[]);
    if !deleteall {
        return rtnl.dump(dump(), &mut |m, _| {
            if let Some((xp, _, ptype, _)) = policy_of(m)
                && f.matches(&xp, ptype)
            {
                print_policy_msg(out, m, o);
            }
        });
    }
    loop {
        let mut dels = Vec::new();
        rtnl.dump(dump(), &mut |m, _| {
            if m.ty != XFRM_MSG_NEWPOLICY {
                return;
            }
            let Some((xp, tb, ptype, _)) = policy_of(m) else { return };
            if !f.matches(&xp, ptype) {
                return;
            }
            let xpid = XfrmUserpolicyId { sel: xp.sel, index: xp.index, dir: xp.dir };
            let mut r = Request::new(XFRM_MSG_DELPOLICY, NLM_F_REQUEST, &xpid.to_bytes());
            if ptype != XFRM_POLICY_TYPE_MAIN
                && let Some(p) = tb.get(XFRMA_POLICY_TYPE)
            {
                r.addattr(XFRMA_POLICY_TYPE, p);
            }
            if let Some(p) = tb.get(XFRMA_MARK) {
                r.addattr(XFRMA_MARK, p);
            }
            if let Some(p) = tb.get(XFRMA_IF_ID) {
                r.addattr(XFRMA_IF_ID, p);
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

/// `xfrm_spd_getinfo`: `ip xfrm policy count`.
fn count(rtnl: &mut Rtnl<'_>, o: &Opts, out: &mut String) -> CResult<()> {
    let req = Request::new(XFRM_MSG_GETSPDINFO, NLM_F_REQUEST, &u32::MAX.to_le_bytes());
    let Some(ans) = rtnl.talk(req, true)? else { return Ok(()) };
    let msgs = crate::nl::messages(&ans);
    let Some(m) = msgs.first() else { return Ok(()) };
    let tb = AttrTable::parse(m.payload.get(4..).unwrap_or_default(), XFRMA_SPD_MAX);
    out.push_str("\t SPD");
    if let Some(si) = tb.get(XFRMA_SPD_INFO) {
        let g = |i: usize| le_u32(si, i * 4) as i32;
        out.push_str(&format!(" IN  {} OUT {} FWD {}", g(0), g(1), g(2)));
        if o.stats > 0 {
            out.push_str(&format!(" (Sock: IN {} OUT {} FWD {})", g(3), g(4), g(5)));
        }
        out.push('\n');
    }
    if o.stats > 1 {
        if let Some(h) = tb.get(XFRMA_SPD_HINFO) {
            out.push_str(&format!(
                "\t SPD buckets: count {} Max {}\n",
                le_u32(h, 0) as i32,
                le_u32(h, 4) as i32
            ));
        }
        for (ty, name) in [(XFRMA_SPD_IPV4_HTHRESH, "IPv4"), (XFRMA_SPD_IPV6_HTHRESH, "IPv6")] {
            if let Some(t) = tb.get(ty) {
                let (l, r) = (t.first().copied().unwrap_or(0), t.get(1).copied().unwrap_or(0));
                out.push_str(&format!("\t SPD {name} thresholds: local {l} remote {r}\n"));
            }
        }
    }
    Ok(())
}

/// `xfrm_spd_setinfo`: `ip xfrm policy set [ hthresh4 L R ] [ hthresh6 L R ]`
/// (NEWSPDINFO with `XFRMA_SPD_IPV4_HTHRESH`/`IPV6_HTHRESH`).
fn spd_set(rtnl: &mut Rtnl<'_>, a: &mut Args<'_>) -> CResult<()> {
    let mut req = Request::new(XFRM_MSG_NEWSPDINFO, NLM_F_REQUEST, &u32::MAX.to_le_bytes());
    let mut attrs: Vec<(u16, [u8; 2])> = Vec::new();
    while a.more() {
        let key = a.word();
        let (ty, max) = match key {
            "hthresh4" => (XFRMA_SPD_IPV4_HTHRESH, 32),
            "hthresh6" => (XFRMA_SPD_IPV6_HTHRESH, 128),
            w => return Err(invarg::<()>("unknown", w).unwrap_err().into()),
        };
        let l = a.next_arg()?;
        let lbits = get_u8(l).filter(|v| *v <= max);
        let Some(lbits) = lbits else {
            return Err(invarg::<()>(&format!("{key} LBITS value is invalid"), l)
                .unwrap_err()
                .into());
        };
        let r = a.next_arg()?;
        let Some(rbits) = get_u8(r).filter(|v| *v <= max) else {
            return Err(invarg::<()>(&format!("{key} RBITS value is invalid"), r)
                .unwrap_err()
                .into());
        };
        attrs.push((ty, [lbits, rbits]));
        a.advance();
    }
    for (ty, v) in attrs {
        req.addattr(ty, &v);
    }
    rtnl.talk(req, false)?;
    Ok(())
}

/// `XFRM_USERPOLICY_BLOCK` / `XFRM_USERPOLICY_ACCEPT`.
const XFRM_USERPOLICY_BLOCK: u8 = 1;
const XFRM_USERPOLICY_ACCEPT: u8 = 2;

/// `xfrm_policy_setdefault`: `setdefault DIR ACTION [ DIR ACTION ]...`.
fn setdefault(rtnl: &mut Rtnl<'_>, a: &mut Args<'_>) -> CResult<()> {
    let mut up = [0u8; 3];
    if !a.more() {
        return Err(incomplete::<()>().unwrap_err().into());
    }
    while a.more() {
        let dir = a.word();
        let slot = match dir {
            "in" => 0,
            "fwd" => 1,
            "out" => 2,
            w => return Err(invarg::<()>("unknown direction", w).unwrap_err().into()),
        };
        let act = a.next_arg()?;
        up[slot] = match act {
            "accept" => XFRM_USERPOLICY_ACCEPT,
            "block" => XFRM_USERPOLICY_BLOCK,
            w => {
                return Err(invarg::<()>(&format!("{dir} policy value is invalid"), w)
                    .unwrap_err()
                    .into());
            }
        };
        a.advance();
    }
    rtnl.talk(Request::new(XFRM_MSG_SETDEFAULT, NLM_F_REQUEST, &up), false)?;
    Ok(())
}

/// `xfrm_policy_getdefault`.
fn getdefault(rtnl: &mut Rtnl<'_>, out: &mut String) -> CResult<()> {
    let Some(ans) =
        rtnl.talk(Request::new(XFRM_MSG_GETDEFAULT, NLM_F_REQUEST, &[0, 0, 0]), true)?
    else {
        return Ok(());
    };
    let msgs = crate::nl::messages(&ans);
    let Some(m) = msgs.first() else { return Ok(()) };
    let name = |i: usize| match m.payload.get(i) {
        Some(&XFRM_USERPOLICY_ACCEPT) => "accept",
        Some(&XFRM_USERPOLICY_BLOCK) => "block",
        _ => "unspec",
    };
    out.push_str(&format!(
        "Default policies:\n in:  {}\n fwd: {}\n out: {}\n",
        name(0),
        name(1),
        name(2)
    ));
    Ok(())
}

/// `xfrm_policy_flush`.
fn flush(rtnl: &mut Rtnl<'_>, a: &mut Args<'_>) -> CResult<()> {
    let mut req = Request::new(XFRM_MSG_FLUSHPOLICY, NLM_F_REQUEST, &[]);
    let mut ptypep = false;
    let mut upt = XfrmUserpolicyType::default();
    while a.more() {
        match a.word() {
            "ptype" => {
                if ptypep {
                    return Err(duparg::<()>("ptype", a.word()).unwrap_err().into());
                }
                ptypep = true;
                upt.type_ = ptype_parse(a.next_arg()?)?;
            }
            w => return Err(invarg::<()>("unknown", w).unwrap_err().into()),
        }
        a.advance();
    }
    if ptypep {
        req.addattr(XFRMA_POLICY_TYPE, &upt.to_bytes());
    }
    rtnl.talk(req, false)?;
    Ok(())
}

/// `do_xfrm_policy`: dispatches `ip xfrm policy COMMAND ...`.
pub fn do_policy(rtnl: &mut Rtnl<'_>, argv: &[String], o: &Opts, out: &mut String) -> CResult<()> {
    let mut a = Args::new(argv);
    let Some(cmd) = a.cur() else {
        return list_or_deleteall(rtnl, false, &mut a, o, out);
    };
    let m = |full: &str| !cmd.is_empty() && full.starts_with(cmd);
    a.advance();
    if m("add") {
        modify(rtnl, XFRM_MSG_NEWPOLICY, &mut a)
    } else if m("update") {
        modify(rtnl, XFRM_MSG_UPDPOLICY, &mut a)
    } else if m("delete") {
        get_or_delete(rtnl, true, &mut a).map(|_| ())
    } else if m("deleteall") || m("delall") {
        list_or_deleteall(rtnl, true, &mut a, o, out)
    } else if m("list") || m("show") || m("lst") {
        list_or_deleteall(rtnl, false, &mut a, o, out)
    } else if m("get") {
        if let Some(ans) = get_or_delete(rtnl, false, &mut a)? {
            for msg in crate::nl::messages(&ans) {
                print_policy_msg(out, &msg, o);
            }
        }
        Ok(())
    } else if m("flush") {
        flush(rtnl, &mut a)
    } else if m("count") {
        count(rtnl, o, out)
    } else if cmd == "setdefault" {
        setdefault(rtnl, &mut a)
    } else if m("set") {
        spd_set(rtnl, &mut a)
    } else if m("getdefault") {
        getdefault(rtnl, out)
    } else if m("help") {
        Err(Fail::Usage(USAGE.into()))
    } else {
        Err(Fail::Usage(format!("Command \"{cmd}\" is unknown, try \"ip xfrm policy help\".\n")))
    }
}

/// `ip xfrm policy help`.
pub const USAGE: &str = "Usage: ip xfrm policy { add | update } SELECTOR dir DIR [ ctx CTX ]
\t[ mark MARK [ mask MASK ] ] [ index INDEX ] [ ptype PTYPE ]
\t[ action ACTION ] [ priority PRIORITY ] [ flag FLAG-LIST ]
\t[ if_id IF_ID ] [ LIMIT-LIST ] [ TMPL-LIST ]
Usage: ip xfrm policy { delete | get } { SELECTOR | index INDEX } dir DIR
\t[ ctx CTX ] [ mark MARK [ mask MASK ] ] [ ptype PTYPE ]
\t[ if_id IF_ID ]
Usage: ip xfrm policy { deleteall | list } [ nosock ] [ SELECTOR ] [ dir DIR ]
\t[ index INDEX ] [ ptype PTYPE ] [ action ACTION ] [ priority PRIORITY ]
\t[ flag FLAG-LIST ]
Usage: ip xfrm policy flush [ ptype PTYPE ]
Usage: ip xfrm policy count
Usage: ip xfrm policy set [ hthresh4 LBITS RBITS ] [ hthresh6 LBITS RBITS ]
Usage: ip xfrm policy setdefault DIR ACTION [ DIR ACTION ] [ DIR ACTION ]
Usage: ip xfrm policy getdefault
SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev DEV ] [ UPSPEC ]
UPSPEC := proto { { tcp | udp | sctp | dccp } [ sport PORT ] [ dport PORT ] |
                  { icmp | ipv6-icmp | mobility-header } [ type NUMBER ] [ code NUMBER ] |
                  gre [ key { DOTTED-QUAD | NUMBER } ] | PROTO }
DIR := in | out | fwd
PTYPE := main | sub
ACTION := allow | block
FLAG-LIST := [ FLAG-LIST ] FLAG
FLAG := localok | icmp
LIMIT-LIST := [ LIMIT-LIST ] limit LIMIT
LIMIT := { time-soft | time-hard | time-use-soft | time-use-hard } SECONDS |
         { byte-soft | byte-hard } SIZE | { packet-soft | packet-hard } COUNT
TMPL-LIST := [ TMPL-LIST ] tmpl TMPL
TMPL := ID [ mode MODE ] [ reqid REQID ] [ level LEVEL ]
ID := [ src ADDR ] [ dst ADDR ] [ proto XFRM-PROTO ] [ spi SPI ]
XFRM-PROTO := esp | ah | comp | route2 | hao
MODE := transport | tunnel | beet | ro | in_trigger
LEVEL := required | use
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_match() {
        let a = sim_sockets::xfrm_user::wire::xfrm_address_v4([10, 1, 2, 3]);
        let b = sim_sockets::xfrm_user::wire::xfrm_address_v4([10, 1, 200, 3]);
        assert!(addr_match(&a, &b, 16));
        assert!(!addr_match(&a, &b, 17));
        assert!(addr_match(&a, &b, 0));
    }

    #[test]
    fn sctx_layout() {
        let p = sctx_payload("ab");
        assert_eq!(p, vec![11, 0, 8, 0, 1, 1, 3, 0, b'a', b'b', 0]);
    }
}
