//! The XFRM hash functions of `net/xfrm/xfrm_hash.h` (current kernels:
//! IPv6 addresses through `jhash2`) and the `jhash` helpers of
//! `include/linux/jhash.h` they use. Raw words are read as a little-endian
//! kernel reads them, so bucket numbers are Linux's on x86.

use super::addr::{AF_INET, AF_INET6, XfrmAddress};
use super::selector::XfrmSelector;

/// `JHASH_INITVAL`.
pub const JHASH_INITVAL: u32 = 0xdead_beef;

#[inline]
fn jhash_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn jhash_final(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// `jhash2(k, length, initval)`: Jenkins lookup3 over 32-bit words.
pub fn jhash2(k: &[u32], initval: u32) -> u32 {
    let len = k.len() as u32;
    let init = JHASH_INITVAL.wrapping_add(len << 2).wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = k;
    while rest.len() > 3 {
        a = a.wrapping_add(rest[0]);
        b = b.wrapping_add(rest[1]);
        c = c.wrapping_add(rest[2]);
        jhash_mix(&mut a, &mut b, &mut c);
        rest = &rest[3..];
    }
    match rest.len() {
        0 => return c,
        3 => {
            c = c.wrapping_add(rest[2]);
            b = b.wrapping_add(rest[1]);
            a = a.wrapping_add(rest[0]);
        }
        2 => {
            b = b.wrapping_add(rest[1]);
            a = a.wrapping_add(rest[0]);
        }
        _ => a = a.wrapping_add(rest[0]),
    }
    jhash_final(&mut a, &mut b, &mut c);
    c
}

/// `jhash_2words(a, b, initval)`.
pub fn jhash_2words(a: u32, b: u32, initval: u32) -> u32 {
    let iv = initval.wrapping_add(JHASH_INITVAL).wrapping_add(2 << 2);
    let (mut a, mut b, mut c) = (a.wrapping_add(iv), b.wrapping_add(iv), iv);
    jhash_final(&mut a, &mut b, &mut c);
    c
}

fn a6_raw(a: &XfrmAddress) -> [u32; 4] {
    [a.a6_raw(0), a.a6_raw(1), a.a6_raw(2), a.a6_raw(3)]
}

/// `__xfrm4_addr_hash`: `ntohl(a4)`.
#[inline]
pub fn xfrm4_addr_hash(a: &XfrmAddress) -> u32 {
    a.a4_host()
}

/// `__xfrm6_addr_hash`: `jhash2(a6, 4, 0)`.
#[inline]
pub fn xfrm6_addr_hash(a: &XfrmAddress) -> u32 {
    jhash2(&a6_raw(a), 0)
}

/// `__xfrm4_daddr_saddr_hash`: the raw words summed, then `ntohl`.
#[inline]
pub fn xfrm4_daddr_saddr_hash(d: &XfrmAddress, s: &XfrmAddress) -> u32 {
    d.a4_raw().wrapping_add(s.a4_raw()).swap_bytes()
}

/// `__xfrm6_daddr_saddr_hash`.
#[inline]
pub fn xfrm6_daddr_saddr_hash(d: &XfrmAddress, s: &XfrmAddress) -> u32 {
    xfrm6_addr_hash(d) ^ xfrm6_addr_hash(s)
}

fn daddr_saddr_hash(d: &XfrmAddress, s: &XfrmAddress, family: u16) -> u32 {
    match family {
        AF_INET => xfrm4_daddr_saddr_hash(d, s),
        AF_INET6 => xfrm6_daddr_saddr_hash(d, s),
        _ => 0,
    }
}

/// `__xfrm_dst_hash(daddr, saddr, reqid, family, hmask)`.
#[inline]
pub fn xfrm_dst_hash(d: &XfrmAddress, s: &XfrmAddress, reqid: u32, family: u16, hmask: u32) -> u32 {
    let h = u32::from(family) ^ reqid ^ daddr_saddr_hash(d, s, family);
    (h ^ (h >> 16)) & hmask
}

/// `__xfrm_src_hash(daddr, saddr, family, hmask)`.
#[inline]
pub fn xfrm_src_hash(d: &XfrmAddress, s: &XfrmAddress, family: u16, hmask: u32) -> u32 {
    let h = u32::from(family) ^ daddr_saddr_hash(d, s, family);
    (h ^ (h >> 16)) & hmask
}

/// `__xfrm_spi_hash(daddr, spi, proto, family, hmask)`; `spi` is the SPI
/// number, hashed in its network-order form as the kernel does.
#[inline]
pub fn xfrm_spi_hash(d: &XfrmAddress, spi: u32, proto: u8, family: u16, hmask: u32) -> u32 {
    let raw_spi = u32::from_le_bytes(spi.to_be_bytes());
    let mut h = raw_spi ^ u32::from(proto);
    match family {
        AF_INET => h ^= xfrm4_addr_hash(d),
        AF_INET6 => h ^= xfrm6_addr_hash(d),
        _ => {}
    }
    (h ^ (h >> 10) ^ (h >> 20)) & hmask
}

/// `__xfrm_seq_hash(seq, hmask)`.
#[inline]
pub fn xfrm_seq_hash(seq: u32, hmask: u32) -> u32 {
    (seq ^ (seq >> 10) ^ (seq >> 20)) & hmask
}

/// `__idx_hash(index, hmask)` (policy index table).
#[inline]
pub fn idx_hash(index: u32, hmask: u32) -> u32 {
    (index ^ (index >> 8)) & hmask
}

/// `__bits2mask32(bits)`.
#[inline]
pub fn bits2mask32(bits: u8) -> u32 {
    match bits {
        0 => 0,
        b if b < 32 => u32::MAX << (32 - u32::from(b)),
        _ => u32::MAX,
    }
}

/// `__xfrm4_dpref_spref_hash`.
pub fn xfrm4_dpref_spref_hash(d: &XfrmAddress, s: &XfrmAddress, dbits: u8, sbits: u8) -> u32 {
    jhash_2words(d.a4_host() & bits2mask32(dbits), s.a4_host() & bits2mask32(sbits), 0)
}

/// `__xfrm6_pref_hash(addr, prefixlen)`.
pub fn xfrm6_pref_hash(a: &XfrmAddress, prefixlen: u8) -> u32 {
    let words = a6_raw(a);
    let pdw = usize::from(prefixlen.min(128) >> 5);
    let pbi = u32::from(prefixlen & 0x1f);
    let mut initval = 0;
    if pbi != 0 && pdw < 4 {
        // htonl(~0 << (32 - pbi)) loaded as a raw word.
        let mask = u32::from_le_bytes((u32::MAX << (32 - pbi)).to_be_bytes());
        initval = words[pdw] & mask;
    }
    jhash2(&words[..pdw], initval)
}

/// `__xfrm6_dpref_spref_hash`.
pub fn xfrm6_dpref_spref_hash(d: &XfrmAddress, s: &XfrmAddress, dbits: u8, sbits: u8) -> u32 {
    xfrm6_pref_hash(d, dbits) ^ xfrm6_pref_hash(s, sbits)
}

/// `__sel_hash(sel, family, hmask, dbits, sbits)`: the bucket of a policy
/// selector, or `hmask + 1` ("not hashable": inexact) when a prefix is
/// shorter than the threshold.
pub fn sel_hash(sel: &XfrmSelector, family: u16, hmask: u32, dbits: u8, sbits: u8) -> u32 {
    let h = match family {
        AF_INET | AF_INET6 if sel.prefixlen_d < dbits || sel.prefixlen_s < sbits => {
            return hmask.wrapping_add(1);
        }
        AF_INET => xfrm4_dpref_spref_hash(&sel.daddr, &sel.saddr, dbits, sbits),
        AF_INET6 => xfrm6_dpref_spref_hash(&sel.daddr, &sel.saddr, dbits, sbits),
        _ => 0,
    };
    (h ^ (h >> 16)) & hmask
}

/// `__addr_hash(daddr, saddr, family, hmask, dbits, sbits)`: the bucket a
/// flow's addresses fall in.
pub fn addr_hash(
    d: &XfrmAddress,
    s: &XfrmAddress,
    family: u16,
    hmask: u32,
    dbits: u8,
    sbits: u8,
) -> u32 {
    let h = match family {
        AF_INET => xfrm4_dpref_spref_hash(d, s, dbits, sbits),
        AF_INET6 => xfrm6_dpref_spref_hash(d, s, dbits, sbits),
        _ => 0,
    };
    (h ^ (h >> 16)) & hmask
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn jhash_known_values() {
        // lookup3 hashword() of nothing with initval 0 returns the initial c.
        assert_eq!(jhash2(&[], 0), JHASH_INITVAL);
        // jhash_2words(a, b, iv) is jhash2([a, b], iv) by construction.
        for (a, b, iv) in [(1u32, 2u32, 0u32), (0xdead, 0xbeef, 7), (u32::MAX, 0, 0x1234)] {
            assert_eq!(jhash_2words(a, b, iv), jhash2(&[a, b], iv));
        }
        // Different inputs spread.
        assert_ne!(jhash2(&[1, 2, 3, 4], 0), jhash2(&[1, 2, 3, 5], 0));
    }

    #[test]
    fn v4_sum_hash() {
        let d: XfrmAddress = Ipv4Addr::new(10, 0, 0, 1).into();
        let s: XfrmAddress = Ipv4Addr::new(10, 0, 0, 2).into();
        // Raw LE words 0x0100000a + 0x0200000a = 0x03000014 → ntohl 0x14000003.
        assert_eq!(xfrm4_daddr_saddr_hash(&d, &s), 0x1400_0003);
        let h = 2 ^ 0x1400_0003u32;
        assert_eq!(xfrm_src_hash(&d, &s, AF_INET, 0xff), (h ^ (h >> 16)) & 0xff);
        let h = 2 ^ 5 ^ 0x1400_0003u32;
        assert_eq!(xfrm_dst_hash(&d, &s, 5, AF_INET, 0xfff), (h ^ (h >> 16)) & 0xfff);
    }

    #[test]
    fn spi_hash_uses_network_order() {
        let d: XfrmAddress = Ipv4Addr::new(192, 168, 0, 1).into();
        let h = 0x0100_0000u32 ^ 50 ^ 0xc0a8_0001;
        assert_eq!(xfrm_spi_hash(&d, 1, 50, AF_INET, u32::MAX), h ^ (h >> 10) ^ (h >> 20));
        assert_eq!(xfrm_seq_hash(0x400, 0xff), (0x400 ^ 1) & 0xff);
    }

    #[test]
    fn prefix_hashes() {
        assert_eq!(bits2mask32(0), 0);
        assert_eq!(bits2mask32(24), 0xffff_ff00);
        assert_eq!(bits2mask32(32), u32::MAX);
        let a: XfrmAddress = Ipv4Addr::new(10, 1, 2, 3).into();
        let b: XfrmAddress = Ipv4Addr::new(10, 1, 2, 99).into();
        // Same /24 prefix → same hash.
        assert_eq!(xfrm4_dpref_spref_hash(&a, &a, 24, 24), xfrm4_dpref_spref_hash(&b, &b, 24, 24));
        let sel = XfrmSelector {
            daddr: a,
            saddr: b,
            prefixlen_d: 16,
            prefixlen_s: 32,
            family: AF_INET,
            ..Default::default()
        };
        assert_eq!(sel_hash(&sel, AF_INET, 7, 32, 32), 8);
        let h = sel_hash(&sel, AF_INET, 7, 16, 16);
        assert!(h <= 7);
        assert_eq!(h, addr_hash(&a, &b, AF_INET, 7, 16, 16));
        let x: XfrmAddress = "2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().into();
        let y: XfrmAddress = "2001:db8::2".parse::<std::net::Ipv6Addr>().unwrap().into();
        assert_eq!(xfrm6_pref_hash(&x, 64), xfrm6_pref_hash(&y, 64));
        assert_ne!(xfrm6_pref_hash(&x, 128), xfrm6_pref_hash(&y, 128));
        assert_eq!(xfrm6_pref_hash(&x, 0), JHASH_INITVAL);
    }
}
