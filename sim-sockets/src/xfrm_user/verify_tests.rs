//! Unit tests of the attribute parser and of the verifiers on inputs the
//! recorded transcripts do not reach (rules behind other rules, strict
//! policy branches, malformed lengths), plus a no-panic property over
//! random and mutated requests.

use sim_core::Errno;
use sim_core::rng::KernelRng;

use super::attr::*;
use super::uapi::*;
use super::verify::*;
use super::wire::*;

fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = ((4 + payload.len()) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(payload);
    v.resize(align4(v.len()), 0);
    v
}

fn msg(ty: u16, flags: u16, body: &[u8]) -> Vec<u8> {
    let mut v = ((16 + body.len()) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(body);
    v
}

fn attrs(stream: &[u8]) -> XfrmAttrs<'_> {
    nla_parse_deprecated(stream, 0, &XFRMA_NLA_POLICY).unwrap().attrs
}

#[test]
fn duplicate_attributes_last_one_wins() {
    let s = [nla(XFRMA_IF_ID, &1u32.to_le_bytes()), nla(XFRMA_IF_ID, &2u32.to_le_bytes())].concat();
    let a = attrs(&s);
    assert_eq!(a.u32(XFRMA_IF_ID), Some(2));
    assert_eq!(a.get(XFRMA_IF_ID).unwrap().offset, 8);
}

#[test]
fn unknown_and_zero_types_are_skipped_but_flags_are_masked() {
    let s = [
        nla(0, &[]),
        nla(60, &[1]),
        nla(XFRMA_IF_ID | NLA_F_NESTED, &7u32.to_le_bytes()),
        nla(XFRMA_MARK | NLA_F_NET_BYTEORDER, &[0; 8]),
    ]
    .concat();
    let p = nla_parse_deprecated(&s, 0, &XFRMA_NLA_POLICY).unwrap();
    assert_eq!(p.warning, None);
    assert_eq!(p.attrs.u32(XFRMA_IF_ID), Some(7));
    assert!(p.attrs.has(XFRMA_MARK));
    assert_eq!(p.attrs.iter().count(), 2);
}

#[test]
fn trailing_bytes_warn_only_when_something_is_left() {
    // 2 stray bytes: warning.
    let mut s = nla(XFRMA_IF_ID, &1u32.to_le_bytes());
    s.extend_from_slice(&[0, 0]);
    assert_eq!(nla_parse_deprecated(&s, 0, &XFRMA_NLA_POLICY).unwrap().warning, Some(MSG_LEFTOVER));
    // An unpadded last attribute (nla_len 5 in 5 bytes) overshoots: no warning.
    let s = [5u8, 0, 25, 0, 6];
    let p = nla_parse_deprecated(&s, 0, &XFRMA_NLA_POLICY).unwrap();
    assert_eq!((p.warning, p.attrs.u8(XFRMA_PROTO)), (None, Some(6)));
    // nla_len beyond the stream: parsing stops, the rest is leftover.
    let s = [12u8, 0, 31, 0, 1, 0, 0, 0];
    let p = nla_parse_deprecated(&s, 0, &XFRMA_NLA_POLICY).unwrap();
    assert_eq!((p.warning, p.attrs.has(XFRMA_IF_ID)), (Some(MSG_LEFTOVER), false));
}

#[test]
fn liberal_and_strict_length_rules() {
    // Liberal (type < XFRMA_SA_DIR): longer integers pass, shorter fail.
    assert!(nla_parse_deprecated(&nla(XFRMA_TFCPAD, &[0; 8]), 0, &XFRMA_NLA_POLICY).is_ok());
    let e = nla_parse_deprecated(&nla(XFRMA_TFCPAD, &[0; 3]), 100, &XFRMA_NLA_POLICY).unwrap_err();
    assert_eq!((e.errno, e.msg), (Errno::ERANGE, Some(MSG_ATTR_POLICY)));
    assert_eq!(e.bad_attr.unwrap().offset, 100);
    // Strict (>= XFRMA_SA_DIR): exact length.
    let e = nla_parse_deprecated(&nla(XFRMA_NAT_KEEPALIVE_INTERVAL, &[0; 8]), 0, &XFRMA_NLA_POLICY)
        .unwrap_err();
    assert_eq!((e.errno, e.msg), (Errno::EINVAL, Some(MSG_ATTR_INVALID_LEN)));
    // NLA_FLAG must be empty.
    let e =
        nla_parse_deprecated(&nla(XFRMA_IPTFS_DONT_FRAG, &[1]), 0, &XFRMA_NLA_POLICY).unwrap_err();
    assert_eq!((e.errno, e.msg), (Errno::ERANGE, Some(MSG_ATTR_POLICY)));
    assert!(nla_parse_deprecated(&nla(XFRMA_IPTFS_DONT_FRAG, &[]), 0, &XFRMA_NLA_POLICY).is_ok());
    // SA_DIR range 1..=2.
    for (v, ok) in [(0u8, false), (1, true), (2, true), (3, false)] {
        let a = nla(XFRMA_SA_DIR, &[v]);
        let r = nla_parse_deprecated(&a, 0, &XFRMA_NLA_POLICY);
        assert_eq!(r.is_ok(), ok, "SA_DIR {v}");
        if let Err(e) = r {
            assert_eq!((e.errno, e.msg), (Errno::ERANGE, Some(MSG_ATTR_RANGE)));
        }
    }
    // The SPD table has no strict range: 1-byte threshold is too short.
    let e = nla_parse_deprecated(&nla(XFRMA_SPD_IPV6_HTHRESH, &[1]), 20, &XFRMA_SPD_NLA_POLICY)
        .unwrap_err();
    assert_eq!((e.errno, e.bad_attr.unwrap().offset), (Errno::ERANGE, 20));
}

#[test]
fn policy_dumps_match_the_kernels_nest() {
    // Recorded for XFRMA_IF_ID (NLA_U32) and XFRMA_SA_DIR (range 1..2).
    let if_id = XFRMA_NLA_POLICY.get(XFRMA_IF_ID).unwrap().dump().unwrap();
    let want: Vec<u8> = [
        &[12, 0, 4, 0][..],
        &0u64.to_le_bytes(),
        &[12, 0, 5, 0],
        &0xffff_ffffu64.to_le_bytes(),
        &[8, 0, 1, 0, 4, 0, 0, 0],
    ]
    .concat();
    assert_eq!(if_id, want);
    let sa_dir = XFRMA_NLA_POLICY.get(XFRMA_SA_DIR).unwrap().dump().unwrap();
    assert_eq!(&sa_dir[4..12], &1u64.to_le_bytes());
    assert_eq!(&sa_dir[16..24], &2u64.to_le_bytes());
    assert_eq!(XFRMA_NLA_POLICY.get(XFRMA_MARK).unwrap().dump(), None);
    assert_eq!(
        XFRMA_NLA_POLICY.get(XFRMA_IPTFS_DONT_FRAG).unwrap().dump().unwrap(),
        vec![8, 0, 1, 0, 1, 0, 0, 0]
    );
}

#[test]
fn msg_min_table() {
    assert_eq!(xfrm_msg_min(XFRM_MSG_NEWSA), Some(224));
    assert_eq!(xfrm_msg_min(XFRM_MSG_ACQUIRE), Some(280));
    assert_eq!(xfrm_msg_min(XFRM_MSG_FLUSHPOLICY), Some(0));
    assert_eq!(xfrm_msg_min(XFRM_MSG_MAPPING), Some(64));
    assert_eq!(xfrm_msg_min(XFRM_MSG_GETDEFAULT), Some(3));
    assert_eq!(xfrm_msg_min(XFRM_MSG_MAX + 1), None);
    assert_eq!(xfrm_msg_min(0x0f), None);
    assert_eq!(xfrm_msg_name(XFRM_MSG_POLEXPIRE), Some("POLEXPIRE"));
    assert!(!xfrm_msg_has_doit(XFRM_MSG_REPORT) && xfrm_msg_has_doit(XFRM_MSG_SETDEFAULT));
    assert!(xfrm_msg_has_dump(XFRM_MSG_GETSA) && !xfrm_msg_has_dump(XFRM_MSG_GETSPDINFO));
}

#[test]
fn algorithm_length_rules() {
    let mut alg = alg_name_from("hmac(sha256)").to_vec();
    alg.extend_from_slice(&256u32.to_le_bytes());
    alg.extend_from_slice(&[0; 31]);
    let s = nla(XFRMA_ALG_AUTH, &alg);
    let a = attrs(&s);
    assert_eq!(
        verify_one_alg(&a, XFRMA_ALG_AUTH),
        Err((Errno::EINVAL, Some("Invalid AUTH/CRYPT/COMP attribute length")))
    );
    // The type check comes after the length check.
    assert_eq!(verify_one_alg(&a, XFRMA_ALG_AEAD), Ok(()), "absent attribute");
    let mut full = alg.clone();
    full.push(0);
    let s = [nla(XFRMA_ALG_AUTH, &full), nla(XFRMA_ALG_AEAD, &[&full[..68], &[0; 36]].concat())]
        .concat();
    let a = attrs(&s);
    assert_eq!(verify_one_alg(&a, XFRMA_ALG_AUTH), Ok(()));
    assert_eq!(
        verify_one_alg(&a, XFRMA_ALG_AEAD),
        Err((Errno::EINVAL, Some("Invalid algorithm attribute type")))
    );
    // AEAD header 72 + 32 key bytes: 104 bytes needed, 104 given.
    let mut aead = alg_name_from("rfc4106(gcm(aes))").to_vec();
    aead.extend_from_slice(&160u32.to_le_bytes());
    aead.extend_from_slice(&128u32.to_le_bytes());
    aead.extend_from_slice(&[0; 20]);
    let s = nla(XFRMA_ALG_AEAD, &aead);
    assert_eq!(verify_aead(&attrs(&s)), Ok(()));
    let s = nla(XFRMA_ALG_AEAD, &aead[..aead.len() - 1]);
    assert_eq!(
        verify_aead(&attrs(&s)),
        Err((Errno::EINVAL, Some("Invalid AEAD attribute length")))
    );
}

#[test]
fn sec_ctx_and_spi_and_tmpl_rules() {
    let ctx = |len: u16, ctx_len: u16, extra: usize| {
        let mut v = len.to_le_bytes().to_vec();
        v.extend_from_slice(&[8, 0, 1, 1]);
        v.extend_from_slice(&ctx_len.to_le_bytes());
        v.extend(std::iter::repeat_n(b'x', extra));
        nla(XFRMA_SEC_CTX, &v)
    };
    let bad = Err((Errno::EINVAL, Some("Invalid security context length")));
    assert_eq!(verify_sec_ctx_len(&attrs(&ctx(12, 4, 4))), Ok(()));
    assert_eq!(verify_sec_ctx_len(&attrs(&ctx(12, 4, 3))), bad, "len beyond the attribute");
    assert_eq!(verify_sec_ctx_len(&attrs(&ctx(11, 4, 4))), bad, "len != 8 + ctx_len");

    assert_eq!(verify_spi_info(IPPROTO_COMP, 1, 0xffff), Ok(()));
    assert_eq!(
        verify_spi_info(IPPROTO_AH, 5, 4),
        Err((Errno::EINVAL, Some("Invalid SPI range: min > max")))
    );
    // The protocol check comes first.
    assert_eq!(
        verify_spi_info(0, 5, 4),
        Err((Errno::EINVAL, Some("Invalid protocol, must be one of AH, ESP, IPCOMP")))
    );

    // Template family 0 takes the policy's, and a later transport template
    // compares against the previous template's family.
    let mut t =
        vec![XfrmUserTmpl { mode: XFRM_MODE_TUNNEL, family: AF_INET6, ..Default::default() }; 2];
    t[0].id.proto = IPPROTO_ESP;
    t[1].id.proto = IPPROTO_AH;
    t[1].family = 0;
    t[1].mode = XFRM_MODE_TRANSPORT;
    assert_eq!(
        validate_tmpl(&mut t.clone(), AF_INET, XFRM_POLICY_IN),
        Err((Errno::EINVAL, Some("Mode in template doesn't support a family change")))
    );
    t[1].family = AF_INET6;
    let mut ok = t.clone();
    assert_eq!(validate_tmpl(&mut ok, AF_INET, XFRM_POLICY_IN), Ok(()));
    let mut fam0 = vec![XfrmUserTmpl { mode: XFRM_MODE_TRANSPORT, ..Default::default() }];
    fam0[0].id.proto = IPPROTO_COMP;
    assert_eq!(validate_tmpl(&mut fam0, AF_INET6, XFRM_POLICY_FWD), Ok(()));
    assert_eq!(fam0[0].family, AF_INET6, "family 0 rewritten to the policy's");
    // IPTFS templates may change family; the mode limit is checked after.
    let mut iptfs =
        vec![XfrmUserTmpl { mode: XFRM_MODE_IPTFS, family: AF_INET6, ..Default::default() }];
    iptfs[0].id.proto = IPPROTO_ESP;
    assert_eq!(validate_tmpl(&mut iptfs, AF_INET, XFRM_POLICY_OUT), Ok(()));
}

#[test]
fn policy_type_and_unused_attr_rules() {
    let pt = |t: u8| {
        nla(XFRMA_POLICY_TYPE, &XfrmUserpolicyType { type_: t, ..Default::default() }.to_bytes())
    };
    assert_eq!(copy_from_user_policy_type(&attrs(&pt(1))), Ok(XFRM_POLICY_TYPE_SUB));
    assert_eq!(copy_from_user_policy_type(&attrs(&[])), Ok(XFRM_POLICY_TYPE_MAIN));
    assert_eq!(
        copy_from_user_policy_type(&attrs(&pt(255))),
        Err((Errno::EINVAL, Some("Invalid policy type")))
    );
    let pcpu = nla(XFRMA_SA_PCPU, &0u32.to_le_bytes());
    assert_eq!(xfrm_reject_unused_attr(XFRM_MSG_ACQUIRE, &attrs(&pcpu)), Ok(()));
    assert_eq!(
        xfrm_reject_unused_attr(XFRM_MSG_GETSA, &attrs(&pcpu)),
        Err((Errno::EINVAL, Some("Invalid attribute SA_PCPU")))
    );
    // NEWSPDINFO uses its own table: an XFRMA_SA_DIR-numbered attribute
    // there is just unknown.
    let body = [0u8, 0, 0, 0].iter().copied().chain(nla(XFRMA_SA_DIR, &[9])).collect::<Vec<_>>();
    let m = msg(XFRM_MSG_NEWSPDINFO, 1, &body);
    assert!(matches!(xfrm_user_rcv_msg_precheck(&m, true), Ok(XfrmRequest::Do(_))));
}

#[test]
fn errors_without_text_keep_the_parse_warning() {
    // GETSA of a non-IPsec protocol without SRCADDR, with 2 trailing bytes.
    let id = XfrmUsersaId { proto: 6, family: AF_INET, ..Default::default() };
    let mut body = id.to_bytes();
    body.extend_from_slice(&[0, 0]);
    let m = msg(XFRM_MSG_GETSA, 1, &body);
    let XfrmRequest::Do(req) = xfrm_user_rcv_msg_precheck(&m, true).unwrap() else { panic!() };
    assert_eq!(req.warning, Some(MSG_LEFTOVER));
    let e = validate_request(&req).unwrap_err();
    assert_eq!((e.errno, e.msg), (Errno::EINVAL, Some(MSG_LEFTOVER)));
}

#[test]
fn dump_filter_rules() {
    let mut f =
        XfrmAddressFilter { splen: 128, dplen: 128, family: AF_INET6, ..Default::default() };
    let m = msg(
        XFRM_MSG_GETSA,
        0x301,
        &[nla(XFRMA_ADDRESS_FILTER, &f.to_bytes()), nla(XFRMA_PROTO, &[50])].concat(),
    );
    assert_eq!(xfrm_dump_sa_filter(&m), Ok((Some(f), 50)));
    f.dplen = 129;
    let m = msg(XFRM_MSG_GETSA, 0x301, &nla(XFRMA_ADDRESS_FILTER, &f.to_bytes()));
    assert_eq!(xfrm_dump_sa_filter(&m).unwrap_err().pair(), (Errno::EINVAL, None));
}

/// Property: no input makes the parser or the verifiers panic, whatever
/// the bytes (random messages of every type, and recorded requests with
/// random byte flips and truncations).
#[test]
fn random_and_mutated_requests_never_panic() {
    let rng = KernelRng::from_seed(42);
    let recorded: Vec<Vec<u8>> = include_str!("testdata/oracle.tsv")
        .lines()
        .filter(|l| l.contains("\treq\t"))
        .map(|l| {
            let h = l.rsplit('\t').next().unwrap();
            (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    let mut outcomes = [0usize; 3];
    for i in 0..20_000 {
        let mut m = if i % 2 == 0 {
            let ty = XFRM_MSG_BASE + (rng.next_u32() % 26) as u16;
            let len = (rng.next_u32() % 400) as usize;
            let body: Vec<u8> = (0..len).map(|_| rng.next_u32() as u8).collect();
            msg(ty, rng.next_u32() as u16, &body)
        } else {
            recorded[(rng.next_u32() as usize) % recorded.len()].clone()
        };
        for _ in 0..(rng.next_u32() % 4) {
            let at = (rng.next_u32() as usize) % m.len();
            m[at] ^= 1 << (rng.next_u32() % 8);
        }
        let cut = 16 + (rng.next_u32() as usize) % (m.len() - 15);
        let m = &m[..cut];
        match xfrm_user_rcv_msg_precheck(m, true) {
            Err(_) => outcomes[0] += 1,
            Ok(XfrmRequest::Dump { .. }) => {
                let _ = xfrm_dump_sa_filter(m);
                outcomes[1] += 1;
            }
            Ok(XfrmRequest::Do(r)) => {
                let _ = validate_request(&r);
                outcomes[2] += 1;
            }
        }
    }
    assert!(outcomes.iter().all(|&n| n > 100), "{outcomes:?}");
}

#[test]
fn tmpl_count_is_nla_len_div_64() {
    let mut t = XfrmUserTmpl { family: AF_INET, mode: XFRM_MODE_TUNNEL, ..Default::default() };
    t.id.proto = IPPROTO_ESP;
    // 72 bytes: one template and 8 ignored bytes, as the 6.18 host accepts.
    let mut payload = t.to_bytes();
    payload.extend_from_slice(&[0xff; 8]);
    let s = nla(XFRMA_TMPL, &payload);
    assert_eq!(xfrm_user_tmpls(&attrs(&s), AF_INET, XFRM_POLICY_OUT).map(|v| v.len()), Ok(1));
    // Seven templates exceed XFRM_MAX_DEPTH before any template is looked at.
    let s = nla(XFRMA_TMPL, &vec![0u8; 7 * 64]);
    assert_eq!(
        xfrm_user_tmpls(&attrs(&s), AF_INET, XFRM_POLICY_OUT),
        Err((Errno::EINVAL, Some("Template count must be <= XFRM_MAX_DEPTH (6)")))
    );
}
