//! Names iproute2 prints and parses: `getprotobynumber` (the host's
//! `/etc/protocols`), `xfrmproto_types`, `algo_types`, shares and policy
//! types (`ip/ipxfrm.c`).

/// `/etc/protocols` as shipped by netbase: (number, name).
const PROTOCOLS: &[(u8, &str)] = &[
    (0, "ip"),
    (1, "icmp"),
    (2, "igmp"),
    (3, "ggp"),
    (4, "ipencap"),
    (5, "st"),
    (6, "tcp"),
    (8, "egp"),
    (9, "igp"),
    (12, "pup"),
    (17, "udp"),
    (20, "hmp"),
    (22, "xns-idp"),
    (27, "rdp"),
    (29, "iso-tp4"),
    (33, "dccp"),
    (36, "xtp"),
    (37, "ddp"),
    (38, "idpr-cmtp"),
    (41, "ipv6"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (45, "idrp"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (57, "skip"),
    (58, "ipv6-icmp"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (73, "rspf"),
    (81, "vmtp"),
    (88, "eigrp"),
    (89, "ospf"),
    (93, "ax.25"),
    (94, "ipip"),
    (97, "etherip"),
    (98, "encap"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (124, "isis"),
    (132, "sctp"),
    (133, "fc"),
    (135, "mobility-header"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
    (138, "manet"),
    (139, "hip"),
    (140, "shim6"),
    (141, "wesp"),
    (142, "rohc"),
    (143, "ethernet"),
];

/// `strxf_proto`: the protocol's name, or its number.
pub fn proto_name(p: u8) -> String {
    PROTOCOLS.iter().find(|(n, _)| *n == p).map_or_else(|| p.to_string(), |(_, s)| (*s).to_string())
}

/// `getprotobyname`.
pub fn proto_by_name(s: &str) -> Option<u8> {
    PROTOCOLS.iter().find(|(_, n)| *n == s).map(|(p, _)| *p)
}

/// `xfrmproto_types`.
const XFRMPROTO: &[(u8, &str)] =
    &[(50, "esp"), (51, "ah"), (108, "comp"), (43, "route2"), (60, "hao"), (255, "ipsec-any")];

/// `xfrm_xfrmproto_getbyname`.
pub fn xfrmproto_by_name(s: &str) -> Option<u8> {
    XFRMPROTO.iter().find(|(_, n)| *n == s).map(|(p, _)| *p)
}

/// `strxf_xfrmproto`.
pub fn xfrmproto_name(p: u8) -> String {
    XFRMPROTO.iter().find(|(n, _)| *n == p).map_or_else(|| p.to_string(), |(_, s)| (*s).to_string())
}

/// `xfrm_xfrmproto_is_ipsec`.
pub fn xfrmproto_is_ipsec(p: u8) -> bool {
    matches!(p, 50 | 51 | 108)
}

/// `strxf_share`.
pub fn share_name(s: u8) -> String {
    match s {
        0 => "any".into(),
        1 => "session".into(),
        2 => "user".into(),
        3 => "unique".into(),
        n => n.to_string(),
    }
}

/// `strxf_ptype`.
pub fn ptype_name(t: u8) -> String {
    match t {
        0 => "main".into(),
        1 => "sub".into(),
        n => n.to_string(),
    }
}

/// The mode words of `xfrm_id_info_print`.
pub fn mode_name(m: u8) -> String {
    match m {
        0 => "transport".into(),
        1 => "tunnel".into(),
        2 => "ro".into(),
        3 => "in_trigger".into(),
        4 => "beet".into(),
        n => n.to_string(),
    }
}

/// `strxf_mask8`: eight binary digits.
pub fn mask8(m: u8) -> String {
    format!("{m:08b}")
}

/// C's `%#x`: `0` for zero, `0x...` otherwise.
pub fn alt_hex(v: u32) -> String {
    if v == 0 { "0".into() } else { format!("{v:#x}") }
}
