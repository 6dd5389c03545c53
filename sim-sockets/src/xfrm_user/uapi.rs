//! Constants of `include/uapi/linux/xfrm.h` (Linux 6.18) and the two tables
//! of `net/xfrm/xfrm_user.c` that the parser needs: `xfrm_msg_min[]` (fixed
//! payload per message type) and `xfrma_policy[]` / `xfrma_spd_policy[]`
//! (the `nla_policy` of each attribute).

use super::wire::{
    XfrmAddressFilter, XfrmAeventId, XfrmAlgo, XfrmAlgoAead, XfrmAlgoAuth, XfrmEncapTmpl,
    XfrmLifetimeCur, XfrmMark, XfrmReplayState, XfrmReplayStateEsn, XfrmUserAcquire,
    XfrmUserExpire, XfrmUserKmaddress, XfrmUserMapping, XfrmUserMigrate, XfrmUserOffload,
    XfrmUserPolexpire, XfrmUserReport, XfrmUserSecCtx, XfrmUserTmpl, XfrmUserpolicyDefault,
    XfrmUserpolicyId, XfrmUserpolicyInfo, XfrmUserpolicyType, XfrmUsersaFlush, XfrmUsersaId,
    XfrmUsersaInfo, XfrmUserspiInfo, XfrmuSpdhthresh,
};

/// `NETLINK_XFRM` protocol number.
pub const NETLINK_XFRM: i32 = 6;

// ---- message types (enum with XFRM_MSG_BASE = 0x10)
/// First XFRM message type.
pub const XFRM_MSG_BASE: u16 = 0x10;
/// Add an SA.
pub const XFRM_MSG_NEWSA: u16 = 0x10;
/// Delete an SA.
pub const XFRM_MSG_DELSA: u16 = 0x11;
/// Get (or dump) SAs.
pub const XFRM_MSG_GETSA: u16 = 0x12;
/// Add a policy.
pub const XFRM_MSG_NEWPOLICY: u16 = 0x13;
/// Delete a policy.
pub const XFRM_MSG_DELPOLICY: u16 = 0x14;
/// Get (or dump) policies.
pub const XFRM_MSG_GETPOLICY: u16 = 0x15;
/// Allocate an SPI (larval SA).
pub const XFRM_MSG_ALLOCSPI: u16 = 0x16;
/// Acquire request (kernel to key manager; user-triggered too).
pub const XFRM_MSG_ACQUIRE: u16 = 0x17;
/// SA expiry.
pub const XFRM_MSG_EXPIRE: u16 = 0x18;
/// Add or replace a policy.
pub const XFRM_MSG_UPDPOLICY: u16 = 0x19;
/// Update an SA.
pub const XFRM_MSG_UPDSA: u16 = 0x1a;
/// Policy expiry.
pub const XFRM_MSG_POLEXPIRE: u16 = 0x1b;
/// Flush SAs.
pub const XFRM_MSG_FLUSHSA: u16 = 0x1c;
/// Flush policies.
pub const XFRM_MSG_FLUSHPOLICY: u16 = 0x1d;
/// Async event (replay/lifetime) update or notification.
pub const XFRM_MSG_NEWAE: u16 = 0x1e;
/// Get async event values.
pub const XFRM_MSG_GETAE: u16 = 0x1f;
/// Report (kernel-originated).
pub const XFRM_MSG_REPORT: u16 = 0x20;
/// Migrate SAs and policy.
pub const XFRM_MSG_MIGRATE: u16 = 0x21;
/// SAD information (reply).
pub const XFRM_MSG_NEWSADINFO: u16 = 0x22;
/// Get SAD information.
pub const XFRM_MSG_GETSADINFO: u16 = 0x23;
/// Set SPD hash thresholds.
pub const XFRM_MSG_NEWSPDINFO: u16 = 0x24;
/// Get SPD information.
pub const XFRM_MSG_GETSPDINFO: u16 = 0x25;
/// NAT-T mapping change (kernel-originated).
pub const XFRM_MSG_MAPPING: u16 = 0x26;
/// Set default policy actions.
pub const XFRM_MSG_SETDEFAULT: u16 = 0x27;
/// Get default policy actions.
pub const XFRM_MSG_GETDEFAULT: u16 = 0x28;
/// Highest message type (`__XFRM_MSG_MAX - 1`).
pub const XFRM_MSG_MAX: u16 = 0x28;
/// Number of message types (`XFRM_NR_MSGTYPES`).
pub const XFRM_NR_MSGTYPES: usize = (XFRM_MSG_MAX + 1 - XFRM_MSG_BASE) as usize;

// ---- attributes (enum xfrm_attr_type_t)
/// Unused attribute type 0.
pub const XFRMA_UNSPEC: u16 = 0;
/// `struct xfrm_algo` (authentication, untruncated).
pub const XFRMA_ALG_AUTH: u16 = 1;
/// `struct xfrm_algo` (encryption).
pub const XFRMA_ALG_CRYPT: u16 = 2;
/// `struct xfrm_algo` (compression).
pub const XFRMA_ALG_COMP: u16 = 3;
/// `struct xfrm_encap_tmpl`.
pub const XFRMA_ENCAP: u16 = 4;
/// One or more `struct xfrm_user_tmpl`.
pub const XFRMA_TMPL: u16 = 5;
/// `struct xfrm_usersa_info`.
pub const XFRMA_SA: u16 = 6;
/// `struct xfrm_userpolicy_info`.
pub const XFRMA_POLICY: u16 = 7;
/// `struct xfrm_user_sec_ctx` + context.
pub const XFRMA_SEC_CTX: u16 = 8;
/// `struct xfrm_lifetime_cur`.
pub const XFRMA_LTIME_VAL: u16 = 9;
/// `struct xfrm_replay_state`.
pub const XFRMA_REPLAY_VAL: u16 = 10;
/// `u32` replay threshold.
pub const XFRMA_REPLAY_THRESH: u16 = 11;
/// `u32` event timer threshold.
pub const XFRMA_ETIMER_THRESH: u16 = 12;
/// `xfrm_address_t` source address.
pub const XFRMA_SRCADDR: u16 = 13;
/// `xfrm_address_t` care-of address.
pub const XFRMA_COADDR: u16 = 14;
/// `u64` last use time.
pub const XFRMA_LASTUSED: u16 = 15;
/// `struct xfrm_userpolicy_type`.
pub const XFRMA_POLICY_TYPE: u16 = 16;
/// Array of `struct xfrm_user_migrate`.
pub const XFRMA_MIGRATE: u16 = 17;
/// `struct xfrm_algo_aead`.
pub const XFRMA_ALG_AEAD: u16 = 18;
/// `struct xfrm_user_kmaddress`.
pub const XFRMA_KMADDRESS: u16 = 19;
/// `struct xfrm_algo_auth`.
pub const XFRMA_ALG_AUTH_TRUNC: u16 = 20;
/// `struct xfrm_mark`.
pub const XFRMA_MARK: u16 = 21;
/// `u32` TFC padding.
pub const XFRMA_TFCPAD: u16 = 22;
/// `struct xfrm_replay_state_esn` + bitmap.
pub const XFRMA_REPLAY_ESN_VAL: u16 = 23;
/// `u32` extra SA flags (`XFRM_SA_XFLAG_*`).
pub const XFRMA_SA_EXTRA_FLAGS: u16 = 24;
/// `u8` protocol (GETSA dump filter).
pub const XFRMA_PROTO: u16 = 25;
/// `struct xfrm_address_filter` (GETSA dump filter).
pub const XFRMA_ADDRESS_FILTER: u16 = 26;
/// Alignment padding for 64-bit attributes.
pub const XFRMA_PAD: u16 = 27;
/// `struct xfrm_user_offload`.
pub const XFRMA_OFFLOAD_DEV: u16 = 28;
/// `u32` output mark value.
pub const XFRMA_SET_MARK: u16 = 29;
/// `u32` output mark mask.
pub const XFRMA_SET_MARK_MASK: u16 = 30;
/// `u32` interface id.
pub const XFRMA_IF_ID: u16 = 31;
/// `u32` mapping-change timer threshold (seconds).
pub const XFRMA_MTIMER_THRESH: u16 = 32;
/// `u8` SA direction (`XFRM_SA_DIR_IN/OUT`).
pub const XFRMA_SA_DIR: u16 = 33;
/// `u32` NAT keepalive interval (seconds).
pub const XFRMA_NAT_KEEPALIVE_INTERVAL: u16 = 34;
/// `u32` per-CPU SA number.
pub const XFRMA_SA_PCPU: u16 = 35;
/// `u32` IP-TFS drop time (usec).
pub const XFRMA_IPTFS_DROP_TIME: u16 = 36;
/// `u16` IP-TFS reorder window.
pub const XFRMA_IPTFS_REORDER_WINDOW: u16 = 37;
/// Flag: IP-TFS don't fragment.
pub const XFRMA_IPTFS_DONT_FRAG: u16 = 38;
/// `u32` IP-TFS initial delay (usec).
pub const XFRMA_IPTFS_INIT_DELAY: u16 = 39;
/// `u32` IP-TFS max queue size.
pub const XFRMA_IPTFS_MAX_QSIZE: u16 = 40;
/// `u32` IP-TFS packet size.
pub const XFRMA_IPTFS_PKT_SIZE: u16 = 41;
/// Highest attribute type.
pub const XFRMA_MAX: u16 = 41;
/// Compatibility name of `XFRMA_SET_MARK`.
pub const XFRMA_OUTPUT_MARK: u16 = XFRMA_SET_MARK;

/// SAD info: `u32` state count.
pub const XFRMA_SAD_CNT: u16 = 1;
/// SAD info: `struct xfrmu_sadhinfo`.
pub const XFRMA_SAD_HINFO: u16 = 2;
/// Highest SAD info attribute.
pub const XFRMA_SAD_MAX: u16 = 2;
/// SPD info: `struct xfrmu_spdinfo`.
pub const XFRMA_SPD_INFO: u16 = 1;
/// SPD info: `struct xfrmu_spdhinfo`.
pub const XFRMA_SPD_HINFO: u16 = 2;
/// SPD info: `struct xfrmu_spdhthresh` for IPv4.
pub const XFRMA_SPD_IPV4_HTHRESH: u16 = 3;
/// SPD info: `struct xfrmu_spdhthresh` for IPv6.
pub const XFRMA_SPD_IPV6_HTHRESH: u16 = 4;
/// Highest SPD info attribute.
pub const XFRMA_SPD_MAX: u16 = 4;

// ---- multicast groups (enum xfrm_nlgroups)
/// No group.
pub const XFRMNLGRP_NONE: u32 = 0;
/// ACQUIRE messages.
pub const XFRMNLGRP_ACQUIRE: u32 = 1;
/// EXPIRE and POLEXPIRE.
pub const XFRMNLGRP_EXPIRE: u32 = 2;
/// SA changes.
pub const XFRMNLGRP_SA: u32 = 3;
/// Policy changes.
pub const XFRMNLGRP_POLICY: u32 = 4;
/// Async events.
pub const XFRMNLGRP_AEVENTS: u32 = 5;
/// Reports.
pub const XFRMNLGRP_REPORT: u32 = 6;
/// Migrations.
pub const XFRMNLGRP_MIGRATE: u32 = 7;
/// NAT-T mapping changes.
pub const XFRMNLGRP_MAPPING: u32 = 8;
/// Highest group.
pub const XFRMNLGRP_MAX: u32 = 8;
/// Legacy `nl_groups` bit for ACQUIRE.
pub const XFRMGRP_ACQUIRE: u32 = 1;
/// Legacy `nl_groups` bit for EXPIRE.
pub const XFRMGRP_EXPIRE: u32 = 2;
/// Legacy `nl_groups` bit for SA.
pub const XFRMGRP_SA: u32 = 4;
/// Legacy `nl_groups` bit for POLICY.
pub const XFRMGRP_POLICY: u32 = 8;
/// Legacy `nl_groups` bit for REPORT.
pub const XFRMGRP_REPORT: u32 = 0x20;

// ---- policy type, direction, action, flags, share
/// Main policy table.
pub const XFRM_POLICY_TYPE_MAIN: u8 = 0;
/// Sub policy table (`CONFIG_XFRM_SUB_POLICY`).
pub const XFRM_POLICY_TYPE_SUB: u8 = 1;
/// Number of policy types.
pub const XFRM_POLICY_TYPE_MAX: u8 = 2;
/// Any type (dump walks).
pub const XFRM_POLICY_TYPE_ANY: u8 = 255;
/// Inbound.
pub const XFRM_POLICY_IN: u8 = 0;
/// Outbound.
pub const XFRM_POLICY_OUT: u8 = 1;
/// Forward.
pub const XFRM_POLICY_FWD: u8 = 2;
/// Direction mask.
pub const XFRM_POLICY_MASK: u8 = 3;
/// Number of directions.
pub const XFRM_POLICY_MAX: u8 = 3;
/// Let matching traffic through.
pub const XFRM_POLICY_ALLOW: u8 = 0;
/// Drop matching traffic.
pub const XFRM_POLICY_BLOCK: u8 = 1;
/// Allow a user to override the global policy.
pub const XFRM_POLICY_LOCALOK: u8 = 1;
/// Expand the selector to matching ICMP payloads.
pub const XFRM_POLICY_ICMP: u8 = 2;
/// Per-CPU acquires.
pub const XFRM_POLICY_CPU_ACQUIRE: u8 = 4;
/// No sharing limitation.
pub const XFRM_SHARE_ANY: u8 = 0;
/// This session only.
pub const XFRM_SHARE_SESSION: u8 = 1;
/// This user only.
pub const XFRM_SHARE_USER: u8 = 2;
/// Use once.
pub const XFRM_SHARE_UNIQUE: u8 = 3;
/// Inbound SA (`XFRMA_SA_DIR`).
pub const XFRM_SA_DIR_IN: u8 = 1;
/// Outbound SA.
pub const XFRM_SA_DIR_OUT: u8 = 2;

// ---- modes
/// Transport mode.
pub const XFRM_MODE_TRANSPORT: u8 = 0;
/// Tunnel mode.
pub const XFRM_MODE_TUNNEL: u8 = 1;
/// Mobile IPv6 route optimisation.
pub const XFRM_MODE_ROUTEOPTIMIZATION: u8 = 2;
/// Mobile IPv6 inbound trigger.
pub const XFRM_MODE_IN_TRIGGER: u8 = 3;
/// Bound end-to-end tunnel.
pub const XFRM_MODE_BEET: u8 = 4;
/// IP traffic flow security.
pub const XFRM_MODE_IPTFS: u8 = 5;
/// Number of modes.
pub const XFRM_MODE_MAX: u8 = 6;

// ---- SA flags
/// `XFRM_STATE_NOECN`.
pub const XFRM_STATE_NOECN: u8 = 1;
/// `XFRM_STATE_DECAP_DSCP`.
pub const XFRM_STATE_DECAP_DSCP: u8 = 2;
/// `XFRM_STATE_NOPMTUDISC`.
pub const XFRM_STATE_NOPMTUDISC: u8 = 4;
/// `XFRM_STATE_WILDRECV`.
pub const XFRM_STATE_WILDRECV: u8 = 8;
/// `XFRM_STATE_ICMP`.
pub const XFRM_STATE_ICMP: u8 = 16;
/// `XFRM_STATE_AF_UNSPEC`: keep a selector family of 0.
pub const XFRM_STATE_AF_UNSPEC: u8 = 32;
/// `XFRM_STATE_ALIGN4`.
pub const XFRM_STATE_ALIGN4: u8 = 64;
/// `XFRM_STATE_ESN`: extended sequence numbers.
pub const XFRM_STATE_ESN: u8 = 128;
/// Extra flag: don't encapsulate DSCP.
pub const XFRM_SA_XFLAG_DONT_ENCAP_DSCP: u32 = 1;
/// Extra flag: the outbound sequence number may wrap.
pub const XFRM_SA_XFLAG_OSEQ_MAY_WRAP: u32 = 2;

// ---- async events
/// Replay threshold.
pub const XFRM_AE_RTHR: u32 = 1;
/// Replay value.
pub const XFRM_AE_RVAL: u32 = 2;
/// Lifetime value.
pub const XFRM_AE_LVAL: u32 = 4;
/// Expiry timer threshold.
pub const XFRM_AE_ETHR: u32 = 8;
/// Cause: replay update.
pub const XFRM_AE_CR: u32 = 16;
/// Cause: timer expiry.
pub const XFRM_AE_CE: u32 = 32;
/// Cause: user update.
pub const XFRM_AE_CU: u32 = 64;
/// Highest event flag.
pub const XFRM_AE_MAX: u32 = 64;

// ---- misc
/// No limit in `xfrm_lifetime_cfg`.
pub const XFRM_INF: u64 = u64::MAX;
/// Largest ESN replay window in bits (`XFRMA_REPLAY_ESN_MAX`).
pub const XFRMA_REPLAY_ESN_MAX: u32 = 4096;
/// Most templates per policy (`XFRM_MAX_DEPTH`, include/net/xfrm.h).
pub const XFRM_MAX_DEPTH: usize = 6;
/// Security context DOI: reserved.
pub const XFRM_SC_DOI_RESERVED: u8 = 0;
/// Security context DOI: LSM.
pub const XFRM_SC_DOI_LSM: u8 = 1;
/// Security context algorithm: reserved.
pub const XFRM_SC_ALG_RESERVED: u8 = 0;
/// Security context algorithm: SELinux.
pub const XFRM_SC_ALG_SELINUX: u8 = 1;
/// Offload flag (state path; never implemented).
pub const XFRM_OFFLOAD_IPV6: u8 = 1;
/// Offload flag: inbound.
pub const XFRM_OFFLOAD_INBOUND: u8 = 2;
/// Offload flag: packet offload.
pub const XFRM_OFFLOAD_PACKET: u8 = 4;
/// Default policy value: unchanged.
pub const XFRM_USERPOLICY_UNSPEC: u8 = 0;
/// Default policy value: block.
pub const XFRM_USERPOLICY_BLOCK: u8 = 1;
/// Default policy value: accept.
pub const XFRM_USERPOLICY_ACCEPT: u8 = 2;

// ---- address families and protocols the validators name
/// `AF_UNSPEC`.
pub const AF_UNSPEC: u16 = 0;
/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;
/// `IPPROTO_ROUTING` (IPv6 routing header, Mobile IPv6).
pub const IPPROTO_ROUTING: u8 = 43;
/// `IPPROTO_ESP`.
pub const IPPROTO_ESP: u8 = 50;
/// `IPPROTO_AH`.
pub const IPPROTO_AH: u8 = 51;
/// `IPPROTO_DSTOPTS` (IPv6 destination options, Mobile IPv6).
pub const IPPROTO_DSTOPTS: u8 = 60;
/// `IPPROTO_COMP`.
pub const IPPROTO_COMP: u8 = 108;
/// `IPSEC_PROTO_ANY`: AH, ESP or COMP.
pub const IPSEC_PROTO_ANY: u8 = 255;

/// `xfrm_msg_min[]`: the fixed payload each message type must carry,
/// indexed by `type - XFRM_MSG_BASE`. REPORT, NEWSADINFO and MAPPING have
/// no handler; their entries still decide "Invalid header length". The
/// MAPPING entry (64) is what Linux 6.18 enforces (older trees had 0).
pub const XFRM_MSG_MIN: [usize; XFRM_NR_MSGTYPES] = [
    XfrmUsersaInfo::SIZE,        // NEWSA
    XfrmUsersaId::SIZE,          // DELSA
    XfrmUsersaId::SIZE,          // GETSA
    XfrmUserpolicyInfo::SIZE,    // NEWPOLICY
    XfrmUserpolicyId::SIZE,      // DELPOLICY
    XfrmUserpolicyId::SIZE,      // GETPOLICY
    XfrmUserspiInfo::SIZE,       // ALLOCSPI
    XfrmUserAcquire::SIZE,       // ACQUIRE
    XfrmUserExpire::SIZE,        // EXPIRE
    XfrmUserpolicyInfo::SIZE,    // UPDPOLICY
    XfrmUsersaInfo::SIZE,        // UPDSA
    XfrmUserPolexpire::SIZE,     // POLEXPIRE
    XfrmUsersaFlush::SIZE,       // FLUSHSA
    0,                           // FLUSHPOLICY
    XfrmAeventId::SIZE,          // NEWAE
    XfrmAeventId::SIZE,          // GETAE
    XfrmUserReport::SIZE,        // REPORT
    XfrmUserpolicyId::SIZE,      // MIGRATE
    0,                           // NEWSADINFO
    4,                           // GETSADINFO: u32 flags
    4,                           // NEWSPDINFO: u32 flags
    4,                           // GETSPDINFO: u32 flags
    XfrmUserMapping::SIZE,       // MAPPING
    XfrmUserpolicyDefault::SIZE, // SETDEFAULT
    XfrmUserpolicyDefault::SIZE, // GETDEFAULT
];

/// `xfrm_msg_min[type - XFRM_MSG_BASE]`, or `None` outside
/// `XFRM_MSG_BASE..=XFRM_MSG_MAX`.
pub fn xfrm_msg_min(nlmsg_type: u16) -> Option<usize> {
    let idx = nlmsg_type.checked_sub(XFRM_MSG_BASE)? as usize;
    XFRM_MSG_MIN.get(idx).copied()
}

/// `enum nla_types` members that appear in the xfrm policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NlaType {
    /// `NLA_UNSPEC`: a minimum length (`len`) only.
    Unspec,
    /// `NLA_U8`.
    U8,
    /// `NLA_U16`.
    U16,
    /// `NLA_U32`.
    U32,
    /// `NLA_U64`.
    U64,
    /// `NLA_FLAG`: must be empty.
    Flag,
}

impl NlaType {
    /// `nla_attr_len[]`: the exact length of a fixed-size type (0 = none).
    pub const fn exact_len(self) -> usize {
        match self {
            NlaType::U8 => 1,
            NlaType::U16 => 2,
            NlaType::U32 => 4,
            NlaType::U64 => 8,
            NlaType::Unspec | NlaType::Flag => 0,
        }
    }

    /// `nla_attr_minlen[]`: the minimum length of the type.
    pub const fn min_len(self) -> usize {
        self.exact_len()
    }

    /// `enum netlink_attribute_type` value reported in
    /// `NLMSGERR_ATTR_POLICY` (`NL_ATTR_TYPE_*`), if the type is dumpable.
    pub const fn nl_attr_type(self) -> Option<u32> {
        match self {
            NlaType::Flag => Some(1),
            NlaType::U8 => Some(2),
            NlaType::U16 => Some(3),
            NlaType::U32 => Some(4),
            NlaType::U64 => Some(5),
            NlaType::Unspec => None,
        }
    }

    /// Largest value of an unsigned integer type.
    pub const fn max_value(self) -> Option<u64> {
        match self {
            NlaType::U8 => Some(u8::MAX as u64),
            NlaType::U16 => Some(u16::MAX as u64),
            NlaType::U32 => Some(u32::MAX as u64),
            NlaType::U64 => Some(u64::MAX),
            NlaType::Unspec | NlaType::Flag => None,
        }
    }
}

/// `struct nla_policy` as the xfrm tables use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NlaPolicy {
    /// Attribute type.
    pub kind: NlaType,
    /// Minimum payload length for `NLA_UNSPEC` (`.len`).
    pub len: u16,
    /// `NLA_POLICY_RANGE(min, max)` for integer types.
    pub range: Option<(u64, u64)>,
}

impl NlaPolicy {
    /// An entry with no constraint (`{}`): any length.
    pub const NONE: NlaPolicy = NlaPolicy { kind: NlaType::Unspec, len: 0, range: None };

    /// `{ .len = n }`.
    pub const fn len(n: usize) -> NlaPolicy {
        NlaPolicy { kind: NlaType::Unspec, len: n as u16, range: None }
    }

    /// `{ .type = t }`.
    pub const fn typed(t: NlaType) -> NlaPolicy {
        NlaPolicy { kind: t, len: 0, range: None }
    }

    /// `NLA_POLICY_RANGE(t, min, max)`.
    pub const fn range(t: NlaType, min: u64, max: u64) -> NlaPolicy {
        NlaPolicy { kind: t, len: 0, range: Some((min, max)) }
    }

    /// The `NLMSGERR_ATTR_POLICY` nest payload `netlink_policy_dump_write_attr`
    /// produces for this entry (`NL_POLICY_TYPE_ATTR_MIN_VALUE_U`,
    /// `_MAX_VALUE_U` as u64, then `_TYPE`), or `None` when the kernel writes
    /// no policy (`NLA_UNSPEC`).
    pub fn dump(&self) -> Option<Vec<u8>> {
        const NL_POLICY_TYPE_ATTR_TYPE: u16 = 1;
        const NL_POLICY_TYPE_ATTR_MIN_VALUE_U: u16 = 4;
        const NL_POLICY_TYPE_ATTR_MAX_VALUE_U: u16 = 5;
        let ty = self.kind.nl_attr_type()?;
        let mut out = Vec::with_capacity(32);
        if let Some(maxv) = self.kind.max_value() {
            let (lo, hi) = self.range.unwrap_or((0, maxv));
            for (t, v) in
                [(NL_POLICY_TYPE_ATTR_MIN_VALUE_U, lo), (NL_POLICY_TYPE_ATTR_MAX_VALUE_U, hi)]
            {
                out.extend_from_slice(&12u16.to_le_bytes());
                out.extend_from_slice(&t.to_le_bytes());
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out.extend_from_slice(&8u16.to_le_bytes());
        out.extend_from_slice(&NL_POLICY_TYPE_ATTR_TYPE.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        Some(out)
    }
}

/// An attribute policy table with its `strict_start_type`
/// (`policy[0].strict_start_type`).
#[derive(Debug, Clone, Copy)]
pub struct NlaPolicyTable {
    /// Entries indexed by attribute type (0..=maxtype).
    pub entries: &'static [NlaPolicy],
    /// Attribute types at or above this get strict validation (0 = never).
    pub strict_start_type: u16,
}

impl NlaPolicyTable {
    /// Highest attribute type of the table.
    pub fn maxtype(&self) -> u16 {
        self.entries.len().saturating_sub(1) as u16
    }

    /// The entry for `type`.
    pub fn get(&self, nla_type: u16) -> Option<&'static NlaPolicy> {
        self.entries.get(nla_type as usize)
    }
}

const fn xfrma_policy_entries() -> [NlaPolicy; XFRMA_MAX as usize + 1] {
    use NlaType::*;
    let mut p = [NlaPolicy::NONE; XFRMA_MAX as usize + 1];
    p[XFRMA_SA as usize] = NlaPolicy::len(XfrmUsersaInfo::SIZE);
    p[XFRMA_POLICY as usize] = NlaPolicy::len(XfrmUserpolicyInfo::SIZE);
    p[XFRMA_LASTUSED as usize] = NlaPolicy::typed(U64);
    p[XFRMA_ALG_AUTH_TRUNC as usize] = NlaPolicy::len(XfrmAlgoAuth::HEADER_LEN);
    p[XFRMA_ALG_AEAD as usize] = NlaPolicy::len(XfrmAlgoAead::HEADER_LEN);
    p[XFRMA_ALG_AUTH as usize] = NlaPolicy::len(XfrmAlgo::HEADER_LEN);
    p[XFRMA_ALG_CRYPT as usize] = NlaPolicy::len(XfrmAlgo::HEADER_LEN);
    p[XFRMA_ALG_COMP as usize] = NlaPolicy::len(XfrmAlgo::HEADER_LEN);
    p[XFRMA_ENCAP as usize] = NlaPolicy::len(XfrmEncapTmpl::SIZE);
    p[XFRMA_TMPL as usize] = NlaPolicy::len(XfrmUserTmpl::SIZE);
    p[XFRMA_SEC_CTX as usize] = NlaPolicy::len(XfrmUserSecCtx::HEADER_LEN);
    p[XFRMA_LTIME_VAL as usize] = NlaPolicy::len(XfrmLifetimeCur::SIZE);
    p[XFRMA_REPLAY_VAL as usize] = NlaPolicy::len(XfrmReplayState::SIZE);
    p[XFRMA_REPLAY_THRESH as usize] = NlaPolicy::typed(U32);
    p[XFRMA_ETIMER_THRESH as usize] = NlaPolicy::typed(U32);
    p[XFRMA_SRCADDR as usize] = NlaPolicy::len(16);
    p[XFRMA_COADDR as usize] = NlaPolicy::len(16);
    p[XFRMA_POLICY_TYPE as usize] = NlaPolicy::len(XfrmUserpolicyType::SIZE);
    p[XFRMA_MIGRATE as usize] = NlaPolicy::len(XfrmUserMigrate::SIZE);
    p[XFRMA_KMADDRESS as usize] = NlaPolicy::len(XfrmUserKmaddress::SIZE);
    p[XFRMA_MARK as usize] = NlaPolicy::len(XfrmMark::SIZE);
    p[XFRMA_TFCPAD as usize] = NlaPolicy::typed(U32);
    p[XFRMA_REPLAY_ESN_VAL as usize] = NlaPolicy::len(XfrmReplayStateEsn::HEADER_LEN);
    p[XFRMA_SA_EXTRA_FLAGS as usize] = NlaPolicy::typed(U32);
    p[XFRMA_PROTO as usize] = NlaPolicy::typed(U8);
    p[XFRMA_ADDRESS_FILTER as usize] = NlaPolicy::len(XfrmAddressFilter::SIZE);
    p[XFRMA_OFFLOAD_DEV as usize] = NlaPolicy::len(XfrmUserOffload::SIZE);
    p[XFRMA_SET_MARK as usize] = NlaPolicy::typed(U32);
    p[XFRMA_SET_MARK_MASK as usize] = NlaPolicy::typed(U32);
    p[XFRMA_IF_ID as usize] = NlaPolicy::typed(U32);
    p[XFRMA_MTIMER_THRESH as usize] = NlaPolicy::typed(U32);
    p[XFRMA_SA_DIR as usize] = NlaPolicy::range(U8, XFRM_SA_DIR_IN as u64, XFRM_SA_DIR_OUT as u64);
    p[XFRMA_NAT_KEEPALIVE_INTERVAL as usize] = NlaPolicy::typed(U32);
    p[XFRMA_SA_PCPU as usize] = NlaPolicy::typed(U32);
    p[XFRMA_IPTFS_DROP_TIME as usize] = NlaPolicy::typed(U32);
    p[XFRMA_IPTFS_REORDER_WINDOW as usize] = NlaPolicy::typed(U16);
    p[XFRMA_IPTFS_DONT_FRAG as usize] = NlaPolicy::typed(Flag);
    p[XFRMA_IPTFS_INIT_DELAY as usize] = NlaPolicy::typed(U32);
    p[XFRMA_IPTFS_MAX_QSIZE as usize] = NlaPolicy::typed(U32);
    p[XFRMA_IPTFS_PKT_SIZE as usize] = NlaPolicy::typed(U32);
    p
}

static XFRMA_POLICY_ENTRIES: [NlaPolicy; XFRMA_MAX as usize + 1] = xfrma_policy_entries();

/// `xfrma_policy[]`: the attribute policy of every message except
/// NEWSPDINFO. `XFRMA_UNSPEC` carries `strict_start_type = XFRMA_SA_DIR`,
/// so attributes from SA_DIR on are validated strictly.
pub static XFRMA_NLA_POLICY: NlaPolicyTable =
    NlaPolicyTable { entries: &XFRMA_POLICY_ENTRIES, strict_start_type: XFRMA_SA_DIR };

static XFRMA_SPD_POLICY_ENTRIES: [NlaPolicy; XFRMA_SPD_MAX as usize + 1] = [
    NlaPolicy::NONE,
    NlaPolicy::NONE,
    NlaPolicy::NONE,
    NlaPolicy::len(XfrmuSpdhthresh::SIZE),
    NlaPolicy::len(XfrmuSpdhthresh::SIZE),
];

/// `xfrma_spd_policy[]`: the attribute policy of NEWSPDINFO.
pub static XFRMA_SPD_NLA_POLICY: NlaPolicyTable =
    NlaPolicyTable { entries: &XFRMA_SPD_POLICY_ENTRIES, strict_start_type: 0 };

/// The policy table `xfrm_dispatch[]` assigns to a message type.
pub fn xfrm_nla_policy(nlmsg_type: u16) -> &'static NlaPolicyTable {
    if nlmsg_type == XFRM_MSG_NEWSPDINFO { &XFRMA_SPD_NLA_POLICY } else { &XFRMA_NLA_POLICY }
}

/// The name of an XFRM message type (`"NEWSA"`), for logs and decoders.
pub fn xfrm_msg_name(nlmsg_type: u16) -> Option<&'static str> {
    const NAMES: [&str; XFRM_NR_MSGTYPES] = [
        "NEWSA",
        "DELSA",
        "GETSA",
        "NEWPOLICY",
        "DELPOLICY",
        "GETPOLICY",
        "ALLOCSPI",
        "ACQUIRE",
        "EXPIRE",
        "UPDPOLICY",
        "UPDSA",
        "POLEXPIRE",
        "FLUSHSA",
        "FLUSHPOLICY",
        "NEWAE",
        "GETAE",
        "REPORT",
        "MIGRATE",
        "NEWSADINFO",
        "GETSADINFO",
        "NEWSPDINFO",
        "GETSPDINFO",
        "MAPPING",
        "SETDEFAULT",
        "GETDEFAULT",
    ];
    NAMES.get(nlmsg_type.checked_sub(XFRM_MSG_BASE)? as usize).copied()
}

/// `xfrm_dispatch[type].doit != NULL`: REPORT, NEWSADINFO and MAPPING are
/// kernel-to-user only and have no handler.
pub fn xfrm_msg_has_doit(nlmsg_type: u16) -> bool {
    xfrm_msg_min(nlmsg_type).is_some()
        && !matches!(nlmsg_type, XFRM_MSG_REPORT | XFRM_MSG_NEWSADINFO | XFRM_MSG_MAPPING)
}

/// `xfrm_dispatch[type].dump != NULL`: GETSA and GETPOLICY.
pub fn xfrm_msg_has_dump(nlmsg_type: u16) -> bool {
    matches!(nlmsg_type, XFRM_MSG_GETSA | XFRM_MSG_GETPOLICY)
}
