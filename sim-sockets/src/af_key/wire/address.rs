//! `struct sadb_address` followed by a sockaddr (ADDRESS_SRC, ADDRESS_DST,
//! ADDRESS_PROXY, X_NAT_T_OA).

use sim_core::KResult;

use super::field;
use super::sockaddr::{SockAddr, pfkey_sockaddr_size};

sadb_view! {
    /// A view of `struct sadb_address` (8 bytes) and the sockaddr after it.
    view SadbAddress, size 8;
    /// `sadb_address_len`: header plus sockaddr, in 8-byte units.
    len, set_len: u16 @ 0;
    /// `sadb_address_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_address_proto`: upper-layer protocol, `IPSEC_ULPROTO_ANY` = any.
    proto, set_proto: u8 @ 4;
    /// `sadb_address_prefixlen`.
    prefixlen, set_prefixlen: u8 @ 5;
    /// `sadb_address_reserved`.
    reserved, set_reserved: u16 @ 6;
}

impl<T: AsRef<[u8]>> SadbAddress<T> {
    /// The `sa_family` of the sockaddr after the header (0 if absent).
    pub fn family(&self) -> u16 {
        SockAddr::peek_family(self.payload())
    }

    /// The port of the sockaddr (`sin_port`, which `sin6_port` overlays),
    /// as the kernel reads it for selectors (0 if absent).
    pub fn port(&self) -> u16 {
        field::get_be16(self.payload(), 2)
    }
}

/// `struct sadb_address` with its sockaddr, as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SadbAddressRepr {
    /// `sadb_address_exttype`.
    pub exttype: u16,
    /// `sadb_address_proto`.
    pub proto: u8,
    /// `sadb_address_prefixlen`.
    pub prefixlen: u8,
    /// `sadb_address_reserved`.
    pub reserved: u16,
    /// The sockaddr.
    pub addr: SockAddr,
}

impl SadbAddressRepr {
    /// Reads the header and an inet/inet6 sockaddr (`EINVAL` for another
    /// family or a sockaddr that does not fit).
    pub fn parse<T: AsRef<[u8]>>(view: &SadbAddress<T>) -> KResult<Self> {
        Ok(SadbAddressRepr {
            exttype: view.exttype(),
            proto: view.proto(),
            prefixlen: view.prefixlen(),
            reserved: view.reserved(),
            addr: SockAddr::parse(view.payload())?,
        })
    }

    /// Header plus the padded sockaddr: 24 (IPv4) or 40 (IPv6).
    pub const fn buffer_len(&self) -> usize {
        8 + pfkey_sockaddr_size(self.addr.family())
    }

    /// Writes the extension (padding zero) into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbAddress<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(self.exttype);
        view.set_proto(self.proto);
        view.set_prefixlen(self.prefixlen);
        view.set_reserved(self.reserved);
        self.addr.emit(view.payload_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::consts::*;
    use sim_core::Errno;

    #[test]
    fn v4_source_bytes() {
        // sadb_address { len 3, SRC, proto 255, prefixlen 32 } + sockaddr_in 10.0.0.1
        let bytes: [u8; 24] =
            [3, 0, 5, 0, 255, 32, 0, 0, 2, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let repr = SadbAddressRepr {
            exttype: SADB_EXT_ADDRESS_SRC,
            proto: IPSEC_ULPROTO_ANY,
            prefixlen: 32,
            reserved: 0,
            addr: SockAddr::v4([10, 0, 0, 1], 0),
        };
        let v = SadbAddress::new_checked(&bytes[..]).expect("8");
        assert_eq!(v.family(), AF_INET);
        assert_eq!(SadbAddressRepr::parse(&v), Ok(repr));
        assert_eq!(repr.buffer_len(), 24);
        let mut out = [0xeeu8; 24];
        repr.emit(&mut SadbAddress::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn v6_destination_is_padded_to_40() {
        let mut a = [0u8; 16];
        a[15] = 1;
        let repr = SadbAddressRepr {
            exttype: SADB_EXT_ADDRESS_DST,
            proto: 0,
            prefixlen: 128,
            reserved: 0,
            addr: SockAddr::v6(a, 0),
        };
        let mut out = [0xeeu8; 40];
        repr.emit(&mut SadbAddress::new_unchecked(&mut out[..]));
        assert_eq!(out[..10], [5, 0, 6, 0, 0, 128, 0, 0, 10, 0]);
        assert_eq!(out[31], 1);
        assert!(out[32..].iter().all(|&b| b == 0));
        let back = SadbAddressRepr::parse(&SadbAddress::new_checked(&out[..]).expect("8"));
        assert_eq!(back, Ok(repr));
    }

    #[test]
    fn truncated_sockaddr_is_einval() {
        let bytes = [2u8, 0, 5, 0, 0, 32, 0, 0, 2, 0, 0, 0, 10, 0, 0, 1];
        let v = SadbAddress::new_checked(&bytes[..]).expect("8");
        assert_eq!(SadbAddressRepr::parse(&v), Err(Errno::EINVAL));
    }
}
