//! NEWSA/UPDSA/DELSA of real ESP, AH and IPComp states.  The host kernel
//! has no such types (every valid NEWSA ends in EPROTONOSUPPORT there), so
//! the expected replies are written here from `include/uapi/linux/xfrm.h`
//! and `net/xfrm/xfrm_user.c` (`xfrm_add_sa`, `xfrm_notify_sa`,
//! `copy_to_user_state_extra`, `copy_to_user_auth`) and compared byte for
//! byte with the simulation's (full profile: all types and algorithms),
//! masking only `curlft.add_time`.

use serde_json::{Value, json};
use sim_core::xfrm::algo_table::KernelProfile;
use xfrmsim::replay::Replay;

const XFRM_MSG_NEWSA: u16 = 0x10;
const XFRM_MSG_DELSA: u16 = 0x11;
const XFRM_MSG_UPDSA: u16 = 0x1a;
const XFRMA_ALG_AUTH: u16 = 1;
const XFRMA_ALG_CRYPT: u16 = 2;
const XFRMA_ALG_COMP: u16 = 3;
const XFRMA_SA: u16 = 6;
const XFRMA_REPLAY_VAL: u16 = 10;
const XFRMA_ALG_AUTH_TRUNC: u16 = 20;
const NLM_F_REQUEST_ACK: u16 = 5;
const AF_INET: u16 = 2;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = ((4 + payload.len()) as u16).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(payload);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

fn nlmsg(ty: u16, flags: u16, seq: u32, pid: u32, body: &[u8]) -> Vec<u8> {
    let mut v = ((16 + body.len()) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&pid.to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn name64(n: &str) -> Vec<u8> {
    let mut v = n.as_bytes().to_vec();
    v.resize(64, 0);
    v
}

/// `struct xfrm_algo`: name[64], alg_key_len (bits), key.
fn algo(n: &str, key: &[u8]) -> Vec<u8> {
    [name64(n), ((key.len() * 8) as u32).to_le_bytes().to_vec(), key.to_vec()].concat()
}

/// `struct xfrm_algo_auth`: name[64], alg_key_len, alg_trunc_len, key.
fn algo_auth(n: &str, trunc_bits: u32, key: &[u8]) -> Vec<u8> {
    [
        name64(n),
        ((key.len() * 8) as u32).to_le_bytes().to_vec(),
        trunc_bits.to_le_bytes().to_vec(),
        key.to_vec(),
    ]
    .concat()
}

/// `struct xfrm_usersa_info` (224 bytes) of a v4 transport SA
/// 10.0.0.1 -> 10.0.0.2; `sel_family` is the selector's family.
fn usersa_info(spi: u32, proto: u8, reqid: u32, seq: u32, sel_family: u16) -> Vec<u8> {
    let mut p = vec![0u8; 224];
    // sel (56): family at 40
    p[40..42].copy_from_slice(&sel_family.to_le_bytes());
    // id (24) at 56: daddr, spi (network order), proto
    p[56..60].copy_from_slice(&[10, 0, 0, 2]);
    p[72..76].copy_from_slice(&spi.to_be_bytes());
    p[76] = proto;
    // saddr at 80
    p[80..84].copy_from_slice(&[10, 0, 0, 1]);
    // lft (64) at 96: byte and packet limits XFRM_INF, times 0
    p[96..128].fill(0xff);
    // curlft (32) at 160, stats (12) at 192: zero
    p[204..208].copy_from_slice(&seq.to_le_bytes());
    p[208..212].copy_from_slice(&reqid.to_le_bytes());
    p[212..214].copy_from_slice(&AF_INET.to_le_bytes());
    // mode 0 (transport), replay_window 0, flags 0
    p
}

struct Run {
    r: Replay,
}

impl Run {
    fn new() -> Run {
        let mut r = Replay::with_profile(&KernelProfile::FULL);
        for l in [
            json!({"open": "A"}),
            json!({"bind": "A", "pid": 1000}),
            json!({"open": "L"}),
            json!({"bind": "L", "pid": 2000, "groups": 0xff}),
        ] {
            r.line(&l.to_string()).unwrap();
        }
        Run { r }
    }

    /// Sends from A; returns (A's datagrams, L's datagrams).
    fn send(&mut self, d: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let out = self.r.line(&json!({"send": "A", "hex": hex(d)}).to_string()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["errno"], 0);
        let get = |s: &str| -> Vec<Vec<u8>> {
            v["recv"][s].as_array().unwrap().iter().map(|h| unhex(h.as_str().unwrap())).collect()
        };
        (get("A"), get("L"))
    }
}

/// The capped ACK of a request: NLMSG_ERROR 0 with the request header.
fn ack(req: &[u8]) -> Vec<u8> {
    let seq = u32::from_le_bytes(req[8..12].try_into().unwrap());
    let body = [0u32.to_le_bytes().to_vec(), req[..16].to_vec()].concat();
    nlmsg(2, 0x100, seq, 1000, &body)
}

/// Compares with `curlft.add_time` (8 bytes at `at`) masked, after checking
/// it is the simulation's clock (non-zero).
fn assert_same_but_add_time(got: &[u8], want: &[u8], at: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length\n got {}\nwant {}", hex(got), hex(want));
    let t = u64::from_le_bytes(got[at..at + 8].try_into().unwrap());
    assert_ne!(t, 0, "{what}: add_time is set");
    let mut g = got.to_vec();
    g[at..at + 8].fill(0);
    assert_eq!(hex(&g), hex(want), "{what}");
}

fn check_sa(proto: u8, spi: u32, attrs_req: Vec<u8>, attrs_out: Vec<u8>) {
    let mut run = Run::new();
    let info = usersa_info(spi, proto, 7, 0, 0);
    let req =
        nlmsg(XFRM_MSG_NEWSA, NLM_F_REQUEST_ACK, 1, 0, &[info.clone(), attrs_req.clone()].concat());
    let (a, l) = run.send(&req);
    assert_eq!(a, vec![ack(&req)], "NEWSA proto {proto}: ACK");
    // xfrm_notify_sa: NEWSA, the request's seq and pid, usersa_info with the
    // selector family filled in, then copy_to_user_state_extra's attributes.
    let want = nlmsg(
        XFRM_MSG_NEWSA,
        0,
        1,
        0,
        &[usersa_info(spi, proto, 7, 0, AF_INET), attrs_out.clone()].concat(),
    );
    assert_eq!(l.len(), 1, "one notification");
    assert_same_but_add_time(&l[0], &want, 16 + 176, "NEWSA notification");

    // UPDSA: same layout, type UPDSA.
    let mut upd = req.clone();
    upd[4..6].copy_from_slice(&XFRM_MSG_UPDSA.to_le_bytes());
    upd[8..12].copy_from_slice(&2u32.to_le_bytes());
    let (a, l) = run.send(&upd);
    assert_eq!(a, vec![ack(&upd)], "UPDSA: ACK");
    let mut want_upd = want.clone();
    want_upd[4..6].copy_from_slice(&XFRM_MSG_UPDSA.to_le_bytes());
    want_upd[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(l.len(), 1);
    assert_same_but_add_time(&l[0], &want_upd, 16 + 176, "UPDSA notification");

    // Adding it again: EEXIST, the whole request echoed, no notification.
    let (a, l) = run.send(&req);
    assert_eq!(a.len(), 1);
    assert_eq!(i32::from_le_bytes(a[0][16..20].try_into().unwrap()), -17);
    assert_eq!(&a[0][20..], &req[..], "the request is echoed");
    assert!(l.is_empty());

    // DELSA: usersa_id, then XFRMA_SA holding the usersa_info, then the
    // same extra attributes.
    let mut id = vec![0u8; 24];
    id[0..4].copy_from_slice(&[10, 0, 0, 2]);
    id[16..20].copy_from_slice(&spi.to_be_bytes());
    id[20..22].copy_from_slice(&AF_INET.to_le_bytes());
    id[22] = proto;
    let del = nlmsg(XFRM_MSG_DELSA, NLM_F_REQUEST_ACK, 3, 0, &id);
    let (a, l) = run.send(&del);
    assert_eq!(a, vec![ack(&del)], "DELSA: ACK");
    let body =
        [id.clone(), nla(XFRMA_SA, &usersa_info(spi, proto, 7, 0, AF_INET)), attrs_out].concat();
    let want_del = nlmsg(XFRM_MSG_DELSA, 0, 3, 0, &body);
    assert_eq!(l.len(), 1);
    assert_same_but_add_time(&l[0], &want_del, 16 + 24 + 4 + 176, "DELSA notification");
}

#[test]
fn esp_sa_add_update_delete_follow_the_uapi() {
    let (ak, ck) = ([0x11u8; 20], [0x22u8; 16]);
    let req = [
        nla(XFRMA_ALG_AUTH, &algo("hmac(sha1)", &ak)),
        nla(XFRMA_ALG_CRYPT, &algo("cbc(aes)", &ck)),
    ]
    .concat();
    // copy_to_user_auth gives both forms (hmac(sha1) truncates to 96 bits),
    // then the cipher, then XFRMA_REPLAY_VAL (no ESN).
    let out = [
        nla(XFRMA_ALG_AUTH, &algo("hmac(sha1)", &ak)),
        nla(XFRMA_ALG_AUTH_TRUNC, &algo_auth("hmac(sha1)", 96, &ak)),
        nla(XFRMA_ALG_CRYPT, &algo("cbc(aes)", &ck)),
        nla(XFRMA_REPLAY_VAL, &[0; 12]),
    ]
    .concat();
    check_sa(50, 0x1000, req, out);
}

#[test]
fn ah_sa_with_truncated_auth_follows_the_uapi() {
    let k = [0x33u8; 32];
    let req = nla(XFRMA_ALG_AUTH_TRUNC, &algo_auth("hmac(sha256)", 128, &k));
    let out = [
        nla(XFRMA_ALG_AUTH, &algo("hmac(sha256)", &k)),
        nla(XFRMA_ALG_AUTH_TRUNC, &algo_auth("hmac(sha256)", 128, &k)),
        nla(XFRMA_REPLAY_VAL, &[0; 12]),
    ]
    .concat();
    check_sa(51, 0x2000, req, out);
}

#[test]
fn ipcomp_sa_follows_the_uapi() {
    let req = nla(XFRMA_ALG_COMP, &algo("deflate", &[]));
    let out =
        [nla(XFRMA_ALG_COMP, &algo("deflate", &[])), nla(XFRMA_REPLAY_VAL, &[0; 12])].concat();
    check_sa(108, 0x3000, req, out);
}
