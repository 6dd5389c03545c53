//! `struct sadb_x_kmaddress` followed by the local and remote sockaddrs
//! (X_KMADDRESS, in MIGRATE).

use sim_core::{Errno, KResult};

use super::consts::SADB_X_EXT_KMADDRESS;
use super::field;
use super::sockaddr::{SockAddr, parse_sockaddr_pair, pfkey_sockaddr_pair_size};

sadb_view! {
    /// A view of `struct sadb_x_kmaddress` (8 bytes) and the addresses after it.
    view SadbXKmaddress, size 8;
    /// `sadb_x_kmaddress_len`.
    len, set_len: u16 @ 0;
    /// `sadb_x_kmaddress_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_x_kmaddress_reserved` (carried into `xfrm_kmaddress.reserved`).
    reserved, set_reserved: u32 @ 4;
}

/// `struct sadb_x_kmaddress` with its addresses, as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SadbXKmaddressRepr {
    /// `sadb_x_kmaddress_reserved`.
    pub reserved: u32,
    /// The local address.
    pub local: SockAddr,
    /// The remote address (same family).
    pub remote: SockAddr,
}

impl SadbXKmaddressRepr {
    /// Reads the header and the address pair with `parse_sockaddr_pair()`
    /// over the extension's remaining bytes (`EINVAL` as it rules, or if
    /// the type is not X_KMADDRESS).
    pub fn parse<T: AsRef<[u8]>>(view: &SadbXKmaddress<T>) -> KResult<Self> {
        if view.exttype() != SADB_X_EXT_KMADDRESS {
            return Err(Errno::EINVAL);
        }
        let (local, remote) = parse_sockaddr_pair(view.payload())?;
        Ok(SadbXKmaddressRepr { reserved: view.reserved(), local, remote })
    }

    /// Header plus the padded pair: 40 (IPv4) or 64 (IPv6).
    pub const fn buffer_len(&self) -> usize {
        8 + pfkey_sockaddr_pair_size(self.local.family())
    }

    /// `set_sadb_kmaddress()`: writes the extension into at least
    /// `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbXKmaddress<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(SADB_X_EXT_KMADDRESS);
        view.set_reserved(self.reserved);
        let socklen = self.local.buffer_len();
        let payload = view.payload_mut();
        self.local.emit(payload);
        if let Some(rest) = payload.get_mut(socklen..) {
            self.remote.emit(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_pair_bytes() {
        let repr = SadbXKmaddressRepr {
            reserved: 0,
            local: SockAddr::v4([10, 0, 0, 1], 0),
            remote: SockAddr::v4([10, 0, 0, 2], 0),
        };
        let mut out = vec![0xeeu8; repr.buffer_len()];
        repr.emit(&mut SadbXKmaddress::new_unchecked(&mut out[..]));
        let mut want = vec![5u8, 0, 25, 0, 0, 0, 0, 0];
        want.extend_from_slice(&[2, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[2, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(out, want);
        assert_eq!(
            SadbXKmaddressRepr::parse(&SadbXKmaddress::new_checked(&out[..]).expect("8")),
            Ok(repr)
        );
        assert_eq!(
            SadbXKmaddressRepr::parse(&SadbXKmaddress::new_checked(&out[..39]).expect("8")),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn v6_pair_is_64_bytes() {
        let repr = SadbXKmaddressRepr {
            reserved: 9,
            local: SockAddr::v6([1; 16], 0),
            remote: SockAddr::v6([2; 16], 0),
        };
        assert_eq!(repr.buffer_len(), 64);
        let mut out = [0u8; 64];
        repr.emit(&mut SadbXKmaddress::new_unchecked(&mut out[..]));
        assert_eq!(out[..8], [8, 0, 25, 0, 9, 0, 0, 0]);
        assert_eq!(out[8 + 28], 10);
        assert_eq!(
            SadbXKmaddressRepr::parse(&SadbXKmaddress::new_checked(&out[..]).expect("8")),
            Ok(repr)
        );
    }
}
