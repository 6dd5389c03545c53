//! `struct sadb_key` followed by the key bits (KEY_AUTH, KEY_ENCRYPT).

use sim_core::{Errno, KResult};

use super::field;
use super::sockaddr::pfkey_align8;

sadb_view! {
    /// A view of `struct sadb_key` (8 bytes) and the key after it.
    view SadbKey, size 8;
    /// `sadb_key_len`: header plus padded key, in 8-byte units.
    len, set_len: u16 @ 0;
    /// `sadb_key_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_key_bits`: key length in bits.
    bits, set_bits: u16 @ 4;
    /// `sadb_key_reserved`.
    reserved, set_reserved: u16 @ 6;
}

/// `struct sadb_key` with its key, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbKeyRepr {
    /// `sadb_key_exttype`.
    pub exttype: u16,
    /// `sadb_key_bits`.
    pub bits: u16,
    /// `sadb_key_reserved`.
    pub reserved: u16,
    /// The key: `(bits + 7) / 8` bytes.
    pub key: Vec<u8>,
}

impl SadbKeyRepr {
    /// Reads the header and `(bits + 7) / 8` key bytes (`EINVAL` if they do
    /// not fit in the buffer).
    pub fn parse<T: AsRef<[u8]>>(view: &SadbKey<T>) -> KResult<Self> {
        let key_bytes = usize::from(view.bits()).div_ceil(8);
        let key = view.payload().get(..key_bytes).ok_or(Errno::EINVAL)?.to_vec();
        Ok(SadbKeyRepr {
            exttype: view.exttype(),
            bits: view.bits(),
            reserved: view.reserved(),
            key,
        })
    }

    /// Header plus the key padded to 8 bytes.
    pub fn buffer_len(&self) -> usize {
        8 + pfkey_align8(self.key.len())
    }

    /// Writes the extension (padding zero) into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbKey<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(self.exttype);
        view.set_bits(self.bits);
        view.set_reserved(self.reserved);
        field::put(view.payload_mut(), 0, &self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::af_key::wire::consts::*;

    #[test]
    fn hmac_sha1_key_bytes() {
        // 160-bit key: 8 + 20 -> padded to 32 bytes, len 4
        let key: Vec<u8> = (1..=20).collect();
        let repr =
            SadbKeyRepr { exttype: SADB_EXT_KEY_AUTH, bits: 160, reserved: 0, key: key.clone() };
        let mut out = [0xeeu8; 32];
        repr.emit(&mut SadbKey::new_unchecked(&mut out[..]));
        let mut want = vec![4u8, 0, 8, 0, 160, 0, 0, 0];
        want.extend_from_slice(&key);
        want.extend_from_slice(&[0; 4]);
        assert_eq!(out[..], want[..]);
        let back = SadbKeyRepr::parse(&SadbKey::new_checked(&out[..]).expect("8"));
        assert_eq!(back, Ok(repr));
    }

    #[test]
    fn odd_bits_round_up() {
        let bytes = [2u8, 0, 9, 0, 9, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0];
        let r = SadbKeyRepr::parse(&SadbKey::new_checked(&bytes[..]).expect("8")).expect("fits");
        assert_eq!(r.key, [0xab, 0xcd]);
        assert_eq!(r.buffer_len(), 16);
    }

    #[test]
    fn key_longer_than_buffer_is_einval() {
        let bytes = [2u8, 0, 9, 0, 0x48, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            SadbKeyRepr::parse(&SadbKey::new_checked(&bytes[..]).expect("8")),
            Err(Errno::EINVAL)
        );
    }
}
