//! Cost of the NETLINK_XFRM request front half: checking and parsing a
//! request (`xfrm_user_rcv_msg_precheck` + `validate_request`) and
//! parsing/emitting the fixed structures.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sim_sockets::xfrm_user::uapi::*;
use sim_sockets::xfrm_user::verify::{XfrmRequest, validate_request, xfrm_user_rcv_msg_precheck};
use sim_sockets::xfrm_user::wire::*;

fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = ((4 + payload.len()) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(payload);
    v.resize(align4(v.len()), 0);
    v
}

fn msg(ty: u16, body: &[u8]) -> Vec<u8> {
    let mut v = ((16 + body.len()) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&5u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(body);
    v
}

fn newpolicy() -> Vec<u8> {
    let mut p = XfrmUserpolicyInfo { dir: XFRM_POLICY_OUT, priority: 7, ..Default::default() };
    p.sel.family = AF_INET;
    p.sel.daddr = xfrm_address_v4([10, 0, 1, 0]);
    p.sel.prefixlen_d = 24;
    p.lft.soft_byte_limit = XFRM_INF;
    let mut t =
        XfrmUserTmpl { family: AF_INET, mode: XFRM_MODE_TUNNEL, reqid: 5, ..Default::default() };
    t.id.proto = IPPROTO_ESP;
    t.id.daddr = xfrm_address_v4([192, 0, 2, 2]);
    let body = [
        p.to_bytes(),
        nla(XFRMA_TMPL, &emit_user_tmpls(&[t])),
        nla(XFRMA_MARK, &XfrmMark { v: 0x10, m: 0xff }.to_bytes()),
        nla(XFRMA_IF_ID, &9u32.to_le_bytes()),
    ]
    .concat();
    msg(XFRM_MSG_NEWPOLICY, &body)
}

fn newsa() -> Vec<u8> {
    let mut s = XfrmUsersaInfo { family: AF_INET, mode: XFRM_MODE_TUNNEL, ..Default::default() };
    s.id.proto = IPPROTO_ESP;
    s.id.spi = 0x100;
    let crypt =
        XfrmAlgo { alg_name: alg_name_from("cbc(aes)"), alg_key_len: 128, alg_key: vec![1; 16] };
    let auth = XfrmAlgoAuth {
        alg_name: alg_name_from("hmac(sha256)"),
        alg_key_len: 256,
        alg_trunc_len: 128,
        alg_key: vec![2; 32],
    };
    let body = [
        s.to_bytes(),
        nla(XFRMA_ALG_CRYPT, &crypt.to_bytes()),
        nla(XFRMA_ALG_AUTH_TRUNC, &auth.to_bytes()),
    ]
    .concat();
    msg(XFRM_MSG_NEWSA, &body)
}

fn check(m: &[u8]) -> bool {
    match xfrm_user_rcv_msg_precheck(m, true) {
        Ok(XfrmRequest::Do(r)) => validate_request(&r).is_ok(),
        _ => false,
    }
}

fn bench(c: &mut Criterion) {
    let pol = newpolicy();
    let sa = newsa();
    assert!(check(&pol) && check(&sa));
    c.bench_function("precheck+validate NEWPOLICY (1 tmpl, mark, if_id)", |b| {
        b.iter(|| check(black_box(&pol)))
    });
    c.bench_function("precheck+validate NEWSA (crypt, auth_trunc)", |b| {
        b.iter(|| check(black_box(&sa)))
    });
    let info = sa[16..16 + 224].to_vec();
    c.bench_function("xfrm_usersa_info parse+emit", |b| {
        let mut out = vec![0u8; 224];
        b.iter(|| {
            let r = XfrmUsersaInfo::parse(
                &XfrmUsersaInfoPacket::new_checked(black_box(&info[..])).unwrap(),
            )
            .unwrap();
            r.emit(&mut XfrmUsersaInfoPacket::new_unchecked(&mut out[..]));
            black_box(&out);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
