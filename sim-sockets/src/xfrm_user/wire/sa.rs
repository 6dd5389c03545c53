//! SA messages: `xfrm_usersa_info`, `xfrm_usersa_id`, `xfrm_aevent_id`,
//! `xfrm_userspi_info`, `xfrm_user_expire`, `xfrm_usersa_flush`, and the
//! SA attributes `xfrm_encap_tmpl`, `xfrm_user_offload`,
//! `xfrm_address_filter`, `xfrm_user_mapping`.

use super::{
    Addr, Be16, Be32, I32, Nested, U8, U16, U32, XfrmId, XfrmLifetimeCfg, XfrmLifetimeCur,
    XfrmSelector, XfrmStats,
};

wire_struct! {
    /// `struct xfrm_usersa_info` (224 bytes, 7 bytes of tail padding): the
    /// payload of NEWSA/UPDSA/GETSA replies.
    repr XfrmUsersaInfo;
    /// Checked view of a `struct xfrm_usersa_info`.
    packet XfrmUsersaInfoPacket;
    size 224;
    {
        /// Selector.
        sel / set_sel: Nested<XfrmSelector> => 0,
        /// Identity (daddr, SPI, protocol).
        id / set_id: Nested<XfrmId> => 56,
        /// Source address.
        saddr / set_saddr: Addr => 80,
        /// Lifetime limits.
        lft / set_lft: Nested<XfrmLifetimeCfg> => 96,
        /// Current lifetime.
        curlft / set_curlft: Nested<XfrmLifetimeCur> => 160,
        /// Statistics.
        stats / set_stats: Nested<XfrmStats> => 192,
        /// Acquire sequence number.
        seq / set_seq: U32 => 204,
        /// Request id.
        reqid / set_reqid: U32 => 208,
        /// Address family.
        family / set_family: U16 => 212,
        /// Mode (`XFRM_MODE_*`).
        mode / set_mode: U8 => 214,
        /// Legacy replay window size.
        replay_window / set_replay_window: U8 => 215,
        /// `XFRM_STATE_*` flags.
        flags / set_flags: U8 => 216,
    }
}

wire_struct! {
    /// `struct xfrm_usersa_id` (24 bytes): SA lookup key (DELSA/GETSA).
    repr XfrmUsersaId;
    /// Checked view of a `struct xfrm_usersa_id`.
    packet XfrmUsersaIdPacket;
    size 24;
    {
        /// Destination address.
        daddr / set_daddr: Addr => 0,
        /// SPI (`__be32`).
        spi / set_spi: Be32 => 16,
        /// Address family.
        family / set_family: U16 => 20,
        /// Protocol.
        proto / set_proto: U8 => 22,
    }
}

wire_struct! {
    /// `struct xfrm_aevent_id` (48 bytes): NEWAE/GETAE header.
    repr XfrmAeventId;
    /// Checked view of a `struct xfrm_aevent_id`.
    packet XfrmAeventIdPacket;
    size 48;
    {
        /// SA identity.
        sa_id / set_sa_id: Nested<XfrmUsersaId> => 0,
        /// Source address.
        saddr / set_saddr: Addr => 24,
        /// `XFRM_AE_*` flags.
        flags / set_flags: U32 => 40,
        /// Request id.
        reqid / set_reqid: U32 => 44,
    }
}

wire_struct! {
    /// `struct xfrm_userspi_info` (232 bytes): ALLOCSPI request.
    repr XfrmUserspiInfo;
    /// Checked view of a `struct xfrm_userspi_info`.
    packet XfrmUserspiInfoPacket;
    size 232;
    {
        /// Template of the larval SA.
        info / set_info: Nested<XfrmUsersaInfo> => 0,
        /// Lowest acceptable SPI (host order).
        min / set_min: U32 => 224,
        /// Highest acceptable SPI (host order).
        max / set_max: U32 => 228,
    }
}

wire_struct! {
    /// `struct xfrm_user_expire` (232 bytes): EXPIRE message.
    repr XfrmUserExpire;
    /// Checked view of a `struct xfrm_user_expire`.
    packet XfrmUserExpirePacket;
    size 232;
    {
        /// The expiring SA.
        state / set_state: Nested<XfrmUsersaInfo> => 0,
        /// 1 for a hard expiry.
        hard / set_hard: U8 => 224,
    }
}

wire_struct! {
    /// `struct xfrm_usersa_flush` (1 byte): FLUSHSA.
    repr XfrmUsersaFlush;
    /// Checked view of a `struct xfrm_usersa_flush`.
    packet XfrmUsersaFlushPacket;
    size 1;
    {
        /// Protocol to flush (0 all, 255 AH/ESP/COMP).
        proto / set_proto: U8 => 0,
    }
}

wire_struct! {
    /// `struct xfrm_encap_tmpl` (24 bytes): UDP encapsulation (`XFRMA_ENCAP`).
    repr XfrmEncapTmpl;
    /// Checked view of a `struct xfrm_encap_tmpl`.
    packet XfrmEncapTmplPacket;
    size 24;
    {
        /// Encapsulation type (`UDP_ENCAP_ESPINUDP`, ...).
        encap_type / set_encap_type: U16 => 0,
        /// Source port (`__be16`).
        encap_sport / set_encap_sport: Be16 => 2,
        /// Destination port (`__be16`).
        encap_dport / set_encap_dport: Be16 => 4,
        /// Original address (NAT-OA).
        encap_oa / set_encap_oa: Addr => 8,
    }
}

wire_struct! {
    /// `struct xfrm_user_offload` (8 bytes): `XFRMA_OFFLOAD_DEV`.
    repr XfrmUserOffload;
    /// Checked view of a `struct xfrm_user_offload`.
    packet XfrmUserOffloadPacket;
    size 8;
    {
        /// Device index.
        ifindex / set_ifindex: I32 => 0,
        /// `XFRM_OFFLOAD_*` flags.
        flags / set_flags: U8 => 4,
    }
}

wire_struct! {
    /// `struct xfrm_address_filter` (36 bytes): GETSA dump filter.
    repr XfrmAddressFilter;
    /// Checked view of a `struct xfrm_address_filter`.
    packet XfrmAddressFilterPacket;
    size 36;
    {
        /// Source prefix.
        saddr / set_saddr: Addr => 0,
        /// Destination prefix.
        daddr / set_daddr: Addr => 16,
        /// Family (0 = any).
        family / set_family: U16 => 32,
        /// Source prefix length.
        splen / set_splen: U8 => 34,
        /// Destination prefix length.
        dplen / set_dplen: U8 => 35,
    }
}

wire_struct! {
    /// `struct xfrm_user_mapping` (64 bytes): MAPPING notification (NAT-T
    /// peer moved).
    repr XfrmUserMapping;
    /// Checked view of a `struct xfrm_user_mapping`.
    packet XfrmUserMappingPacket;
    size 64;
    {
        /// SA identity.
        id / set_id: Nested<XfrmUsersaId> => 0,
        /// Request id.
        reqid / set_reqid: U32 => 24,
        /// Previous peer address.
        old_saddr / set_old_saddr: Addr => 28,
        /// New peer address.
        new_saddr / set_new_saddr: Addr => 44,
        /// Previous peer port (`__be16`).
        old_sport / set_old_sport: Be16 => 60,
        /// New peer port (`__be16`).
        new_sport / set_new_sport: Be16 => 62,
    }
}
