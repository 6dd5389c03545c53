//! Policy messages: `xfrm_userpolicy_info`, `xfrm_userpolicy_id`,
//! `xfrm_user_polexpire`, `xfrm_user_acquire`, `xfrm_userpolicy_type`,
//! `xfrm_userpolicy_default`, and `xfrm_user_report`,
//! `xfrm_user_migrate`, `xfrm_user_kmaddress`.

use super::{Addr, Nested, U8, U16, U32, XfrmId, XfrmLifetimeCfg, XfrmLifetimeCur, XfrmSelector};

wire_struct! {
    /// `struct xfrm_userpolicy_info` (168 bytes, 4 bytes of tail padding).
    repr XfrmUserpolicyInfo;
    /// Checked view of a `struct xfrm_userpolicy_info`.
    packet XfrmUserpolicyInfoPacket;
    size 168;
    {
        /// Selector.
        sel / set_sel: Nested<XfrmSelector> => 0,
        /// Lifetime limits.
        lft / set_lft: Nested<XfrmLifetimeCfg> => 56,
        /// Current lifetime.
        curlft / set_curlft: Nested<XfrmLifetimeCur> => 120,
        /// Priority (lower wins).
        priority / set_priority: U32 => 152,
        /// Index (`index & 7` is the direction).
        index / set_index: U32 => 156,
        /// Direction (`XFRM_POLICY_IN/OUT/FWD`).
        dir / set_dir: U8 => 160,
        /// Action (`XFRM_POLICY_ALLOW/BLOCK`).
        action / set_action: U8 => 161,
        /// `XFRM_POLICY_LOCALOK | ICMP | CPU_ACQUIRE`.
        flags / set_flags: U8 => 162,
        /// Sharing (`XFRM_SHARE_*`).
        share / set_share: U8 => 163,
    }
}

wire_struct! {
    /// `struct xfrm_userpolicy_id` (64 bytes): policy lookup key.
    repr XfrmUserpolicyId;
    /// Checked view of a `struct xfrm_userpolicy_id`.
    packet XfrmUserpolicyIdPacket;
    size 64;
    {
        /// Selector (used when `index` is 0).
        sel / set_sel: Nested<XfrmSelector> => 0,
        /// Index (0 = look up by selector).
        index / set_index: U32 => 56,
        /// Direction.
        dir / set_dir: U8 => 60,
    }
}

wire_struct! {
    /// `struct xfrm_user_polexpire` (176 bytes): POLEXPIRE.
    repr XfrmUserPolexpire;
    /// Checked view of a `struct xfrm_user_polexpire`.
    packet XfrmUserPolexpirePacket;
    size 176;
    {
        /// The expiring policy.
        pol / set_pol: Nested<XfrmUserpolicyInfo> => 0,
        /// 1 for a hard expiry.
        hard / set_hard: U8 => 168,
    }
}

wire_struct! {
    /// `struct xfrm_user_acquire` (280 bytes): ACQUIRE.
    repr XfrmUserAcquire;
    /// Checked view of a `struct xfrm_user_acquire`.
    packet XfrmUserAcquirePacket;
    size 280;
    {
        /// Identity of the wanted SA.
        id / set_id: Nested<XfrmId> => 0,
        /// Source address.
        saddr / set_saddr: Addr => 24,
        /// Selector of the triggering flow.
        sel / set_sel: Nested<XfrmSelector> => 40,
        /// The policy that asked.
        policy / set_policy: Nested<XfrmUserpolicyInfo> => 96,
        /// Acceptable authentication algorithms.
        aalgos / set_aalgos: U32 => 264,
        /// Acceptable encryption algorithms.
        ealgos / set_ealgos: U32 => 268,
        /// Acceptable compression algorithms.
        calgos / set_calgos: U32 => 272,
        /// Acquire sequence number.
        seq / set_seq: U32 => 276,
    }
}

wire_struct! {
    /// `struct xfrm_userpolicy_type` (6 bytes): `XFRMA_POLICY_TYPE`.
    repr XfrmUserpolicyType;
    /// Checked view of a `struct xfrm_userpolicy_type`.
    packet XfrmUserpolicyTypePacket;
    size 6;
    {
        /// `XFRM_POLICY_TYPE_MAIN/SUB`.
        type_ / set_type: U8 => 0,
        /// Reserved.
        reserved1 / set_reserved1: U16 => 2,
        /// Reserved.
        reserved2 / set_reserved2: U8 => 4,
    }
}

wire_struct! {
    /// `struct xfrm_userpolicy_default` (3 bytes): SETDEFAULT/GETDEFAULT.
    repr XfrmUserpolicyDefault;
    /// Checked view of a `struct xfrm_userpolicy_default`.
    packet XfrmUserpolicyDefaultPacket;
    size 3;
    {
        /// Inbound default (`XFRM_USERPOLICY_*`).
        in_ / set_in: U8 => 0,
        /// Forward default.
        fwd / set_fwd: U8 => 1,
        /// Outbound default.
        out / set_out: U8 => 2,
    }
}

wire_struct! {
    /// `struct xfrm_user_report` (60 bytes): REPORT.
    repr XfrmUserReport;
    /// Checked view of a `struct xfrm_user_report`.
    packet XfrmUserReportPacket;
    size 60;
    {
        /// Protocol.
        proto / set_proto: U8 => 0,
        /// Selector of the offending packet.
        sel / set_sel: Nested<XfrmSelector> => 4,
    }
}

wire_struct! {
    /// `struct xfrm_user_migrate` (76 bytes): one `XFRMA_MIGRATE` entry.
    repr XfrmUserMigrate;
    /// Checked view of a `struct xfrm_user_migrate`.
    packet XfrmUserMigratePacket;
    size 76;
    {
        /// Old destination.
        old_daddr / set_old_daddr: Addr => 0,
        /// Old source.
        old_saddr / set_old_saddr: Addr => 16,
        /// New destination.
        new_daddr / set_new_daddr: Addr => 32,
        /// New source.
        new_saddr / set_new_saddr: Addr => 48,
        /// Protocol.
        proto / set_proto: U8 => 64,
        /// Mode.
        mode / set_mode: U8 => 65,
        /// Reserved.
        reserved / set_reserved: U16 => 66,
        /// Request id.
        reqid / set_reqid: U32 => 68,
        /// Old family.
        old_family / set_old_family: U16 => 72,
        /// New family.
        new_family / set_new_family: U16 => 74,
    }
}

wire_struct! {
    /// `struct xfrm_user_kmaddress` (40 bytes): `XFRMA_KMADDRESS`.
    repr XfrmUserKmaddress;
    /// Checked view of a `struct xfrm_user_kmaddress`.
    packet XfrmUserKmaddressPacket;
    size 40;
    {
        /// Local address.
        local / set_local: Addr => 0,
        /// Remote address.
        remote / set_remote: Addr => 16,
        /// Reserved.
        reserved / set_reserved: U32 => 32,
        /// Family.
        family / set_family: U16 => 36,
    }
}

/// The entries of an `XFRMA_MIGRATE` payload (`nla_len / 76` of them, as
/// `copy_from_user_migrate` counts).
pub fn parse_user_migrates(payload: &[u8]) -> Vec<XfrmUserMigrate> {
    use super::FixedRepr;
    payload.chunks_exact(XfrmUserMigrate::SIZE).map(|c| XfrmUserMigrate::read_at(c, 0)).collect()
}
