//! Addresses as XFRM stores them (`xfrm_address_t`, `include/uapi/linux/xfrm.h`):
//! 16 raw bytes in network order; IPv4 uses the first four. The family is
//! carried beside the address, as in the kernel.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `AF_UNSPEC`.
pub const AF_UNSPEC: u16 = 0;
/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

/// `xfrm_address_t`: the union of `a4` (one network-order word) and `a6`
/// (four network-order words), stored as bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct XfrmAddress(pub [u8; 16]);

impl XfrmAddress {
    /// The all-zero address (`xfrm_addr_any`).
    pub const ANY: XfrmAddress = XfrmAddress([0; 16]);

    /// An IPv4 address in `a4`.
    pub const fn from_v4(a: Ipv4Addr) -> Self {
        let o = a.octets();
        XfrmAddress([o[0], o[1], o[2], o[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// An IPv6 address in `a6`.
    pub const fn from_v6(a: Ipv6Addr) -> Self {
        XfrmAddress(a.octets())
    }

    /// From a std address (v4 in `a4`, v6 in `a6`).
    pub const fn from_ip(a: IpAddr) -> Self {
        match a {
            IpAddr::V4(v4) => Self::from_v4(v4),
            IpAddr::V6(v6) => Self::from_v6(v6),
        }
    }

    /// From the raw 16 bytes of a wire `xfrm_address_t`.
    pub const fn from_bytes(b: [u8; 16]) -> Self {
        XfrmAddress(b)
    }

    /// From an IPv4 address given as a host-order number (`10.0.0.1` =
    /// `0x0a000001`).
    pub const fn from_v4_u32(a: u32) -> Self {
        Self::from_v4(Ipv4Addr::from_bits(a))
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// `a4` interpreted as an IPv4 address.
    pub const fn v4(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.0[0], self.0[1], self.0[2], self.0[3])
    }

    /// `a6` interpreted as an IPv6 address.
    pub fn v6(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.0)
    }

    /// `ntohl(a4)`: the IPv4 address as a host-order number.
    pub const fn a4_host(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// `(__force u32)a6[i]`: word `i` as the kernel reads it on a
    /// little-endian machine (network-order bytes loaded natively).
    pub const fn a6_raw(&self, i: usize) -> u32 {
        let j = i * 4;
        u32::from_le_bytes([self.0[j], self.0[j + 1], self.0[j + 2], self.0[j + 3]])
    }

    /// `(__force u32)a4`: the first word as loaded natively (little-endian).
    pub const fn a4_raw(&self) -> u32 {
        self.a6_raw(0)
    }

    /// `xfrm_addr_any(addr, family)`: whether the family's part is all zero.
    pub fn is_any(&self, family: u16) -> bool {
        match family {
            AF_INET => self.0[..4] == [0; 4],
            AF_INET6 => self.0 == [0; 16],
            _ => false,
        }
    }

    /// The address as a std address of `family` (None for other families).
    pub fn to_ip(&self, family: u16) -> Option<IpAddr> {
        match family {
            AF_INET => Some(IpAddr::V4(self.v4())),
            AF_INET6 => Some(IpAddr::V6(self.v6())),
            _ => None,
        }
    }
}

impl From<Ipv4Addr> for XfrmAddress {
    fn from(a: Ipv4Addr) -> Self {
        Self::from_v4(a)
    }
}

impl From<Ipv6Addr> for XfrmAddress {
    fn from(a: Ipv6Addr) -> Self {
        Self::from_v6(a)
    }
}

impl From<IpAddr> for XfrmAddress {
    fn from(a: IpAddr) -> Self {
        Self::from_ip(a)
    }
}

impl fmt::Debug for XfrmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without a family, show v4 when the tail is zero.
        if self.0[4..] == [0; 12] { write!(f, "{}", self.v4()) } else { write!(f, "{}", self.v6()) }
    }
}

/// `xfrm_addr_equal(a, b, family)`: compares only the family's part (any
/// other family compares all 16 bytes, as `default:` does for AF_INET6).
pub fn xfrm_addr_equal(a: &XfrmAddress, b: &XfrmAddress, family: u16) -> bool {
    match family {
        AF_INET6 => a.0 == b.0,
        // Linux's switch puts `default` on the AF_INET case: any other
        // family compares the first word only.
        _ => a.0[..4] == b.0[..4],
    }
}

/// `addr4_match(a1, a2, prefixlen)` (`include/net/xfrm.h`): prefix 0 matches
/// everything; lengths above 32 are treated as 32 (the kernel's `-prefixlen`
/// shift only guards 0).
pub fn addr4_match(a1: &XfrmAddress, a2: &XfrmAddress, prefixlen: u8) -> bool {
    if prefixlen == 0 {
        return true;
    }
    let p = u32::from(prefixlen.min(32));
    let mask = u32::MAX << (32 - p);
    (a1.a4_host() ^ a2.a4_host()) & mask == 0
}

/// `addr_match(token1, token2, prefixlen)` (`include/net/xfrm.h`): compare
/// the first `prefixlen` bits of two IPv6 addresses.
pub fn addr_match(a1: &XfrmAddress, a2: &XfrmAddress, prefixlen: u8) -> bool {
    let prefixlen = usize::from(prefixlen.min(128));
    let pdw = prefixlen / 32;
    let pbi = prefixlen % 32;
    if a1.0[..pdw * 4] != a2.0[..pdw * 4] {
        return false;
    }
    if pbi > 0 {
        let mask = u32::MAX << (32 - pbi);
        let w = |a: &XfrmAddress| {
            u32::from_be_bytes([a.0[pdw * 4], a.0[pdw * 4 + 1], a.0[pdw * 4 + 2], a.0[pdw * 4 + 3]])
        };
        if (w(a1) ^ w(a2)) & mask != 0 {
            return false;
        }
    }
    true
}

/// `xfrm_addr_match(a, b, prefixlen, family)`-style helper: `addr4_match`
/// for AF_INET, `addr_match` for AF_INET6, false otherwise.
pub fn xfrm_addr_prefix_match(
    a: &XfrmAddress,
    b: &XfrmAddress,
    prefixlen: u8,
    family: u16,
) -> bool {
    match family {
        AF_INET => addr4_match(a, b, prefixlen),
        AF_INET6 => addr_match(a, b, prefixlen),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_layout_and_words() {
        let a = XfrmAddress::from_v4(Ipv4Addr::new(10, 1, 2, 3));
        assert_eq!(&a.0[..4], &[10, 1, 2, 3]);
        assert_eq!(&a.0[4..], &[0; 12]);
        assert_eq!(a.a4_host(), 0x0a01_0203);
        assert_eq!(a.a4_raw(), 0x0302_010a);
        assert_eq!(XfrmAddress::from_v4_u32(0x0a01_0203), a);
    }

    #[test]
    fn prefix_matching() {
        let a = XfrmAddress::from_v4(Ipv4Addr::new(10, 1, 2, 3));
        let b = XfrmAddress::from_v4(Ipv4Addr::new(10, 1, 3, 3));
        assert!(addr4_match(&a, &b, 0));
        assert!(addr4_match(&a, &b, 23));
        assert!(!addr4_match(&a, &b, 24));
        assert!(!addr4_match(&a, &b, 32));
        let x: XfrmAddress = "2001:db8::1".parse::<Ipv6Addr>().unwrap().into();
        let y: XfrmAddress = "2001:db8:8000::1".parse::<Ipv6Addr>().unwrap().into();
        assert!(addr_match(&x, &y, 32));
        // Third group 0x0000 vs 0x8000: bit 32 differs.
        assert!(!addr_match(&x, &y, 33));
        assert!(!addr_match(&x, &y, 128));
        assert!(addr_match(&x, &x, 128));
        assert!(!xfrm_addr_prefix_match(&x, &x, 128, 99));
    }

    #[test]
    fn equal_by_family() {
        let mut a = XfrmAddress::from_v4(Ipv4Addr::new(1, 2, 3, 4));
        let b = a;
        a.0[15] = 1;
        assert!(xfrm_addr_equal(&a, &b, AF_INET));
        assert!(!xfrm_addr_equal(&a, &b, AF_INET6));
        assert!(XfrmAddress::ANY.is_any(AF_INET6));
        assert!(!a.is_any(AF_INET6));
    }
}
