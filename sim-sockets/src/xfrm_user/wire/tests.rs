//! Layout tests computed from `include/uapi/linux/xfrm.h` by hand (x86-64:
//! `int`/`__u32` 4-aligned, `__u64` 8-aligned, structures padded to their
//! largest member), plus view and round-trip properties. Byte-exact checks
//! against the kernel's own bytes live in `oracle_tests`.

use super::*;
use sim_core::rng::KernelRng;

/// `sizeof` of every fixed structure, from the header arithmetic:
/// e.g. usersa_info = sel 56 + id 24 + saddr 16 + lft 64 + curlft 32 +
/// stats 12 + seq 4 + reqid 4 + family 2 + mode/replay_window/flags 3 = 217,
/// rounded up to the 8-byte alignment of its u64 members = 224.
#[test]
fn sizes_match_the_header() {
    let sizes: &[(&str, usize, usize)] = &[
        ("xfrm_selector", XfrmSelector::SIZE, 56),
        ("xfrm_id", XfrmId::SIZE, 24),
        ("xfrm_lifetime_cfg", XfrmLifetimeCfg::SIZE, 64),
        ("xfrm_lifetime_cur", XfrmLifetimeCur::SIZE, 32),
        ("xfrm_stats", XfrmStats::SIZE, 12),
        ("xfrm_replay_state", XfrmReplayState::SIZE, 12),
        ("xfrm_replay_state_esn", XfrmReplayStateEsn::HEADER_LEN, 24),
        ("xfrm_algo", XfrmAlgo::HEADER_LEN, 68),
        ("xfrm_algo_auth", XfrmAlgoAuth::HEADER_LEN, 72),
        ("xfrm_algo_aead", XfrmAlgoAead::HEADER_LEN, 72),
        ("xfrm_user_sec_ctx", XfrmUserSecCtx::HEADER_LEN, 8),
        ("xfrm_user_tmpl", XfrmUserTmpl::SIZE, 64),
        ("xfrm_encap_tmpl", XfrmEncapTmpl::SIZE, 24),
        ("xfrm_mark", XfrmMark::SIZE, 8),
        ("xfrm_usersa_info", XfrmUsersaInfo::SIZE, 224),
        ("xfrm_usersa_id", XfrmUsersaId::SIZE, 24),
        ("xfrm_aevent_id", XfrmAeventId::SIZE, 48),
        ("xfrm_userspi_info", XfrmUserspiInfo::SIZE, 232),
        ("xfrm_userpolicy_info", XfrmUserpolicyInfo::SIZE, 168),
        ("xfrm_userpolicy_id", XfrmUserpolicyId::SIZE, 64),
        ("xfrm_user_acquire", XfrmUserAcquire::SIZE, 280),
        ("xfrm_user_expire", XfrmUserExpire::SIZE, 232),
        ("xfrm_user_polexpire", XfrmUserPolexpire::SIZE, 176),
        ("xfrm_usersa_flush", XfrmUsersaFlush::SIZE, 1),
        ("xfrm_user_report", XfrmUserReport::SIZE, 60),
        ("xfrm_user_migrate", XfrmUserMigrate::SIZE, 76),
        ("xfrm_user_kmaddress", XfrmUserKmaddress::SIZE, 40),
        ("xfrm_user_mapping", XfrmUserMapping::SIZE, 64),
        ("xfrm_userpolicy_type", XfrmUserpolicyType::SIZE, 6),
        ("xfrm_userpolicy_default", XfrmUserpolicyDefault::SIZE, 3),
        ("xfrmu_sadhinfo", XfrmuSadhinfo::SIZE, 8),
        ("xfrmu_spdinfo", XfrmuSpdinfo::SIZE, 24),
        ("xfrmu_spdhinfo", XfrmuSpdhinfo::SIZE, 8),
        ("xfrmu_spdhthresh", XfrmuSpdhthresh::SIZE, 2),
        ("xfrm_address_filter", XfrmAddressFilter::SIZE, 36),
        ("xfrm_user_offload", XfrmUserOffload::SIZE, 8),
    ];
    for (name, got, want) in sizes {
        assert_eq!(got, want, "sizeof(struct {name})");
    }
}

fn addr(b: u8) -> XfrmAddress {
    let mut a = [0u8; 16];
    for (i, x) in a.iter_mut().enumerate() {
        *x = b.wrapping_add(i as u8);
    }
    a
}

#[test]
fn aevent_id_layout() {
    let r = XfrmAeventId {
        sa_id: XfrmUsersaId { daddr: addr(1), spi: 0x0102_0304, family: 10, proto: 50 },
        saddr: addr(0x40),
        flags: 0x11,
        reqid: 0x0a0b_0c0d,
    };
    let b = r.to_bytes();
    assert_eq!(b.len(), 48);
    assert_eq!(&b[0..16], &addr(1));
    assert_eq!(&b[16..20], &[1, 2, 3, 4], "spi is network order");
    assert_eq!(&b[20..22], &10u16.to_le_bytes());
    assert_eq!(b[22], 50);
    assert_eq!(b[23], 0, "usersa_id tail padding");
    assert_eq!(&b[24..40], &addr(0x40));
    assert_eq!(&b[40..44], &0x11u32.to_le_bytes());
    assert_eq!(&b[44..48], &0x0a0b_0c0du32.to_le_bytes());
    assert_eq!(XfrmAeventId::from_bytes(&b), Ok(r));
}

#[test]
fn report_layout_has_three_pad_bytes_before_the_selector() {
    let sel = XfrmSelector {
        daddr: addr(3),
        saddr: addr(0x30),
        dport: 0x1f90,
        dport_mask: 0xffff,
        sport: 0x0050,
        sport_mask: 0xff00,
        family: 2,
        prefixlen_d: 24,
        prefixlen_s: 16,
        proto: 17,
        ifindex: -5,
        user: 1000,
    };
    let r = XfrmUserReport { proto: 51, sel };
    let b = r.to_bytes();
    assert_eq!(b.len(), 60);
    assert_eq!(&b[..4], &[51, 0, 0, 0]);
    let s = &b[4..];
    assert_eq!(&s[32..34], &[0x1f, 0x90], "dport is network order");
    assert_eq!(&s[36..38], &[0x00, 0x50]);
    assert_eq!(&s[38..40], &[0xff, 0x00]);
    assert_eq!(&s[40..42], &2u16.to_le_bytes());
    assert_eq!(&s[42..45], &[24, 16, 17]);
    assert_eq!(&s[45..48], &[0, 0, 0], "selector padding");
    assert_eq!(&s[48..52], &(-5i32).to_le_bytes());
    assert_eq!(&s[52..56], &1000u32.to_le_bytes());
    assert_eq!(XfrmUserReport::from_bytes(&b), Ok(r));
}

#[test]
fn migrate_kmaddress_mapping_layouts() {
    let m = XfrmUserMigrate {
        old_daddr: addr(1),
        old_saddr: addr(2),
        new_daddr: addr(3),
        new_saddr: addr(4),
        proto: 50,
        mode: 1,
        reserved: 0x7788,
        reqid: 9,
        old_family: 2,
        new_family: 10,
    };
    let b = m.to_bytes();
    assert_eq!(&b[48..64], &addr(4));
    assert_eq!(&b[64..68], &[50, 1, 0x88, 0x77]);
    assert_eq!(&b[68..72], &9u32.to_le_bytes());
    assert_eq!(&b[72..76], &[2, 0, 10, 0]);
    assert_eq!(parse_user_migrates(&[b.clone(), b.clone()].concat()), vec![m, m]);

    let k = XfrmUserKmaddress { local: addr(5), remote: addr(6), reserved: 7, family: 10 };
    let b = k.to_bytes();
    assert_eq!(&b[32..40], &[7, 0, 0, 0, 10, 0, 0, 0]);
    assert_eq!(XfrmUserKmaddress::from_bytes(&b), Ok(k));

    let mp = XfrmUserMapping {
        id: XfrmUsersaId { daddr: addr(7), spi: 0xdead_beef, family: 2, proto: 50 },
        reqid: 0x0101_0101,
        old_saddr: addr(8),
        new_saddr: addr(9),
        old_sport: 4500,
        new_sport: 4501,
    };
    let b = mp.to_bytes();
    assert_eq!(&b[16..20], &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(&b[24..28], &[1, 1, 1, 1]);
    assert_eq!(&b[60..64], &[0x11, 0x94, 0x11, 0x95]);
    assert_eq!(XfrmUserMapping::from_bytes(&b), Ok(mp));
}

#[test]
fn encap_offload_type_stats_layouts() {
    let e =
        XfrmEncapTmpl { encap_type: 2, encap_sport: 4500, encap_dport: 4500, encap_oa: addr(1) };
    let b = e.to_bytes();
    assert_eq!(&b[..8], &[2, 0, 0x11, 0x94, 0x11, 0x94, 0, 0]);
    assert_eq!(&b[8..], &addr(1));
    let o = XfrmUserOffload { ifindex: 3, flags: 6 };
    assert_eq!(o.to_bytes(), vec![3, 0, 0, 0, 6, 0, 0, 0]);
    let t = XfrmUserpolicyType { type_: 1, reserved1: 0x0203, reserved2: 4 };
    assert_eq!(t.to_bytes(), vec![1, 0, 3, 2, 4, 0]);
    let s = XfrmStats { replay_window: 1, replay: 2, integrity_failed: 3 };
    assert_eq!(s.to_bytes(), [1u32, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    let l = XfrmLifetimeCfg {
        soft_byte_limit: 1,
        hard_byte_limit: 2,
        soft_packet_limit: 3,
        hard_packet_limit: 4,
        soft_add_expires_seconds: 5,
        hard_add_expires_seconds: 6,
        soft_use_expires_seconds: 7,
        hard_use_expires_seconds: 8,
    };
    assert_eq!(l.to_bytes(), (1u64..=8).flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
}

#[test]
fn expire_and_polexpire_pad_after_hard() {
    let mut ue = XfrmUserExpire { hard: 1, ..Default::default() };
    ue.state.id.spi = 0x100;
    let b = ue.to_bytes();
    assert_eq!(b.len(), 232);
    assert_eq!(b[224], 1);
    assert!(b[225..].iter().all(|&x| x == 0));
    assert_eq!(&b[72..76], &[0, 0, 1, 0], "state.id.spi at 56 + 16");
    let mut pe = XfrmUserPolexpire { hard: 1, ..Default::default() };
    pe.pol.index = 0x19;
    let b = pe.to_bytes();
    assert_eq!(b.len(), 176);
    assert_eq!(&b[156..160], &0x19u32.to_le_bytes());
    assert_eq!(b[168], 1);
}

#[test]
fn acquire_layout() {
    let mut a = XfrmUserAcquire { aalgos: 1, ealgos: 2, calgos: 3, seq: 4, ..Default::default() };
    a.policy.dir = 1;
    a.sel.family = 2;
    a.saddr = addr(9);
    let b = a.to_bytes();
    assert_eq!(&b[24..40], &addr(9));
    assert_eq!(&b[40 + 40..40 + 42], &[2, 0], "sel.family");
    assert_eq!(b[96 + 160], 1, "policy.dir");
    assert_eq!(&b[264..280], &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
}

#[test]
fn views_reject_short_buffers() {
    let buf = [0u8; 300];
    macro_rules! short {
        ($($p:ident, $n:expr);* $(;)?) => {$(
            assert_eq!($p::new_checked(&buf[..$n - 1]).err(), Some(WireError::Truncated), stringify!($p));
            assert!($p::new_checked(&buf[..$n]).is_ok(), stringify!($p));
        )*};
    }
    short!(
        XfrmSelectorPacket, 56; XfrmIdPacket, 24; XfrmLifetimeCfgPacket, 64;
        XfrmLifetimeCurPacket, 32; XfrmStatsPacket, 12; XfrmReplayStatePacket, 12;
        XfrmMarkPacket, 8; XfrmUserTmplPacket, 64; XfrmUsersaInfoPacket, 224;
        XfrmUsersaIdPacket, 24; XfrmAeventIdPacket, 48; XfrmUserspiInfoPacket, 232;
        XfrmUserExpirePacket, 232; XfrmUsersaFlushPacket, 1; XfrmEncapTmplPacket, 24;
        XfrmUserOffloadPacket, 8; XfrmAddressFilterPacket, 36; XfrmUserMappingPacket, 64;
        XfrmUserpolicyInfoPacket, 168; XfrmUserpolicyIdPacket, 64; XfrmUserPolexpirePacket, 176;
        XfrmUserAcquirePacket, 280; XfrmUserpolicyTypePacket, 6; XfrmUserpolicyDefaultPacket, 3;
        XfrmUserReportPacket, 60; XfrmUserMigratePacket, 76; XfrmUserKmaddressPacket, 40;
        XfrmuSadhinfoPacket, 8; XfrmuSpdinfoPacket, 24; XfrmuSpdhinfoPacket, 8;
        XfrmuSpdhthreshPacket, 2; XfrmAlgoPacket, 68; XfrmAlgoAuthPacket, 72;
        XfrmAlgoAeadPacket, 72; XfrmReplayStateEsnPacket, 24; XfrmUserSecCtxPacket, 8;
    );
}

#[test]
fn variable_length_parse_needs_the_declared_tail() {
    // xfrm_algo with a 128-bit key declared but only 15 key bytes present.
    let mut b = alg_name_from("cbc(aes)").to_vec();
    b.extend_from_slice(&128u32.to_le_bytes());
    b.extend_from_slice(&[7u8; 15]);
    let p = XfrmAlgoPacket::new_checked(&b[..]).unwrap();
    assert_eq!(p.check_key_len(), Err(WireError::Truncated));
    assert_eq!(p.alg_key(), &[7u8; 15][..], "accessor stops at the buffer end");
    assert_eq!(XfrmAlgo::parse(&p), Err(WireError::Truncated));
    b.push(7);
    let a = XfrmAlgo::from_bytes(&b).unwrap();
    assert_eq!(alg_name_str(&a.alg_name), b"cbc(aes)");
    assert_eq!(a.alg_key, vec![7u8; 16]);
    assert_eq!(a.to_bytes(), b);

    // A key length near u32::MAX wraps to a 0-byte key, as `(len + 7) / 8`
    // does in the kernel's unsigned int.
    assert_eq!(alg_key_bytes(u32::MAX), 0);
    assert_eq!(xfrm_alg_len(0xffff_fff9), 68);

    // ESN state with 2 bitmap words but only one present.
    let mut e = vec![0u8; 24];
    e[..4].copy_from_slice(&2u32.to_le_bytes());
    e.extend_from_slice(&[1, 0, 0, 0]);
    assert_eq!(XfrmReplayStateEsn::from_bytes(&e), Err(WireError::Truncated));
    e.extend_from_slice(&[2, 0, 0, 0]);
    let r = XfrmReplayStateEsn::from_bytes(&e).unwrap();
    assert_eq!(r.bmp, vec![1, 2]);
    assert_eq!(r.to_bytes(), e);

    // Security context: ctx_len 4 but 3 bytes.
    let mut s = vec![12, 0, 8, 0, 1, 1, 4, 0, b'a', b'b', b'c'];
    assert_eq!(XfrmUserSecCtx::from_bytes(&s), Err(WireError::Truncated));
    s.push(b'd');
    let c = XfrmUserSecCtx::from_bytes(&s).unwrap();
    assert_eq!((c.len, c.exttype, c.ctx_alg, c.ctx_doi, c.ctx_len), (12, 8, 1, 1, 4));
    assert_eq!(c.to_bytes(), s);
}

#[test]
fn setters_write_what_getters_read() {
    let mut buf = [0xffu8; 168];
    let mut p = XfrmUserpolicyInfoPacket::new_checked(&mut buf[..]).unwrap();
    p.set_priority(0x1234_5678);
    p.set_dir(2);
    p.set_share(3);
    let mut sel = p.sel();
    sel.dport = 443;
    p.set_sel(sel);
    assert_eq!(p.priority(), 0x1234_5678);
    assert_eq!((p.dir(), p.share()), (2, 3));
    assert_eq!(p.sel().dport, 443);
    let buf = p.into_inner();
    assert_eq!(&buf[32..34], &[0x01, 0xbb]);
    assert_eq!(&buf[152..156], &0x1234_5678u32.to_le_bytes());
}

/// Property: for random bytes with the padding cleared, parse then emit is
/// the identity, and emit always zeroes padding.
#[test]
fn random_round_trips_keep_every_field_and_zero_padding() {
    fn check<R: FixedRepr + PartialEq + core::fmt::Debug>(rng: &KernelRng) {
        let mut raw = vec![0u8; R::SIZE];
        for b in raw.iter_mut() {
            *b = rng.next_u32() as u8;
        }
        let r = R::from_bytes(&raw).unwrap();
        let canon = r.to_bytes();
        // Canonical bytes agree with the raw ones everywhere except padding,
        // which is zero; re-parsing gives the same value.
        for (c, x) in canon.iter().zip(raw.iter()) {
            assert!(*c == *x || *c == 0);
        }
        assert_eq!(R::from_bytes(&canon).unwrap(), r);
        assert_eq!(R::from_bytes(&canon).unwrap().to_bytes(), canon);
        // Inside a larger dirty buffer: the same bytes, neighbours kept.
        let mut big = vec![0xa5u8; R::SIZE + 7];
        r.write_at(&mut big, 3);
        assert_eq!(&big[3..3 + R::SIZE], &canon[..]);
        assert!(big[..3].iter().chain(&big[3 + R::SIZE..]).all(|&b| b == 0xa5));
    }
    let rng = KernelRng::from_seed(0x5eed);
    for _ in 0..200 {
        check::<XfrmUsersaInfo>(&rng);
        check::<XfrmUserpolicyInfo>(&rng);
        check::<XfrmUserAcquire>(&rng);
        check::<XfrmUserTmpl>(&rng);
        check::<XfrmUserpolicyId>(&rng);
        check::<XfrmUserExpire>(&rng);
        check::<XfrmUserPolexpire>(&rng);
        check::<XfrmUserReport>(&rng);
        check::<XfrmUserMapping>(&rng);
        check::<XfrmAeventId>(&rng);
        check::<XfrmUserspiInfo>(&rng);
        check::<XfrmUserMigrate>(&rng);
        check::<XfrmUserKmaddress>(&rng);
        check::<XfrmEncapTmpl>(&rng);
        check::<XfrmAddressFilter>(&rng);
        check::<XfrmUserOffload>(&rng);
        check::<XfrmUserpolicyType>(&rng);
    }
    // The padding of usersa_info is exactly bytes 45..48 (selector), 77..80
    // (xfrm_id) and 217..224 (tail).
    let mut raw = vec![0xffu8; 224];
    raw[40..42].copy_from_slice(&2u16.to_le_bytes());
    let canon = XfrmUsersaInfo::from_bytes(&raw).unwrap().to_bytes();
    let zeros: Vec<usize> = (0..224).filter(|&i| canon[i] == 0).collect();
    let mut want: Vec<usize> = (45..48).chain(77..80).chain(217..224).collect();
    want.extend([41]); // the high byte of family 2
    want.sort();
    assert_eq!(zeros, want);
}
