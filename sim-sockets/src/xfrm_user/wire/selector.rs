//! `xfrm_address_t`, `xfrm_selector`, `xfrm_id`, lifetimes, statistics,
//! the legacy replay state and `xfrm_mark`.

use super::{Addr, Be16, Be32, FixedRepr, I32, U8, U16, U32, U64, WireError, WireResult};

/// `xfrm_address_t`: 16 bytes, IPv4 addresses in the first four (network
/// order), the rest zero.
pub type XfrmAddress = [u8; 16];

/// An `xfrm_address_t` holding an IPv4 address.
pub const fn xfrm_address_v4(octets: [u8; 4]) -> XfrmAddress {
    let mut a = [0u8; 16];
    a[0] = octets[0];
    a[1] = octets[1];
    a[2] = octets[2];
    a[3] = octets[3];
    a
}

/// An `xfrm_address_t` holding an IPv6 address.
pub const fn xfrm_address_v6(octets: [u8; 16]) -> XfrmAddress {
    octets
}

impl FixedRepr for XfrmAddress {
    const SIZE: usize = 16;
    fn read_at(buf: &[u8], off: usize) -> Self {
        super::read_array::<16>(buf, off)
    }
    fn write_at(&self, buf: &mut [u8], off: usize) {
        super::write_bytes(buf, off, self);
    }
}

/// Checked view of an `xfrm_address_t` (`XFRMA_SRCADDR`, `XFRMA_COADDR`).
#[derive(Debug, Clone)]
pub struct XfrmAddressPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> XfrmAddressPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer holding at least 16 bytes.
    pub fn new_checked(buffer: T) -> WireResult<Self> {
        if buffer.as_ref().len() < 16 {
            return Err(WireError::Truncated);
        }
        Ok(Self { buffer })
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// `a4`: the IPv4 address (first four bytes, network order).
    pub fn a4(&self) -> [u8; 4] {
        super::read_array::<4>(self.buffer.as_ref(), 0)
    }

    /// `in6`: all 16 bytes.
    pub fn in6(&self) -> XfrmAddress {
        super::read_array::<16>(self.buffer.as_ref(), 0)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> XfrmAddressPacket<T> {
    /// Stores all 16 bytes.
    pub fn set_in6(&mut self, a: XfrmAddress) {
        super::write_bytes(self.buffer.as_mut(), 0, &a);
    }
}

wire_struct! {
    /// `struct xfrm_selector` (56 bytes): the traffic selector of policies
    /// and SAs.
    repr XfrmSelector;
    /// Checked view of a `struct xfrm_selector`.
    packet XfrmSelectorPacket;
    size 56;
    {
        /// Destination address.
        daddr / set_daddr: Addr => 0,
        /// Source address.
        saddr / set_saddr: Addr => 16,
        /// Destination port (`__be16`).
        dport / set_dport: Be16 => 32,
        /// Destination port mask (`__be16`).
        dport_mask / set_dport_mask: Be16 => 34,
        /// Source port (`__be16`).
        sport / set_sport: Be16 => 36,
        /// Source port mask (`__be16`).
        sport_mask / set_sport_mask: Be16 => 38,
        /// Address family (`AF_INET`, `AF_INET6`, or 0 for SAs).
        family / set_family: U16 => 40,
        /// Destination prefix length.
        prefixlen_d / set_prefixlen_d: U8 => 42,
        /// Source prefix length.
        prefixlen_s / set_prefixlen_s: U8 => 43,
        /// Upper-layer protocol (0 = any).
        proto / set_proto: U8 => 44,
        /// Interface index (0 = any).
        ifindex / set_ifindex: I32 => 48,
        /// `__kernel_uid32_t user`.
        user / set_user: U32 => 52,
    }
}

wire_struct! {
    /// `struct xfrm_id` (24 bytes): destination, SPI and protocol of an SA.
    repr XfrmId;
    /// Checked view of a `struct xfrm_id`.
    packet XfrmIdPacket;
    size 24;
    {
        /// Destination address.
        daddr / set_daddr: Addr => 0,
        /// SPI (`__be32`).
        spi / set_spi: Be32 => 16,
        /// IPsec protocol (ESP 50, AH 51, COMP 108, ...).
        proto / set_proto: U8 => 20,
    }
}

wire_struct! {
    /// `struct xfrm_lifetime_cfg` (64 bytes). `XFRM_INF` means no limit.
    repr XfrmLifetimeCfg;
    /// Checked view of a `struct xfrm_lifetime_cfg`.
    packet XfrmLifetimeCfgPacket;
    size 64;
    {
        /// Soft byte limit.
        soft_byte_limit / set_soft_byte_limit: U64 => 0,
        /// Hard byte limit.
        hard_byte_limit / set_hard_byte_limit: U64 => 8,
        /// Soft packet limit.
        soft_packet_limit / set_soft_packet_limit: U64 => 16,
        /// Hard packet limit.
        hard_packet_limit / set_hard_packet_limit: U64 => 24,
        /// Soft expiry, seconds after add.
        soft_add_expires_seconds / set_soft_add_expires_seconds: U64 => 32,
        /// Hard expiry, seconds after add.
        hard_add_expires_seconds / set_hard_add_expires_seconds: U64 => 40,
        /// Soft expiry, seconds after first use.
        soft_use_expires_seconds / set_soft_use_expires_seconds: U64 => 48,
        /// Hard expiry, seconds after first use.
        hard_use_expires_seconds / set_hard_use_expires_seconds: U64 => 56,
    }
}

wire_struct! {
    /// `struct xfrm_lifetime_cur` (32 bytes): current usage.
    repr XfrmLifetimeCur;
    /// Checked view of a `struct xfrm_lifetime_cur`.
    packet XfrmLifetimeCurPacket;
    size 32;
    {
        /// Bytes processed.
        bytes / set_bytes: U64 => 0,
        /// Packets processed.
        packets / set_packets: U64 => 8,
        /// Creation time (seconds).
        add_time / set_add_time: U64 => 16,
        /// First use time (seconds).
        use_time / set_use_time: U64 => 24,
    }
}

wire_struct! {
    /// `struct xfrm_stats` (12 bytes).
    repr XfrmStats;
    /// Checked view of a `struct xfrm_stats`.
    packet XfrmStatsPacket;
    size 12;
    {
        /// Packets dropped by the replay window.
        replay_window / set_replay_window: U32 => 0,
        /// Replayed packets.
        replay / set_replay: U32 => 4,
        /// Integrity check failures.
        integrity_failed / set_integrity_failed: U32 => 8,
    }
}

wire_struct! {
    /// `struct xfrm_replay_state` (12 bytes), the legacy 32-bit window.
    repr XfrmReplayState;
    /// Checked view of a `struct xfrm_replay_state`.
    packet XfrmReplayStatePacket;
    size 12;
    {
        /// Outbound sequence number.
        oseq / set_oseq: U32 => 0,
        /// Highest inbound sequence number.
        seq / set_seq: U32 => 4,
        /// Window bitmap.
        bitmap / set_bitmap: U32 => 8,
    }
}

wire_struct! {
    /// `struct xfrm_mark` (8 bytes): value and mask.
    repr XfrmMark;
    /// Checked view of a `struct xfrm_mark`.
    packet XfrmMarkPacket;
    size 8;
    {
        /// Value.
        v / set_v: U32 => 0,
        /// Mask.
        m / set_m: U32 => 4,
    }
}
