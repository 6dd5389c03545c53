//! SAD/SPD information structures (`XFRM_MSG_NEWSADINFO`,
//! `XFRM_MSG_NEWSPDINFO`).

use super::{U8, U32};

wire_struct! {
    /// `struct xfrmu_sadhinfo` (8 bytes): SAD hash size.
    repr XfrmuSadhinfo;
    /// Checked view of a `struct xfrmu_sadhinfo`.
    packet XfrmuSadhinfoPacket;
    size 8;
    {
        /// Current hash buckets.
        sadhcnt / set_sadhcnt: U32 => 0,
        /// Maximum hash buckets.
        sadhmcnt / set_sadhmcnt: U32 => 4,
    }
}

wire_struct! {
    /// `struct xfrmu_spdinfo` (24 bytes): policy counts per direction.
    repr XfrmuSpdinfo;
    /// Checked view of a `struct xfrmu_spdinfo`.
    packet XfrmuSpdinfoPacket;
    size 24;
    {
        /// Inbound policies.
        incnt / set_incnt: U32 => 0,
        /// Outbound policies.
        outcnt / set_outcnt: U32 => 4,
        /// Forward policies.
        fwdcnt / set_fwdcnt: U32 => 8,
        /// Inbound socket policies.
        inscnt / set_inscnt: U32 => 12,
        /// Outbound socket policies.
        outscnt / set_outscnt: U32 => 16,
        /// Forward socket policies.
        fwdscnt / set_fwdscnt: U32 => 20,
    }
}

wire_struct! {
    /// `struct xfrmu_spdhinfo` (8 bytes): SPD hash size.
    repr XfrmuSpdhinfo;
    /// Checked view of a `struct xfrmu_spdhinfo`.
    packet XfrmuSpdhinfoPacket;
    size 8;
    {
        /// Current hash mask/count.
        spdhcnt / set_spdhcnt: U32 => 0,
        /// Maximum hash buckets.
        spdhmcnt / set_spdhmcnt: U32 => 4,
    }
}

wire_struct! {
    /// `struct xfrmu_spdhthresh` (2 bytes): prefix-length thresholds for
    /// hashing policies.
    repr XfrmuSpdhthresh;
    /// Checked view of a `struct xfrmu_spdhthresh`.
    packet XfrmuSpdhthreshPacket;
    size 2;
    {
        /// Local (destination) prefix threshold.
        lbits / set_lbits: U8 => 0,
        /// Remote (source) prefix threshold.
        rbits / set_rbits: U8 => 1,
    }
}
