//! `struct xfrm_user_tmpl` and the `XFRMA_TMPL` array.

use super::{Addr, FixedRepr, Nested, U8, U16, U32, XfrmId};

wire_struct! {
    /// `struct xfrm_user_tmpl` (64 bytes): one template of a policy.
    repr XfrmUserTmpl;
    /// Checked view of a `struct xfrm_user_tmpl`.
    packet XfrmUserTmplPacket;
    size 64;
    {
        /// SA identity (daddr, SPI, protocol).
        id / set_id: Nested<XfrmId> => 0,
        /// Address family of the SA (0 = the policy's).
        family / set_family: U16 => 24,
        /// Source address.
        saddr / set_saddr: Addr => 28,
        /// Request id.
        reqid / set_reqid: U32 => 44,
        /// Mode (`XFRM_MODE_*`).
        mode / set_mode: U8 => 48,
        /// Sharing (`XFRM_SHARE_*`).
        share / set_share: U8 => 49,
        /// Template may be skipped (`level use`).
        optional / set_optional: U8 => 50,
        /// Allowed authentication algorithms (bitmask).
        aalgos / set_aalgos: U32 => 52,
        /// Allowed encryption algorithms (bitmask).
        ealgos / set_ealgos: U32 => 56,
        /// Allowed compression algorithms (bitmask).
        calgos / set_calgos: U32 => 60,
    }
}

/// The templates of an `XFRMA_TMPL` payload: `nla_len / 64` entries, as
/// `copy_from_user_tmpl` counts them (a partial trailing entry is ignored).
pub fn parse_user_tmpls(payload: &[u8]) -> Vec<XfrmUserTmpl> {
    payload.chunks_exact(XfrmUserTmpl::SIZE).map(|c| XfrmUserTmpl::read_at(c, 0)).collect()
}

/// The `XFRMA_TMPL` payload for `tmpls` (`copy_to_user_tmpl`).
pub fn emit_user_tmpls(tmpls: &[XfrmUserTmpl]) -> Vec<u8> {
    let mut out = vec![0u8; tmpls.len() * XfrmUserTmpl::SIZE];
    for (i, t) in tmpls.iter().enumerate() {
        t.write_at(&mut out, i * XfrmUserTmpl::SIZE);
    }
    out
}
