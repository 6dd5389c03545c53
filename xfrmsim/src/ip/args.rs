//! Argument parsing shared by `ip xfrm state` and `ip xfrm policy`
//! (iproute2 `lib/utils.c`: `get_u32`, `get_prefix`, `invarg`,
//! `missarg`, `duparg`; `ip/ipxfrm.c`: `xfrm_selector_parse`,
//! `xfrm_id_parse`, `xfrm_mode_parse`, `xfrm_parse_mark`,
//! `xfrm_lifetime_cfg_parse`).

use std::net::{Ipv4Addr, Ipv6Addr};

use sim_sockets::xfrm_user::uapi::{
    XFRM_MODE_BEET, XFRM_MODE_IN_TRIGGER, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_TRANSPORT,
    XFRM_MODE_TUNNEL,
};
use sim_sockets::xfrm_user::wire::{XfrmId, XfrmLifetimeCfg, XfrmMark, XfrmSelector};

use super::names::{proto_by_name, xfrmproto_by_name};

pub use sim_sockets::xfrm_user::uapi::{AF_INET, AF_INET6};

/// A command-line error: the text iproute2 prints on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

/// Result of parsing.
pub type PResult<T> = Result<T, Usage>;

/// `invarg`.
pub fn invarg<T>(msg: &str, arg: &str) -> PResult<T> {
    Err(Usage(format!("Error: argument \"{arg}\" is wrong: {msg}\n")))
}

/// `missarg`.
pub fn missarg<T>(key: &str) -> PResult<T> {
    Err(Usage(format!("Error: argument \"{key}\" is required\n")))
}

/// `duparg`.
pub fn duparg<T>(key: &str, arg: &str) -> PResult<T> {
    Err(Usage(format!("Error: duplicate \"{key}\": \"{arg}\" is the second value.\n")))
}

/// `incomplete_command`.
pub fn incomplete<T>() -> PResult<T> {
    Err(Usage("Command line is not complete. Try option \"help\"\n".into()))
}

/// A cursor over the words of one command (`argc`/`argv` with
/// `NEXT_ARG`, `PREV_ARG`, `NEXT_ARG_OK`).
#[derive(Debug, Clone)]
pub struct Args<'a> {
    v: &'a [String],
    i: usize,
}

impl<'a> Args<'a> {
    /// A cursor at the first word.
    pub fn new(v: &'a [String]) -> Args<'a> {
        Args { v, i: 0 }
    }

    /// The current word.
    pub fn cur(&self) -> Option<&'a str> {
        self.v.get(self.i).map(String::as_str)
    }

    /// The current word (callers check `more` first).
    pub fn word(&self) -> &'a str {
        self.cur().unwrap_or("")
    }

    /// True while words remain (`argc > 0`).
    pub fn more(&self) -> bool {
        self.i < self.v.len()
    }

    /// `NEXT_ARG_OK`.
    pub fn next_ok(&self) -> bool {
        self.i + 1 < self.v.len()
    }

    /// `argc--, argv++`.
    pub fn advance(&mut self) {
        self.i += 1;
    }

    /// `PREV_ARG`.
    pub fn back(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    /// `NEXT_ARG`: moves on, failing when nothing follows.
    pub fn next_arg(&mut self) -> PResult<&'a str> {
        if !self.next_ok() {
            return incomplete();
        }
        self.i += 1;
        Ok(self.word())
    }

    /// Position (to detect that a sub-parser consumed nothing).
    pub fn pos(&self) -> usize {
        self.i
    }
}

/// `strtoul(s, &end, 0)` with the checks of `get_u64`: hex with `0x`,
/// octal with a leading 0, decimal otherwise; the whole word must be a
/// number.
pub fn get_u64(s: &str) -> Option<u64> {
    let s = s.trim_start();
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `get_u32`.
pub fn get_u32(s: &str) -> Option<u32> {
    get_u64(s).and_then(|v| u32::try_from(v).ok())
}

/// `get_u16`.
pub fn get_u16(s: &str) -> Option<u16> {
    get_u64(s).and_then(|v| u16::try_from(v).ok())
}

/// `get_u8`.
pub fn get_u8(s: &str) -> Option<u8> {
    get_u64(s).and_then(|v| u8::try_from(v).ok())
}

/// `inet_prefix` as `get_prefix` fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// `AF_INET` or `AF_INET6`.
    pub family: u16,
    /// The address in `xfrm_address_t` layout.
    pub addr: [u8; 16],
    /// Prefix length (the full width when none was given).
    pub bitlen: u8,
}

/// `get_prefix(dst, arg, AF_UNSPEC)` for numeric addresses.
pub fn get_prefix(s: &str, what: &str) -> PResult<Prefix> {
    let (a, plen) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let (family, addr, max) = if let Ok(v4) = a.parse::<Ipv4Addr>() {
        let mut addr = [0u8; 16];
        addr[..4].copy_from_slice(&v4.octets());
        (AF_INET, addr, 32u8)
    } else if let Ok(v6) = a.parse::<Ipv6Addr>() {
        (AF_INET6, v6.octets(), 128u8)
    } else {
        return Err(Usage(format!("Error: {what} prefix is expected rather than \"{s}\".\n")));
    };
    let bitlen = match plen {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => {
                return Err(Usage(format!(
                    "Error: {what} prefix is expected rather than \"{s}\".\n"
                )));
            }
        },
    };
    Ok(Prefix { family, addr, bitlen })
}

/// `get_addr` for a plain address.
pub fn get_addr(s: &str, what: &str) -> PResult<Prefix> {
    let p = get_prefix(s, what)?;
    if s.contains('/') {
        return Err(Usage(format!("Error: {what} address is expected rather than \"{s}\".\n")));
    }
    Ok(p)
}

/// What a selector parse saw (the `filter` masks of iproute2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelSeen {
    /// `filter.sel_src_mask`.
    pub src_mask: u8,
    /// `filter.sel_dst_mask`.
    pub dst_mask: u8,
    /// `filter.upspec_proto_mask` set.
    pub proto: bool,
    /// `filter.upspec_sport_mask` set.
    pub sport: bool,
    /// `filter.upspec_dport_mask` set.
    pub dport: bool,
}

const IPPROTO_ICMP: u8 = 1;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_DCCP: u8 = 33;
const IPPROTO_GRE: u8 = 47;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_SCTP: u8 = 132;
const IPPROTO_MH: u8 = 135;

fn upspec_parse(sel: &mut XfrmSelector, a: &mut Args<'_>, seen: &mut SelSeen) -> PResult<()> {
    let (mut ports, mut typecode, mut grekey) = (false, false, false);
    loop {
        match a.word() {
            "proto" => {
                let w = a.next_arg()?;
                sel.proto = if w == "any" {
                    0
                } else if let Some(p) = proto_by_name(w) {
                    p
                } else {
                    match get_u8(w) {
                        Some(p) => p,
                        None => return invarg("PROTO value is invalid", w),
                    }
                };
                seen.proto = true;
            }
            "sport" | "dport" => {
                let key = a.word();
                let w = a.next_arg()?;
                let Some(port) = get_u16(w) else {
                    return invarg("value after \"sport\" and \"dport\" has to be a number", w);
                };
                if key == "sport" {
                    sel.sport = port;
                    if port != 0 {
                        sel.sport_mask = 0xffff;
                    }
                    seen.sport = true;
                } else {
                    sel.dport = port;
                    if port != 0 {
                        sel.dport_mask = 0xffff;
                    }
                    seen.dport = true;
                }
                ports = true;
            }
            "type" | "code" => {
                let key = a.word();
                let w = a.next_arg()?;
                let v = match get_u16(w) {
                    Some(v) if v <= 0xff => v,
                    _ => {
                        return invarg(
                            &format!("value after \"{key}\" has to be a number between 0 and 255"),
                            w,
                        );
                    }
                };
                if key == "type" {
                    sel.sport = v;
                    sel.sport_mask = 0xffff;
                    seen.sport = true;
                } else {
                    sel.dport = v;
                    sel.dport_mask = 0xffff;
                    seen.dport = true;
                }
                typecode = true;
            }
            "key" => {
                let w = a.next_arg()?;
                let v = if w.contains('.') {
                    match w.parse::<Ipv4Addr>() {
                        Ok(ip) => u32::from_be_bytes(ip.octets()),
                        Err(_) => {
                            return invarg(
                                "value after \"key\" has to be a number or an IPv4 address",
                                w,
                            );
                        }
                    }
                } else {
                    match get_u32(w) {
                        Some(v) => v,
                        None => {
                            return invarg(
                                "value after \"key\" has to be a number or an IPv4 address",
                                w,
                            );
                        }
                    }
                };
                sel.sport = (v >> 16) as u16;
                sel.dport = (v & 0xffff) as u16;
                sel.sport_mask = 0xffff;
                sel.dport_mask = 0xffff;
                seen.dport = true;
                grekey = true;
            }
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
    let name = super::names::proto_name(sel.proto);
    if ports && !matches!(sel.proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP | IPPROTO_DCCP) {
        return Err(Usage(format!(
            "\"sport\" and \"dport\" are invalid with PROTO value \"{name}\"\n"
        )));
    }
    if typecode && !matches!(sel.proto, IPPROTO_ICMP | IPPROTO_ICMPV6 | IPPROTO_MH) {
        return Err(Usage(format!(
            "\"type\" and \"code\" are invalid with PROTO value \"{name}\"\n"
        )));
    }
    if grekey && sel.proto != IPPROTO_GRE {
        return Err(Usage(format!("\"key\" is invalid with PROTO value \"{name}\"\n")));
    }
    Ok(())
}

/// `xfrm_selector_parse`: `[ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev
/// DEV ] [ UPSPEC ]`, leaving the cursor on its last word.
pub fn selector_parse(sel: &mut XfrmSelector, a: &mut Args<'_>) -> PResult<SelSeen> {
    if !is_selector_word(a.word()) {
        return missarg("SELECTOR");
    }
    let mut seen = SelSeen::default();
    let (mut sfam, mut dfam) = (0u16, 0u16);
    let mut upspec = false;
    loop {
        match a.word() {
            "src" => {
                let w = a.next_arg()?;
                let p = get_prefix(w, "src")?;
                sel.family = p.family;
                sfam = p.family;
                sel.saddr = p.addr;
                sel.prefixlen_s = p.bitlen;
                seen.src_mask = p.bitlen;
            }
            "dst" => {
                let w = a.next_arg()?;
                let p = get_prefix(w, "dst")?;
                sel.family = p.family;
                dfam = p.family;
                sel.daddr = p.addr;
                sel.prefixlen_d = p.bitlen;
                seen.dst_mask = p.bitlen;
            }
            "dev" => {
                let w = a.next_arg()?;
                if w == "none" {
                    sel.ifindex = 0;
                } else {
                    // The simulation has no network devices.
                    return invarg("DEV value is invalid", w);
                }
            }
            w if !upspec && matches!(w, "proto" | "sport" | "dport" | "type" | "code" | "key") => {
                upspec = true;
                upspec_parse(sel, a, &mut seen)?;
            }
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
    if sfam != 0 && dfam != 0 && sfam != dfam {
        return invarg(
            "the same address family is required between values after \"src\" and \"dst\"",
            a.word(),
        );
    }
    Ok(seen)
}

/// True for words that start a selector.
pub fn is_selector_word(w: &str) -> bool {
    matches!(w, "src" | "dst" | "dev" | "proto" | "sport" | "dport" | "type" | "code" | "key")
}

/// What `xfrm_id_parse` saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdSeen {
    /// Family of the addresses given (0 if none).
    pub family: u16,
    /// `filter.id_src_mask`.
    pub src_mask: u8,
    /// `filter.id_dst_mask`.
    pub dst_mask: u8,
    /// `filter.id_proto_mask` set.
    pub proto: bool,
    /// `filter.id_spi_mask` set.
    pub spi: bool,
}

/// `xfrm_id_parse`: `[ src ADDR ] [ dst ADDR ] [ proto XFRM-PROTO ] [ spi
/// SPI ]`; `loose` allows a missing protocol.
pub fn id_parse(
    saddr: &mut [u8; 16],
    id: &mut XfrmId,
    loose: bool,
    a: &mut Args<'_>,
) -> PResult<IdSeen> {
    if !is_id_word(a.word()) {
        return missarg("ID");
    }
    let mut seen = IdSeen::default();
    let (mut sfam, mut dfam) = (0u16, 0u16);
    loop {
        match a.word() {
            "src" => {
                let w = a.next_arg()?;
                let p = get_prefix(w, "src")?;
                sfam = p.family;
                seen.family = p.family;
                *saddr = p.addr;
                seen.src_mask = p.bitlen;
            }
            "dst" => {
                let w = a.next_arg()?;
                let p = get_prefix(w, "dst")?;
                dfam = p.family;
                seen.family = p.family;
                id.daddr = p.addr;
                seen.dst_mask = p.bitlen;
            }
            "proto" => {
                let w = a.next_arg()?;
                match xfrmproto_by_name(w) {
                    Some(p) => id.proto = p,
                    None => return invarg("XFRM-PROTO value is invalid", w),
                }
                seen.proto = true;
            }
            "spi" => {
                let w = a.next_arg()?;
                match get_u32(w) {
                    Some(s) => id.spi = s,
                    None => return invarg("SPI value is invalid", w),
                }
                seen.spi = true;
            }
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
    if sfam != 0 && dfam != 0 && sfam != dfam {
        return invarg(
            "the same address family is required between values after \"src\" and \"dst\"",
            a.word(),
        );
    }
    if !loose && id.proto == 0 {
        return missarg("XFRM-PROTO");
    }
    Ok(seen)
}

/// True for words that start an ID.
pub fn is_id_word(w: &str) -> bool {
    matches!(w, "src" | "dst" | "proto" | "spi")
}

/// `xfrm_mode_parse` (prefix matches, as iproute2's `matches`).
pub fn mode_parse(w: &str) -> PResult<u8> {
    let m = |full: &str| !w.is_empty() && full.starts_with(w);
    if m("transport") {
        Ok(XFRM_MODE_TRANSPORT)
    } else if m("tunnel") {
        Ok(XFRM_MODE_TUNNEL)
    } else if m("ro") {
        Ok(XFRM_MODE_ROUTEOPTIMIZATION)
    } else if m("in_trigger") {
        Ok(XFRM_MODE_IN_TRIGGER)
    } else if m("beet") {
        Ok(XFRM_MODE_BEET)
    } else {
        invarg("MODE value is invalid", w)
    }
}

/// `xfrm_parse_mark`: `mark MARK [ mask MASK ]` (cursor on `mark`).
pub fn mark_parse(a: &mut Args<'_>) -> PResult<XfrmMark> {
    let w = a.next_arg()?;
    let Some(v) = get_u32(w) else { return invarg("MARK value is invalid", w) };
    let mut mark = XfrmMark { v, m: 0xffff_ffff };
    if a.next_ok() {
        a.advance();
        if a.word() == "mask" {
            let w = a.next_arg()?;
            match get_u32(w) {
                Some(m) => mark.m = m,
                None => return invarg("MASK value is invalid", w),
            }
        } else {
            a.back();
        }
    }
    Ok(mark)
}

/// `xfrm_lifetime_cfg_parse` (cursor on the word after `limit`).
pub fn lifetime_parse(lft: &mut XfrmLifetimeCfg, a: &mut Args<'_>) -> PResult<()> {
    let key = a.word();
    let slot = match key {
        "time-soft" => &mut lft.soft_add_expires_seconds,
        "time-hard" => &mut lft.hard_add_expires_seconds,
        "time-use-soft" => &mut lft.soft_use_expires_seconds,
        "time-use-hard" => &mut lft.hard_use_expires_seconds,
        "byte-soft" => &mut lft.soft_byte_limit,
        "byte-hard" => &mut lft.hard_byte_limit,
        "packet-soft" => &mut lft.soft_packet_limit,
        "packet-hard" => &mut lft.hard_packet_limit,
        _ => return invarg("LIMIT value is invalid", key),
    };
    let w = a.next_arg()?;
    match get_u64(w) {
        Some(v) => *slot = v,
        None => return invarg(&format!("{key} value is invalid"), w),
    }
    Ok(())
}

/// A lifetime with every limit at `XFRM_INF` (what `ip` starts from).
pub fn lifetime_inf() -> XfrmLifetimeCfg {
    XfrmLifetimeCfg {
        soft_byte_limit: u64::MAX,
        hard_byte_limit: u64::MAX,
        soft_packet_limit: u64::MAX,
        hard_packet_limit: u64::MAX,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_strtoul_base_zero() {
        assert_eq!(get_u32("0x10"), Some(16));
        assert_eq!(get_u32("010"), Some(8));
        assert_eq!(get_u32("10"), Some(10));
        assert_eq!(get_u32("0"), Some(0));
        assert_eq!(get_u32("4294967296"), None);
        assert_eq!(get_u32("12ab"), None);
        assert_eq!(get_u32(""), None);
        assert_eq!(get_u32("-1"), None);
        assert_eq!(get_u8("256"), None);
    }

    #[test]
    fn prefixes() {
        let p = get_prefix("10.0.0.0/24", "src").unwrap();
        assert_eq!((p.family, p.bitlen, &p.addr[..4]), (AF_INET, 24, &[10, 0, 0, 0][..]));
        assert_eq!(get_prefix("::1", "dst").unwrap().bitlen, 128);
        assert!(get_prefix("10.0.0.0/33", "src").is_err());
        assert!(get_prefix("nothing", "src").is_err());
    }

    #[test]
    fn modes_match_prefixes() {
        assert_eq!(mode_parse("tun").unwrap(), XFRM_MODE_TUNNEL);
        assert_eq!(mode_parse("t").unwrap(), XFRM_MODE_TRANSPORT);
        assert!(mode_parse("x").is_err());
    }
}
