//! The socket addresses inside address, ipsecrequest and kmaddress
//! extensions: `struct sockaddr_in` (16 bytes) and `struct sockaddr_in6`
//! (28 bytes). The family is host order, ports and flow info network order.

use sim_core::{Errno, KResult};

use super::consts::{AF_INET, AF_INET6};
use super::field;

/// `sizeof(struct sockaddr_in)`.
pub const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: usize = 28;

/// `PFKEY_ALIGN8()`: rounds a byte count up to the 8-byte unit.
pub const fn pfkey_align8(n: usize) -> usize {
    (n + 7) & !7
}

/// `pfkey_sockaddr_len()`: the sockaddr size of a family, 0 if PF_KEY has
/// none.
pub const fn pfkey_sockaddr_len(family: u16) -> usize {
    match family {
        AF_INET => SOCKADDR_IN_LEN,
        AF_INET6 => SOCKADDR_IN6_LEN,
        _ => 0,
    }
}

/// `pfkey_sockaddr_size()`: the sockaddr size padded to 8 bytes.
pub const fn pfkey_sockaddr_size(family: u16) -> usize {
    pfkey_align8(pfkey_sockaddr_len(family))
}

/// `pfkey_sockaddr_pair_size()`: two sockaddrs padded to 8 bytes.
pub const fn pfkey_sockaddr_pair_size(family: u16) -> usize {
    pfkey_align8(pfkey_sockaddr_len(family) * 2)
}

/// `struct sockaddr_in` as values (`sin_zero` is written as zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SockAddrIn {
    /// `sin_port` (host value; network order on the wire).
    pub port: u16,
    /// `sin_addr`, in wire order.
    pub addr: [u8; 4],
}

/// `struct sockaddr_in6` as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SockAddrIn6 {
    /// `sin6_port` (host value; network order on the wire).
    pub port: u16,
    /// `sin6_flowinfo` (host value; network order on the wire).
    pub flowinfo: u32,
    /// `sin6_addr`, in wire order.
    pub addr: [u8; 16],
    /// `sin6_scope_id` (host order).
    pub scope_id: u32,
}

/// A PF_KEY socket address: IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr {
    /// `AF_INET`.
    In(SockAddrIn),
    /// `AF_INET6`.
    In6(SockAddrIn6),
}

impl SockAddr {
    /// The IPv4 address `addr` with `port`.
    pub const fn v4(addr: [u8; 4], port: u16) -> SockAddr {
        SockAddr::In(SockAddrIn { port, addr })
    }

    /// The IPv6 address `addr` with `port` (no flow info or scope).
    pub const fn v6(addr: [u8; 16], port: u16) -> SockAddr {
        SockAddr::In6(SockAddrIn6 { port, flowinfo: 0, addr, scope_id: 0 })
    }

    /// `sa_family`.
    pub const fn family(&self) -> u16 {
        match self {
            SockAddr::In(_) => AF_INET,
            SockAddr::In6(_) => AF_INET6,
        }
    }

    /// The port (`sin_port`/`sin6_port`).
    pub const fn port(&self) -> u16 {
        match self {
            SockAddr::In(s) => s.port,
            SockAddr::In6(s) => s.port,
        }
    }

    /// The address as an `xfrm_address_t` (16 bytes, IPv4 in the first 4),
    /// what `pfkey_sockaddr_extract()` produces.
    pub fn xfrm_address(&self) -> [u8; 16] {
        match self {
            SockAddr::In(s) => {
                let mut a = [0u8; 16];
                field::put(&mut a, 0, &s.addr);
                a
            }
            SockAddr::In6(s) => s.addr,
        }
    }

    /// The `sa_family` at the start of `buf` (0 if `buf` is shorter than 2).
    pub fn peek_family(buf: &[u8]) -> u16 {
        if buf.len() < 2 { 0 } else { field::get_u16(buf, 0) }
    }

    /// `pfkey_sockaddr_extract()` with the length check the callers make:
    /// an `AF_INET` or `AF_INET6` address that fits in `buf`, else `EINVAL`.
    pub fn parse(buf: &[u8]) -> KResult<SockAddr> {
        let family = Self::peek_family(buf);
        let len = pfkey_sockaddr_len(family);
        if len == 0 || buf.len() < len {
            return Err(Errno::EINVAL);
        }
        Ok(match family {
            AF_INET => {
                let mut addr = [0u8; 4];
                field::put(&mut addr, 0, field::slice(buf, 4, 4));
                SockAddr::In(SockAddrIn { port: field::get_be16(buf, 2), addr })
            }
            _ => SockAddr::In6(SockAddrIn6 {
                port: field::get_be16(buf, 2),
                flowinfo: field::get_be32(buf, 4),
                addr: field::get_bytes16(buf, 8),
                scope_id: field::get_u32(buf, 24),
            }),
        })
    }

    /// `pfkey_sockaddr_len()` of this address (16 or 28).
    pub const fn buffer_len(&self) -> usize {
        pfkey_sockaddr_len(self.family())
    }

    /// `pfkey_sockaddr_fill()`: writes the sockaddr (zeros in `sin_zero`).
    pub fn emit(&self, buf: &mut [u8]) {
        field::zero(buf, 0, self.buffer_len());
        field::set_u16(buf, 0, self.family());
        field::set_be16(buf, 2, self.port());
        match self {
            SockAddr::In(s) => field::put(buf, 4, &s.addr),
            SockAddr::In6(s) => {
                field::set_be32(buf, 4, s.flowinfo);
                field::set_bytes16(buf, 8, s.addr);
                field::set_u32(buf, 24, s.scope_id);
            }
        }
    }

    /// The prefix length of a full address (`pfkey_sockaddr_fill()`'s
    /// return value): 32 or 128.
    pub const fn full_prefixlen(&self) -> u8 {
        match self {
            SockAddr::In(_) => 32,
            SockAddr::In6(_) => 128,
        }
    }
}

/// `parse_sockaddr_pair()`: two sockaddrs of one family back to back in
/// `buf` (whose length is the kernel's `ext_len`): `EINVAL` if `buf` is
/// shorter than 2 bytes or than the family's padded pair size, if the first
/// is not inet/inet6, or if the second's family differs.
pub fn parse_sockaddr_pair(buf: &[u8]) -> KResult<(SockAddr, SockAddr)> {
    if buf.len() < 2 || buf.len() < pfkey_sockaddr_pair_size(SockAddr::peek_family(buf)) {
        return Err(Errno::EINVAL);
    }
    let first = SockAddr::parse(buf)?;
    let rest = buf.get(first.buffer_len()..).unwrap_or(&[]);
    let second = SockAddr::parse(rest)?;
    if second.family() != first.family() {
        return Err(Errno::EINVAL);
    }
    Ok((first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: [u8; 16] = [2, 0, 0x01, 0xf4, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    fn v6_bytes() -> [u8; 28] {
        let mut b = [0u8; 28];
        b[0] = 10;
        b[2..4].copy_from_slice(&[0x11, 0x94]);
        b[4..8].copy_from_slice(&[0, 0, 0, 7]);
        b[8] = 0x20;
        b[9] = 0x01;
        b[23] = 1;
        b[24] = 3;
        b
    }

    #[test]
    fn v4_round_trip() {
        let a = SockAddr::parse(&V4).expect("v4");
        assert_eq!(a, SockAddr::v4([192, 0, 2, 1], 500));
        let mut out = [0xffu8; 16];
        a.emit(&mut out);
        assert_eq!(out, V4);
        assert_eq!(a.xfrm_address()[..5], [192, 0, 2, 1, 0]);
    }

    #[test]
    fn v6_round_trip() {
        let b = v6_bytes();
        let a = SockAddr::parse(&b).expect("v6");
        let mut addr = [0u8; 16];
        addr[0] = 0x20;
        addr[1] = 1;
        addr[15] = 1;
        assert_eq!(a, SockAddr::In6(SockAddrIn6 { port: 4500, flowinfo: 7, addr, scope_id: 3 }));
        let mut out = [0u8; 28];
        a.emit(&mut out);
        assert_eq!(out, b);
        assert_eq!(a.full_prefixlen(), 128);
    }

    #[test]
    fn bad_family_or_short() {
        assert_eq!(SockAddr::parse(&V4[..15]), Err(Errno::EINVAL));
        assert_eq!(SockAddr::parse(&v6_bytes()[..27]), Err(Errno::EINVAL));
        let mut b = V4;
        b[0] = 1;
        assert_eq!(SockAddr::parse(&b), Err(Errno::EINVAL));
        assert_eq!(SockAddr::parse(&[]), Err(Errno::EINVAL));
    }

    #[test]
    fn sizes() {
        assert_eq!(pfkey_sockaddr_size(AF_INET), 16);
        assert_eq!(pfkey_sockaddr_size(AF_INET6), 32);
        assert_eq!(pfkey_sockaddr_size(1), 0);
        assert_eq!(pfkey_sockaddr_pair_size(AF_INET), 32);
        assert_eq!(pfkey_sockaddr_pair_size(AF_INET6), 56);
        assert_eq!(pfkey_align8(0), 0);
        assert_eq!(pfkey_align8(9), 16);
    }

    #[test]
    fn pair_rules() {
        let mut two = [0u8; 32];
        two[..16].copy_from_slice(&V4);
        two[16..].copy_from_slice(&V4);
        two[20] = 10;
        let (a, b) = parse_sockaddr_pair(&two).expect("pair");
        assert_eq!(a.port(), 500);
        assert_eq!(b.xfrm_address()[0], 10);
        // shorter than the pair size
        assert_eq!(parse_sockaddr_pair(&two[..31]), Err(Errno::EINVAL));
        assert_eq!(parse_sockaddr_pair(&two[..1]), Err(Errno::EINVAL));
        // families differ
        let mut mixed = [0u8; 56];
        mixed[..16].copy_from_slice(&V4);
        mixed[16..44].copy_from_slice(&v6_bytes());
        assert_eq!(parse_sockaddr_pair(&mixed), Err(Errno::EINVAL));
        // unknown family: pair size 0 passes the length test, extract fails
        assert_eq!(parse_sockaddr_pair(&[1, 0, 0, 0]), Err(Errno::EINVAL));
        // IPv6 pair
        let mut v6 = [0u8; 56];
        v6[..28].copy_from_slice(&v6_bytes());
        v6[28..].copy_from_slice(&v6_bytes());
        assert!(parse_sockaddr_pair(&v6).is_ok());
        assert_eq!(parse_sockaddr_pair(&v6[..55]), Err(Errno::EINVAL));
    }
}
