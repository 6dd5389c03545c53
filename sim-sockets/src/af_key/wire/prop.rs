//! `struct sadb_prop` followed by `struct sadb_comb`s (PROPOSAL, in
//! ACQUIRE messages).

use sim_core::{Errno, KResult};

use super::consts::SADB_EXT_PROPOSAL;
use super::field;

sadb_view! {
    /// A view of `struct sadb_prop` (8 bytes) and the combinations after it.
    view SadbProp, size 8;
    /// `sadb_prop_len`.
    len, set_len: u16 @ 0;
    /// `sadb_prop_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_prop_replay`: replay window.
    replay, set_replay: u8 @ 4;
}

sadb_fixed! {
    /// A view of `struct sadb_comb` (72 bytes): one proposed combination.
    view SadbComb, size 72;
    /// `struct sadb_comb` as values.
    repr SadbCombRepr, ext none;
    /// `sadb_comb_auth`.
    auth, set_auth: u8 @ 0;
    /// `sadb_comb_encrypt`.
    encrypt, set_encrypt: u8 @ 1;
    /// `sadb_comb_flags`.
    flags, set_flags: u16 @ 2;
    /// `sadb_comb_auth_minbits`.
    auth_minbits, set_auth_minbits: u16 @ 4;
    /// `sadb_comb_auth_maxbits`.
    auth_maxbits, set_auth_maxbits: u16 @ 6;
    /// `sadb_comb_encrypt_minbits`.
    encrypt_minbits, set_encrypt_minbits: u16 @ 8;
    /// `sadb_comb_encrypt_maxbits`.
    encrypt_maxbits, set_encrypt_maxbits: u16 @ 10;
    /// `sadb_comb_reserved`.
    reserved, set_reserved: u32 @ 12;
    /// `sadb_comb_soft_allocations`.
    soft_allocations, set_soft_allocations: u32 @ 16;
    /// `sadb_comb_hard_allocations`.
    hard_allocations, set_hard_allocations: u32 @ 20;
    /// `sadb_comb_soft_bytes`.
    soft_bytes, set_soft_bytes: u64 @ 24;
    /// `sadb_comb_hard_bytes`.
    hard_bytes, set_hard_bytes: u64 @ 32;
    /// `sadb_comb_soft_addtime`.
    soft_addtime, set_soft_addtime: u64 @ 40;
    /// `sadb_comb_hard_addtime`.
    hard_addtime, set_hard_addtime: u64 @ 48;
    /// `sadb_comb_soft_usetime`.
    soft_usetime, set_soft_usetime: u64 @ 56;
    /// `sadb_comb_hard_usetime`.
    hard_usetime, set_hard_usetime: u64 @ 64;
}

/// `struct sadb_prop` with its combinations, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbPropRepr {
    /// `sadb_prop_replay`.
    pub replay: u8,
    /// The `sadb_comb`s: as many whole ones as the extension holds.
    pub combs: Vec<SadbCombRepr>,
}

impl SadbPropRepr {
    /// Reads the header and every whole `sadb_comb` after it (a partial
    /// trailing one is ignored); `EINVAL` if the type is not PROPOSAL.
    pub fn parse<T: AsRef<[u8]>>(view: &SadbProp<T>) -> KResult<Self> {
        if view.exttype() != SADB_EXT_PROPOSAL {
            return Err(Errno::EINVAL);
        }
        let combs = view
            .payload()
            .chunks_exact(SadbComb::<&[u8]>::SIZE)
            .map(|c| SadbCombRepr::parse(&SadbComb::new_unchecked(c)))
            .collect::<KResult<_>>()?;
        Ok(SadbPropRepr { replay: view.replay(), combs })
    }

    /// Header plus the combinations.
    pub fn buffer_len(&self) -> usize {
        8 + 72 * self.combs.len()
    }

    /// Writes the extension into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbProp<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(SADB_EXT_PROPOSAL);
        view.set_replay(self.replay);
        for (c, chunk) in self.combs.iter().zip(view.payload_mut().chunks_exact_mut(72)) {
            c.emit(&mut SadbComb::new_unchecked(chunk));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposal_bytes() {
        // dump_esp_combs' shape: replay 32, one comb aes-cbc x hmac-sha1
        let comb = SadbCombRepr {
            auth: 3,
            encrypt: 12,
            auth_minbits: 160,
            auth_maxbits: 160,
            encrypt_minbits: 128,
            encrypt_maxbits: 256,
            hard_addtime: 86400,
            soft_addtime: 72000,
            hard_usetime: 28800,
            soft_usetime: 25200,
            ..Default::default()
        };
        let repr = SadbPropRepr { replay: 32, combs: vec![comb] };
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut SadbProp::new_unchecked(&mut out[..]));
        assert_eq!(out.len(), 80);
        assert_eq!(out[..8], [10, 0, 13, 0, 32, 0, 0, 0]);
        assert_eq!(out[8..20], [3, 12, 0, 0, 160, 0, 160, 0, 128, 0, 0, 1]);
        assert_eq!(out[8 + 40..8 + 44], 72000u32.to_le_bytes());
        assert_eq!(out[8 + 48..8 + 52], 86400u32.to_le_bytes());
        assert_eq!(out[8 + 56..8 + 60], 25200u32.to_le_bytes());
        assert_eq!(out[8 + 64..8 + 68], 28800u32.to_le_bytes());
        assert_eq!(SadbPropRepr::parse(&SadbProp::new_checked(&out[..]).expect("8")), Ok(repr));
        // a partial comb is not a comb
        let short = SadbPropRepr::parse(&SadbProp::new_checked(&out[..79]).expect("8"));
        assert_eq!(short.map(|r| r.combs.len()), Ok(0));
    }
}
