//! `struct xfrm_selector` and `xfrm_selector_match` (`include/net/xfrm.h`,
//! `net/xfrm/xfrm_policy.c`), plus the part of `struct flowi` they look at.

use super::addr::{AF_INET, AF_INET6, XfrmAddress, addr_match, addr4_match};

/// `IPPROTO_ICMP`.
pub const IPPROTO_ICMP: u8 = 1;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: u8 = 17;
/// `IPPROTO_GRE`.
pub const IPPROTO_GRE: u8 = 47;
/// `IPPROTO_ICMPV6`.
pub const IPPROTO_ICMPV6: u8 = 58;
/// `IPPROTO_MH` (Mobile IPv6).
pub const IPPROTO_MH: u8 = 135;

/// `struct xfrm_selector`. Ports and masks are kept as numbers (host
/// order); the wire layers convert from/to the network-order `__be16`.
/// Matching only ever XORs and masks them, so the order is immaterial.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmSelector {
    pub daddr: XfrmAddress,
    pub saddr: XfrmAddress,
    pub dport: u16,
    pub dport_mask: u16,
    pub sport: u16,
    pub sport_mask: u16,
    /// Address family; 0 = the selector matches any flow (states only).
    pub family: u16,
    pub prefixlen_d: u8,
    pub prefixlen_s: u8,
    /// Upper-layer protocol; 0 = any.
    pub proto: u8,
    /// Outgoing interface; 0 = any.
    pub ifindex: i32,
    /// `user` (a uid; stored and compared for policy identity, never matched).
    pub user: u32,
}

impl XfrmSelector {
    /// A host-to-host selector (`/32` or `/128` on both sides), all ports
    /// and protocols — the one `__find_acq_core` gives a larval state.
    pub fn host_to_host(family: u16, daddr: XfrmAddress, saddr: XfrmAddress) -> Self {
        let plen = if family == AF_INET6 { 128 } else { 32 };
        XfrmSelector {
            daddr,
            saddr,
            family,
            prefixlen_d: plen,
            prefixlen_s: plen,
            ..Default::default()
        }
    }
}

/// The part of `struct flowi` (`flowi4`/`flowi6` and the `uli` union) that
/// selectors and states look at. `dport`/`sport` hold what
/// `xfrm_flowi_dport`/`xfrm_flowi_sport` return for the protocol: the
/// ports for TCP/UDP/SCTP, ICMP type (sport) and code (dport), the MH type,
/// the GRE key halves — the constructors below fill them that way.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmFlow {
    pub daddr: XfrmAddress,
    pub saddr: XfrmAddress,
    pub proto: u8,
    pub dport: u16,
    pub sport: u16,
    /// `flowi_oif`.
    pub oif: i32,
    /// `flowi_uid` (not used by selector matching).
    pub uid: u32,
    /// `flowi_mark`.
    pub mark: u32,
}

impl XfrmFlow {
    /// A TCP/UDP-style flow with ports.
    pub fn ports(
        daddr: XfrmAddress,
        saddr: XfrmAddress,
        proto: u8,
        dport: u16,
        sport: u16,
    ) -> Self {
        XfrmFlow { daddr, saddr, proto, dport, sport, ..Default::default() }
    }

    /// An ICMP/ICMPv6 flow: `xfrm_flowi_sport` returns the type and
    /// `xfrm_flowi_dport` the code.
    pub fn icmp(daddr: XfrmAddress, saddr: XfrmAddress, proto: u8, typ: u8, code: u8) -> Self {
        XfrmFlow {
            daddr,
            saddr,
            proto,
            sport: u16::from(typ),
            dport: u16::from(code),
            ..Default::default()
        }
    }
}

/// `__xfrm4_selector_match`.
pub fn xfrm4_selector_match(sel: &XfrmSelector, fl: &XfrmFlow) -> bool {
    addr4_match(&fl.daddr, &sel.daddr, sel.prefixlen_d)
        && addr4_match(&fl.saddr, &sel.saddr, sel.prefixlen_s)
        && common_match(sel, fl)
}

/// `__xfrm6_selector_match`.
pub fn xfrm6_selector_match(sel: &XfrmSelector, fl: &XfrmFlow) -> bool {
    addr_match(&fl.daddr, &sel.daddr, sel.prefixlen_d)
        && addr_match(&fl.saddr, &sel.saddr, sel.prefixlen_s)
        && common_match(sel, fl)
}

fn common_match(sel: &XfrmSelector, fl: &XfrmFlow) -> bool {
    (fl.dport ^ sel.dport) & sel.dport_mask == 0
        && (fl.sport ^ sel.sport) & sel.sport_mask == 0
        && (fl.proto == sel.proto || sel.proto == 0)
        && (fl.oif == sel.ifindex || sel.ifindex == 0)
}

/// `xfrm_selector_match(sel, fl, family)`: the family given (the flow's,
/// not the selector's) picks the comparison; other families never match.
/// (`sel.family` is not compared here: callers check it, as the kernel's
/// do.)
pub fn xfrm_selector_match(sel: &XfrmSelector, fl: &XfrmFlow, family: u16) -> bool {
    match family {
        AF_INET => xfrm4_selector_match(sel, fl),
        AF_INET6 => xfrm6_selector_match(sel, fl),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: u8, b: u8, c: u8, d: u8) -> XfrmAddress {
        Ipv4Addr::new(a, b, c, d).into()
    }

    fn sel4() -> XfrmSelector {
        XfrmSelector {
            daddr: v4(10, 0, 1, 0),
            saddr: v4(10, 0, 0, 0),
            prefixlen_d: 24,
            prefixlen_s: 24,
            family: AF_INET,
            ..Default::default()
        }
    }

    #[test]
    fn v4_prefixes() {
        let s = sel4();
        let f = XfrmFlow::ports(v4(10, 0, 1, 9), v4(10, 0, 0, 7), IPPROTO_TCP, 80, 1234);
        assert!(xfrm_selector_match(&s, &f, AF_INET));
        let f2 = XfrmFlow { daddr: v4(10, 0, 2, 9), ..f };
        assert!(!xfrm_selector_match(&s, &f2, AF_INET));
        let f3 = XfrmFlow { saddr: v4(10, 0, 1, 7), ..f };
        assert!(!xfrm_selector_match(&s, &f3, AF_INET));
        // Unknown family never matches.
        assert!(!xfrm_selector_match(&s, &f, 7));
    }

    #[test]
    fn ports_with_masks() {
        let mut s = sel4();
        s.dport = 80;
        s.dport_mask = 0xffff;
        let f = XfrmFlow::ports(v4(10, 0, 1, 9), v4(10, 0, 0, 7), IPPROTO_TCP, 80, 1234);
        assert!(xfrm_selector_match(&s, &f, AF_INET));
        let f81 = XfrmFlow { dport: 81, ..f };
        assert!(!xfrm_selector_match(&s, &f81, AF_INET));
        // A partial mask ignores the low bits.
        s.dport_mask = 0xfffe;
        assert!(xfrm_selector_match(&s, &f81, AF_INET));
        // Mask 0 = any port even if dport is set.
        s.dport_mask = 0;
        s.dport = 9999;
        assert!(xfrm_selector_match(&s, &f81, AF_INET));
        s.sport = 1000;
        s.sport_mask = 0xffff;
        assert!(!xfrm_selector_match(&s, &f81, AF_INET));
    }

    #[test]
    fn proto_zero_is_any_and_ifindex() {
        let mut s = sel4();
        let f = XfrmFlow::ports(v4(10, 0, 1, 9), v4(10, 0, 0, 7), IPPROTO_UDP, 53, 1234);
        assert!(xfrm_selector_match(&s, &f, AF_INET));
        s.proto = IPPROTO_TCP;
        assert!(!xfrm_selector_match(&s, &f, AF_INET));
        s.proto = IPPROTO_UDP;
        assert!(xfrm_selector_match(&s, &f, AF_INET));
        s.ifindex = 3;
        assert!(!xfrm_selector_match(&s, &f, AF_INET));
        let f3 = XfrmFlow { oif: 3, ..f };
        assert!(xfrm_selector_match(&s, &f3, AF_INET));
    }

    #[test]
    fn icmp_type_code_in_ports() {
        let mut s = sel4();
        s.proto = IPPROTO_ICMP;
        s.sport = 8; // echo request type
        s.sport_mask = 0xffff;
        let echo = XfrmFlow::icmp(v4(10, 0, 1, 1), v4(10, 0, 0, 1), IPPROTO_ICMP, 8, 0);
        let reply = XfrmFlow::icmp(v4(10, 0, 1, 1), v4(10, 0, 0, 1), IPPROTO_ICMP, 0, 0);
        assert!(xfrm_selector_match(&s, &echo, AF_INET));
        assert!(!xfrm_selector_match(&s, &reply, AF_INET));
    }

    #[test]
    fn v6_prefixes() {
        let d: XfrmAddress = "2001:db8:1::".parse::<Ipv6Addr>().unwrap().into();
        let s6 = XfrmSelector { daddr: d, prefixlen_d: 48, family: AF_INET6, ..Default::default() };
        let inside: XfrmAddress = "2001:db8:1:ffff::5".parse::<Ipv6Addr>().unwrap().into();
        let outside: XfrmAddress = "2001:db8:2::5".parse::<Ipv6Addr>().unwrap().into();
        let f = XfrmFlow::ports(inside, XfrmAddress::ANY, IPPROTO_TCP, 1, 2);
        assert!(xfrm_selector_match(&s6, &f, AF_INET6));
        // Same selector judged as v4 looks only at the first word.
        let g = XfrmFlow { daddr: outside, ..f };
        assert!(!xfrm_selector_match(&s6, &g, AF_INET6));
    }

    #[test]
    fn host_to_host_prefixes() {
        let s = XfrmSelector::host_to_host(AF_INET6, XfrmAddress::ANY, XfrmAddress::ANY);
        assert_eq!((s.prefixlen_d, s.prefixlen_s), (128, 128));
        let s = XfrmSelector::host_to_host(AF_INET, v4(1, 1, 1, 1), v4(2, 2, 2, 2));
        assert_eq!((s.prefixlen_d, s.prefixlen_s, s.proto), (32, 32, 0));
    }
}
