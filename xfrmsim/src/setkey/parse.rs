//! setkey's configuration language (ipsec-tools `src/setkey/token.l`,
//! `parse.y`, and `libipsec/policy_parse.y` for `-P` policies), turned
//! into the PF_KEY v2 messages setkey sends (`setkeymsg_add`,
//! `setkeymsg_addr`, `setkeymsg_spdaddr`, `setkeymsg0`).

use std::net::{Ipv4Addr, Ipv6Addr};

use sim_sockets::af_key::wire::consts::*;
use sim_sockets::af_key::wire::{
    IpsecRequestAddrs, SadbAddressRepr, SadbExtRepr, SadbKeyRepr, SadbLifetimeRepr,
    SadbMessageRepr, SadbMsgRepr, SadbSaRepr, SadbXIpsecrequestRepr, SadbXPolicyRepr, SadbXSa2Repr,
    SockAddr, SockAddrIn, SockAddrIn6,
};

/// `PRIORITY_LOW`, `PRIORITY_DEFAULT`, `PRIORITY_HIGH` of `policy_parse.y`.
pub const PRIORITY_HIGH: u32 = 0x4000_0000;
/// `PRIORITY_DEFAULT`.
pub const PRIORITY_DEFAULT: u32 = 0x8000_0000;
/// `PRIORITY_LOW`.
pub const PRIORITY_LOW: u32 = 0xC000_0000;

/// One statement, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The request.
    pub msg: SadbMessageRepr,
    /// The statement's first line (for "The result of line N").
    pub line: usize,
}

/// A parse error: setkey's `yyerror` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Line of the offending token.
    pub line: usize,
    /// What was wrong.
    pub msg: String,
}

/// Splits the text into (line, token): `;` stands alone, `#` comments
/// to the end of the line, double quotes group.
pub fn tokenize(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut cur = String::new();
        let mut quoted = false;
        let mut in_tok = false;
        for c in line.chars() {
            if quoted {
                cur.push(c);
                if c == '"' {
                    quoted = false;
                }
                continue;
            }
            match c {
                '#' => break,
                '"' => {
                    quoted = true;
                    in_tok = true;
                    cur.push(c);
                }
                ';' => {
                    if in_tok {
                        out.push((n + 1, std::mem::take(&mut cur)));
                        in_tok = false;
                    }
                    out.push((n + 1, ";".into()));
                }
                c if c.is_whitespace() => {
                    if in_tok {
                        out.push((n + 1, std::mem::take(&mut cur)));
                        in_tok = false;
                    }
                }
                c => {
                    cur.push(c);
                    in_tok = true;
                }
            }
        }
        if in_tok {
            out.push((n + 1, cur));
        }
    }
    out
}

struct Toks<'a> {
    t: &'a [(usize, String)],
    i: usize,
}

impl<'a> Toks<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.t.get(self.i).map(|(_, s)| s.as_str())
    }
    fn line(&self) -> usize {
        self.t.get(self.i).or_else(|| self.t.last()).map_or(1, |(l, _)| *l)
    }
    fn next(&mut self) -> Result<&'a str, SyntaxError> {
        let line = self.line();
        let s = self.peek().ok_or(SyntaxError { line, msg: "syntax error".into() })?;
        self.i += 1;
        Ok(s)
    }
    fn err<T>(&self, msg: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError { line: self.line(), msg: msg.into() })
    }
}

/// An address with its optional `/prefix` and `[port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    /// The socket address (port in it).
    pub sa: SockAddr,
    /// Prefix length (full width by default).
    pub plen: u8,
}

fn parse_addr(s: &str, allow_range: bool) -> Option<Addr> {
    let (rest, port) = match s.strip_suffix(']').and_then(|r| r.rsplit_once('[')) {
        Some((a, p)) if allow_range => {
            let port = if p == "any" { 0 } else { p.parse::<u16>().ok()? };
            (a, port)
        }
        Some(_) => return None,
        None => (s, 0),
    };
    let (a, plen) = match rest.split_once('/') {
        Some((a, p)) if allow_range => (a, Some(p.parse::<u8>().ok()?)),
        Some(_) => return None,
        None => (rest, None),
    };
    if let Ok(v4) = a.parse::<Ipv4Addr>() {
        let plen = plen.unwrap_or(32);
        if plen > 32 {
            return None;
        }
        Some(Addr { sa: SockAddr::In(SockAddrIn { port, addr: v4.octets() }), plen })
    } else if let Ok(v6) = a.parse::<Ipv6Addr>() {
        let plen = plen.unwrap_or(128);
        if plen > 128 {
            return None;
        }
        let sa = SockAddrIn6 { port, flowinfo: 0, addr: v6.octets(), scope_id: 0 };
        Some(Addr { sa: SockAddr::In6(sa), plen })
    } else {
        None
    }
}

fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn key(s: &str) -> Option<Vec<u8>> {
    if let Some(q) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Some(q.as_bytes().to_vec());
    }
    let h = s.strip_prefix("0x")?;
    if h.len() % 2 != 0 {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn satype(s: &str) -> Option<u8> {
    match s {
        "esp" | "esp-old" => Some(SADB_SATYPE_ESP),
        "ah" | "ah-old" => Some(SADB_SATYPE_AH),
        "ipcomp" => Some(SADB_X_SATYPE_IPCOMP),
        _ => None,
    }
}

/// setkey's encryption algorithm names (`token.l`, `algs` table).
pub fn ealg_by_name(s: &str) -> Option<u8> {
    Some(match s {
        "des-cbc" => SADB_EALG_DESCBC,
        "3des-cbc" => SADB_EALG_3DESCBC,
        "null" => SADB_EALG_NULL,
        "simple" => SADB_EALG_NULL,
        "blowfish-cbc" => SADB_X_EALG_BLOWFISHCBC,
        "cast128-cbc" => SADB_X_EALG_CASTCBC,
        "rijndael-cbc" | "aes-cbc" => SADB_X_EALG_AESCBC,
        "twofish-cbc" => SADB_X_EALG_TWOFISHCBC,
        "aes-ctr" => SADB_X_EALG_AESCTR,
        "camellia-cbc" => SADB_X_EALG_CAMELLIACBC,
        _ => return None,
    })
}

/// setkey's authentication algorithm names.
pub fn aalg_by_name(s: &str) -> Option<u8> {
    Some(match s {
        "hmac-md5" => SADB_AALG_MD5HMAC,
        "hmac-sha1" => SADB_AALG_SHA1HMAC,
        "hmac-sha256" | "hmac-sha2-256" => SADB_X_AALG_SHA2_256HMAC,
        "hmac-sha384" | "hmac-sha2-384" => SADB_X_AALG_SHA2_384HMAC,
        "hmac-sha512" | "hmac-sha2-512" => SADB_X_AALG_SHA2_512HMAC,
        "hmac-ripemd160" => SADB_X_AALG_RIPEMD160HMAC,
        "aes-xcbc-mac" => SADB_X_AALG_AES_XCBC_MAC,
        "null" => SADB_X_AALG_NULL,
        _ => return None,
    })
}

/// setkey's compression algorithm names.
pub fn calg_by_name(s: &str) -> Option<u8> {
    Some(match s {
        "oui" => SADB_X_CALG_OUI,
        "deflate" => SADB_X_CALG_DEFLATE,
        "lzs" => SADB_X_CALG_LZS,
        _ => return None,
    })
}

fn address(exttype: u16, a: &Addr, proto: u8) -> SadbExtRepr {
    SadbExtRepr::Address(SadbAddressRepr {
        exttype,
        proto,
        prefixlen: a.plen,
        reserved: 0,
        addr: a.sa,
    })
}

fn header(msg_type: u8, satype: u8) -> SadbMsgRepr {
    SadbMsgRepr { version: 2, msg_type, satype, ..Default::default() }
}

fn family(a: &Addr) -> u16 {
    match a.sa {
        SockAddr::In(_) => AF_INET,
        SockAddr::In6(_) => AF_INET6,
    }
}

fn skip_family_flags(t: &mut Toks<'_>) {
    while matches!(t.peek(), Some("-4" | "-6" | "-n")) {
        t.i += 1;
    }
}

fn addr_pair(t: &mut Toks<'_>, range: bool) -> Result<(Addr, Addr), SyntaxError> {
    let s = t.next()?;
    let Some(src) = parse_addr(s, range) else { return t.err(&format!("invalid address {s}")) };
    let d = t.next()?;
    let Some(dst) = parse_addr(d, range) else { return t.err(&format!("invalid address {d}")) };
    if family(&src) != family(&dst) {
        return t.err("address family mismatch");
    }
    Ok((src, dst))
}

/// `add`/`update`: `setkeymsg_add`.
fn sa_add(t: &mut Toks<'_>, msg_type: u8) -> Result<SadbMessageRepr, SyntaxError> {
    skip_family_flags(t);
    let (src, dst) = addr_pair(t, false)?;
    let p = t.next()?;
    let Some(sat) = satype(p) else { return t.err(&format!("unknown protocol {p}")) };
    let s = t.next()?;
    let Some(spi) = number(s).and_then(|v| u32::try_from(v).ok()) else {
        return t.err("invalid SPI");
    };
    let (mut mode, mut replay, mut reqid, mut flags) = (IPSEC_MODE_ANY, 0u8, 0u32, 0u32);
    let (mut enc, mut auth) = (None::<(u8, Vec<u8>)>, None::<(u8, Vec<u8>)>);
    let mut comp = None;
    let (mut lh, mut ls, mut bh, mut bs) = (0u64, 0u64, 0u64, 0u64);
    while let Some(w) = t.peek() {
        if w == ";" {
            break;
        }
        t.i += 1;
        match w {
            "-m" => {
                mode = match t.next()? {
                    "transport" => IPSEC_MODE_TRANSPORT,
                    "tunnel" => IPSEC_MODE_TUNNEL,
                    "any" => IPSEC_MODE_ANY,
                    m => return t.err(&format!("invalid mode {m}")),
                }
            }
            "-r" => {
                let Some(v) = number(t.next()?).and_then(|v| u8::try_from(v).ok()) else {
                    return t.err("invalid replay window");
                };
                replay = v;
            }
            "-u" => {
                let Some(v) = number(t.next()?).and_then(|v| u32::try_from(v).ok()) else {
                    return t.err("invalid reqid");
                };
                reqid = v;
            }
            "-f" => {
                // Padding and sequence options: only nocyclic-seq has a
                // PF_KEY bit (SADB_X_EXT_CYCSEQ is its opposite).
                match t.next()? {
                    "zero-pad" | "random-pad" | "seq-pad" | "nocyclic-seq" => {}
                    "cyclic-seq" => flags |= 0x10,
                    o => return t.err(&format!("invalid -f option {o}")),
                }
            }
            "-lh" | "-ls" | "-bh" | "-bs" => {
                let Some(v) = number(t.next()?) else { return t.err("invalid lifetime") };
                match w {
                    "-lh" => lh = v,
                    "-ls" => ls = v,
                    "-bh" => bh = v,
                    _ => bs = v,
                }
            }
            "-E" => {
                let n = t.next()?;
                let Some(a) = ealg_by_name(n) else {
                    return t.err(&format!("unknown encryption algorithm {n}"));
                };
                let k = if a == SADB_EALG_NULL
                    && t.peek().is_some_and(|x| x.starts_with('-') || x == ";")
                {
                    Vec::new()
                } else {
                    let ks = t.next()?;
                    match key(ks) {
                        Some(k) => k,
                        None => return t.err("invalid key"),
                    }
                };
                enc = Some((a, k));
            }
            "-A" => {
                let n = t.next()?;
                let Some(a) = aalg_by_name(n) else {
                    return t.err(&format!("unknown authentication algorithm {n}"));
                };
                let ks = t.next()?;
                let Some(k) = key(ks) else { return t.err("invalid key") };
                auth = Some((a, k));
            }
            "-C" => {
                let n = t.next()?;
                let Some(a) = calg_by_name(n) else {
                    return t.err(&format!("unknown compression algorithm {n}"));
                };
                if t.peek() == Some("-R") {
                    t.i += 1;
                }
                comp = Some(a);
            }
            o => return t.err(&format!("syntax error near {o}")),
        }
    }
    match sat {
        SADB_SATYPE_ESP if enc.is_none() => {
            return t.err("no encryption algorithm specified for esp");
        }
        SADB_SATYPE_AH if auth.is_none() || enc.is_some() => {
            return t.err("ah needs one authentication algorithm");
        }
        SADB_X_SATYPE_IPCOMP if comp.is_none() => {
            return t.err("no compression algorithm specified");
        }
        _ => {}
    }
    let mut exts = Vec::new();
    let (mut ealg, mut aalg) = (0u8, 0u8);
    if let Some((a, k)) = enc {
        ealg = a;
        if !k.is_empty() {
            let bits = (k.len() * 8) as u16;
            exts.push(SadbExtRepr::Key(SadbKeyRepr {
                exttype: SADB_EXT_KEY_ENCRYPT,
                bits,
                reserved: 0,
                key: k,
            }));
        }
    }
    if let Some(c) = comp {
        ealg = c;
    }
    if let Some((a, k)) = auth {
        aalg = a;
        let bits = (k.len() * 8) as u16;
        exts.push(SadbExtRepr::Key(SadbKeyRepr {
            exttype: SADB_EXT_KEY_AUTH,
            bits,
            reserved: 0,
            key: k,
        }));
    }
    if lh != 0 || bh != 0 {
        exts.push(SadbExtRepr::Lifetime(SadbLifetimeRepr {
            exttype: SADB_EXT_LIFETIME_HARD,
            bytes: bh,
            addtime: lh,
            ..Default::default()
        }));
    }
    if ls != 0 || bs != 0 {
        exts.push(SadbExtRepr::Lifetime(SadbLifetimeRepr {
            exttype: SADB_EXT_LIFETIME_SOFT,
            bytes: bs,
            addtime: ls,
            ..Default::default()
        }));
    }
    exts.push(SadbExtRepr::Sa(SadbSaRepr {
        spi,
        replay,
        state: 0,
        auth: aalg,
        encrypt: ealg,
        flags,
    }));
    exts.push(SadbExtRepr::Sa2(SadbXSa2Repr { mode, reqid, ..Default::default() }));
    exts.push(address(SADB_EXT_ADDRESS_SRC, &src, IPSEC_ULPROTO_ANY));
    exts.push(address(SADB_EXT_ADDRESS_DST, &dst, IPSEC_ULPROTO_ANY));
    Ok(SadbMessageRepr { header: header(msg_type, sat), exts })
}

/// `get`/`delete`/`deleteall`: `setkeymsg_addr`.
fn sa_addr(t: &mut Toks<'_>, msg_type: u8, with_spi: bool) -> Result<SadbMessageRepr, SyntaxError> {
    skip_family_flags(t);
    let (src, dst) = addr_pair(t, false)?;
    let p = t.next()?;
    let Some(sat) = satype(p) else { return t.err(&format!("unknown protocol {p}")) };
    let mut exts = Vec::new();
    if with_spi {
        let s = t.next()?;
        let Some(spi) = number(s).and_then(|v| u32::try_from(v).ok()) else {
            return t.err("invalid SPI");
        };
        exts.push(SadbExtRepr::Sa(SadbSaRepr { spi, ..Default::default() }));
    }
    exts.push(address(SADB_EXT_ADDRESS_SRC, &src, IPSEC_ULPROTO_ANY));
    exts.push(address(SADB_EXT_ADDRESS_DST, &dst, IPSEC_ULPROTO_ANY));
    Ok(SadbMessageRepr { header: header(msg_type, sat), exts })
}

fn upperspec(s: &str) -> Option<u8> {
    match s {
        "any" => Some(IPSEC_ULPROTO_ANY),
        "icmp6" | "ipv6-icmp" => Some(58),
        "ip4" => Some(4),
        _ => crate::ip::names::proto_by_name(s).or_else(|| s.parse().ok()),
    }
}

/// `ipsec_set_policy` (`policy_parse.y`): `DIR [prio ...] ACTION [REQ...]`
/// after `-P`.
fn policy(t: &mut Toks<'_>, need_action: bool) -> Result<SadbXPolicyRepr, SyntaxError> {
    let dir = match t.next()? {
        "in" => IPSEC_DIR_INBOUND,
        "out" => IPSEC_DIR_OUTBOUND,
        "fwd" => IPSEC_DIR_FWD,
        d => return t.err(&format!("invalid direction {d}")),
    };
    let mut pol = SadbXPolicyRepr {
        policy_type: IPSEC_POLICY_IPSEC,
        dir,
        priority: PRIORITY_DEFAULT,
        ..Default::default()
    };
    if !need_action && matches!(t.peek(), Some(";") | None) {
        pol.policy_type = IPSEC_POLICY_DISCARD;
        pol.priority = 0;
        return Ok(pol);
    }
    if matches!(t.peek(), Some("prio" | "priority")) {
        t.i += 1;
        let base = match t.next()? {
            "def" | "default" => PRIORITY_DEFAULT,
            "high" => PRIORITY_HIGH,
            "low" => PRIORITY_LOW,
            n => match number(n).and_then(|v| u32::try_from(v).ok()) {
                Some(v) => {
                    pol.priority = v;
                    0
                }
                None => return t.err("invalid priority"),
            },
        };
        if base != 0 {
            pol.priority = base;
            if let Some(op @ ("+" | "-")) = t.peek() {
                t.i += 1;
                let Some(off) = number(t.next()?).and_then(|v| u32::try_from(v).ok()) else {
                    return t.err("invalid priority offset");
                };
                // The offset's sign is reversed: "+ n" means more urgent.
                pol.priority =
                    if op == "+" { base.wrapping_sub(off) } else { base.wrapping_add(off) };
            }
        }
    }
    pol.policy_type = match t.next()? {
        "discard" => IPSEC_POLICY_DISCARD,
        "none" => IPSEC_POLICY_NONE,
        "ipsec" => IPSEC_POLICY_IPSEC,
        "entrust" => IPSEC_POLICY_ENTRUST,
        "bypass" => IPSEC_POLICY_BYPASS,
        a => return t.err(&format!("invalid action {a}")),
    };
    while let Some(r) = t.peek() {
        if r == ";" {
            break;
        }
        t.i += 1;
        pol.requests.push(request(t, r)?);
    }
    Ok(pol)
}

/// One `proto/mode/src-dst/level` request.
fn request(t: &Toks<'_>, r: &str) -> Result<SadbXIpsecrequestRepr, SyntaxError> {
    let parts: Vec<&str> = r.split('/').collect();
    let [proto, mode, addrs, level] = parts.as_slice() else {
        return t.err(&format!("invalid request {r}"));
    };
    let proto = match *proto {
        "esp" => 50,
        "ah" => 51,
        "ipcomp" => 108,
        p => return t.err(&format!("invalid protocol {p}")),
    };
    let mode = match *mode {
        "transport" => IPSEC_MODE_TRANSPORT,
        "tunnel" => IPSEC_MODE_TUNNEL,
        "any" => IPSEC_MODE_ANY,
        m => return t.err(&format!("invalid mode {m}")),
    };
    let addrs = if addrs.is_empty() {
        IpsecRequestAddrs::None
    } else {
        let Some((a, b)) = addrs.split_once('-') else { return t.err("invalid tunnel addresses") };
        match (parse_addr(a, true), parse_addr(b, true)) {
            (Some(a), Some(b)) => IpsecRequestAddrs::Pair(a.sa, b.sa),
            _ => return t.err("invalid tunnel addresses"),
        }
    };
    let (level, reqid) = match level.split_once([':', '#']) {
        Some(("unique", id)) => match number(id).and_then(|v| u32::try_from(v).ok()) {
            Some(id) => (IPSEC_LEVEL_UNIQUE, id),
            None => return t.err("invalid reqid"),
        },
        Some(_) => return t.err("invalid level"),
        None => match *level {
            "default" => (IPSEC_LEVEL_DEFAULT, 0),
            "use" => (IPSEC_LEVEL_USE, 0),
            "require" => (IPSEC_LEVEL_REQUIRE, 0),
            "unique" => (IPSEC_LEVEL_UNIQUE, 0),
            l => return t.err(&format!("invalid level {l}")),
        },
    };
    Ok(SadbXIpsecrequestRepr { proto, mode, level, reserved1: 0, reqid, reserved2: 0, addrs })
}

/// `spdadd`/`spdupdate`/`spddelete`: `setkeymsg_spdaddr`.
fn spd(t: &mut Toks<'_>, msg_type: u8) -> Result<SadbMessageRepr, SyntaxError> {
    skip_family_flags(t);
    let (src, dst) = addr_pair(t, true)?;
    let u = t.next()?;
    let Some(ulp) = upperspec(u) else {
        return t.err(&format!("invalid upper layer protocol {u}"));
    };
    // icmp type/code ("icmp6 135,0") ride in the ports.
    let (mut src, mut dst) = (src, dst);
    if let Some(tc) = t.peek().filter(|s| s.contains(',') || s.chars().all(|c| c.is_ascii_digit()))
        && tc != ";"
        && matches!(ulp, 1 | 58 | 135)
    {
        t.i += 1;
        let (ty, code) = tc.split_once(',').unwrap_or((tc, "0"));
        let (Ok(ty), Ok(code)) = (ty.parse::<u16>(), code.parse::<u16>()) else {
            return t.err("invalid icmp type/code");
        };
        set_port(&mut src.sa, ty);
        set_port(&mut dst.sa, code);
    }
    if t.next()? != "-P" {
        return t.err("policy (-P) expected");
    }
    let pol = policy(t, msg_type != SADB_X_SPDDELETE)?;
    let exts = vec![
        SadbExtRepr::Policy(pol),
        address(SADB_EXT_ADDRESS_SRC, &src, ulp),
        address(SADB_EXT_ADDRESS_DST, &dst, ulp),
    ];
    Ok(SadbMessageRepr { header: header(msg_type, SADB_SATYPE_UNSPEC), exts })
}

fn set_port(sa: &mut SockAddr, port: u16) {
    match sa {
        SockAddr::In(s) => s.port = port,
        SockAddr::In6(s) => s.port = port,
    }
}

/// Parses a whole configuration into statements. Stops at the first
/// syntax error, as setkey does.
pub fn parse(text: &str) -> Result<Vec<Statement>, SyntaxError> {
    let toks = tokenize(text);
    let mut t = Toks { t: &toks, i: 0 };
    let mut out = Vec::new();
    while let Some(w) = t.peek() {
        let line = t.line();
        t.i += 1;
        let msg = match w {
            "add" => sa_add(&mut t, SADB_ADD)?,
            "update" => sa_add(&mut t, SADB_UPDATE)?,
            "get" => sa_addr(&mut t, SADB_GET, true)?,
            "delete" => sa_addr(&mut t, SADB_DELETE, true)?,
            "deleteall" => sa_addr(&mut t, SADB_DELETE, false)?,
            "flush" | "dump" => {
                let sat = match t.peek() {
                    Some(";") | None => SADB_SATYPE_UNSPEC,
                    Some(p) => {
                        t.i += 1;
                        match satype(p) {
                            Some(s) => s,
                            None => return t.err(&format!("unknown protocol {p}")),
                        }
                    }
                };
                let ty = if w == "flush" { SADB_FLUSH } else { SADB_DUMP };
                SadbMessageRepr { header: header(ty, sat), exts: vec![] }
            }
            "spdadd" => spd(&mut t, SADB_X_SPDADD)?,
            "spdupdate" => spd(&mut t, SADB_X_SPDUPDATE)?,
            "spddelete" => spd(&mut t, SADB_X_SPDDELETE)?,
            "spdflush" => SadbMessageRepr { header: header(SADB_X_SPDFLUSH, 0), exts: vec![] },
            "spddump" => SadbMessageRepr { header: header(SADB_X_SPDDUMP, 0), exts: vec![] },
            ";" => continue,
            o => return Err(SyntaxError { line, msg: format!("syntax error near {o}") }),
        };
        if t.next()? != ";" {
            return t.err("syntax error: ';' expected");
        }
        out.push(Statement { msg, line });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t =
            tokenize("add 1.1.1.1 2.2.2.2 esp 0x100 -E aes-cbc \"0123456789abcdef\";# c\nflush;");
        let w: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            w,
            [
                "add",
                "1.1.1.1",
                "2.2.2.2",
                "esp",
                "0x100",
                "-E",
                "aes-cbc",
                "\"0123456789abcdef\"",
                ";",
                "flush",
                ";"
            ]
        );
        assert_eq!(t.last().unwrap().0, 2);
    }

    #[test]
    fn add_builds_setkey_extension_order() {
        let s = parse("add 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel -u 7 -E 3des-cbc 0x000102030405060708090a0b0c0d0e0f1011121314151617 -A hmac-sha1 \"01234567890123456789\";").unwrap();
        let m = &s[0].msg;
        assert_eq!((m.header.msg_type, m.header.satype), (SADB_ADD, SADB_SATYPE_ESP));
        let types: Vec<u16> = m.exts.iter().map(|e| e.exttype()).collect();
        assert_eq!(
            types,
            [
                SADB_EXT_KEY_ENCRYPT,
                SADB_EXT_KEY_AUTH,
                SADB_EXT_SA,
                SADB_X_EXT_SA2,
                SADB_EXT_ADDRESS_SRC,
                SADB_EXT_ADDRESS_DST
            ]
        );
        let SadbExtRepr::Sa(sa) = &m.exts[2] else { panic!() };
        assert_eq!((sa.spi, sa.encrypt, sa.auth), (0x1000, SADB_EALG_3DESCBC, SADB_AALG_SHA1HMAC));
        let bytes = m.to_bytes();
        assert_eq!(bytes.len() % 8, 0);
        let back = SadbMessageRepr::parse(&bytes).unwrap();
        assert_eq!(back.exts, m.exts);
        assert_eq!(usize::from(back.header.len) * 8, bytes.len());
    }

    #[test]
    fn spdadd_policy() {
        let s = parse("spdadd 10.0.0.0/24[any] 10.0.1.0/24[80] tcp -P out prio def + 10 ipsec esp/tunnel/1.1.1.1-2.2.2.2/unique:5 ah/transport//require;").unwrap();
        let m = &s[0].msg;
        let SadbExtRepr::Policy(p) = &m.exts[0] else { panic!() };
        assert_eq!(
            (p.dir, p.policy_type, p.priority),
            (IPSEC_DIR_OUTBOUND, IPSEC_POLICY_IPSEC, PRIORITY_DEFAULT - 10)
        );
        assert_eq!(p.requests.len(), 2);
        assert_eq!((p.requests[0].level, p.requests[0].reqid), (IPSEC_LEVEL_UNIQUE, 5));
        let SadbExtRepr::Address(a) = &m.exts[2] else { panic!() };
        assert_eq!((a.proto, a.prefixlen, a.addr.port()), (6, 24, 80));
    }

    /// Every statement kind builds a message the kernel's `pfkey_sendmsg`
    /// checks accept: base header, extension framing and the per-type
    /// length verifiers of `parse_exthdrs`, and same-family addresses.
    #[test]
    fn messages_pass_the_kernels_checks() {
        use sim_sockets::af_key::parse::{parse_exthdrs, pfkey_get_base_msg};
        let conf = "add 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel -r 32 -u 5 -lh 60 -ls 50 -bh 1000 \
            -E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha256 \
            0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;
            add 2001:db8::1 2001:db8::2 ah 0x1001 -A hmac-sha1 \"01234567890123456789\";
            add 10.0.0.1 10.0.0.2 ipcomp 0x1002 -C deflate;
            update 10.0.0.1 10.0.0.2 esp 0x1000 -E null;
            get 10.0.0.1 10.0.0.2 esp 0x1000;
            delete 10.0.0.1 10.0.0.2 esp 0x1000;
            deleteall 10.0.0.1 10.0.0.2 esp;
            flush; flush ah; dump esp;
            spdadd 10.0.0.0/24[any] 10.0.1.0/24[443] tcp -P out ipsec esp/tunnel/1.1.1.1-2.2.2.2/require;
            spdadd 2001:db8::/64 2001:db8:1::/64 icmp6 135,0 -P in prio high + 5 none;
            spdadd 10.0.0.0/24 10.0.1.0/24 any -P fwd discard;
            spddelete 10.0.0.0/24[any] 10.0.1.0/24[443] tcp -P out;
            spdflush; spddump;";
        let stmts = parse(conf).unwrap();
        assert_eq!(stmts.len(), 16);
        for st in &stmts {
            let b = st.msg.to_bytes();
            pfkey_get_base_msg(&b).unwrap_or_else(|e| panic!("{:?}: {e:?}", st.msg.header));
            let h = parse_exthdrs(&b).unwrap_or_else(|e| panic!("{:?}: {e:?}", st.msg));
            if h.has(SADB_EXT_ADDRESS_SRC) {
                assert!(h.present_and_same_family(), "{:?}", st.msg);
            }
        }
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("flush;\nadd 1.1.1.1 2.2.2.2 esp 0x100 ;\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse("add 1.1.1.1 ::1 esp 1 -E null;").is_err());
        assert!(parse("bogus;").is_err());
        assert!(parse("spdadd 1.1.1.1 2.2.2.2 any -P sideways none;").is_err());
        assert!(parse("flush").is_err());
    }
}
