//! `xfrmsim setkey`: ipsec-tools' setkey over the simulated kernel's
//! PF_KEY socket — the configuration language in, PF_KEY v2 messages out,
//! replies printed as setkey prints them.

pub mod dump;
pub mod parse;

use sim_core::Errno;
use sim_sockets::af_key::wire::SadbMessageRepr;
use sim_sockets::af_key::wire::consts::*;

/// A PF_KEY socket as setkey uses it: `send` a message (the kernel
/// handles it synchronously), `recv` the next queued message or `None`.
pub trait PfkeyLink {
    /// `send`.
    fn send(&mut self, msg: &[u8]) -> Result<(), Errno>;
    /// `recv(MSG_DONTWAIT)`.
    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno>;
    /// The kernel clock's current time in seconds (`time(0)`).
    fn now(&self) -> u64;
    /// `getpid()`: setkey puts it in `sadb_msg_pid`.
    fn pid(&self) -> u32;
}

/// What a setkey run printed and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
    /// Exit status.
    pub code: u8,
}

/// setkey's `postproc` error text.
fn error_text(msg_type: u8, errno: u8) -> String {
    if i32::from(errno) == Errno::ENOENT.raw() {
        match msg_type {
            SADB_DELETE | SADB_GET | SADB_X_SPDDELETE => return "No entry".into(),
            SADB_DUMP => return "No SAD entries".into(),
            SADB_X_SPDDUMP => return "No SPD entries".into(),
            _ => {}
        }
    }
    Errno::from_raw(i32::from(errno))
        .map_or_else(|| format!("Unknown error {errno}"), |e| e.description().into())
}

/// Sends one request and prints the replies (`sendkeymsg` + `postproc`).
/// `script` selects the "The result of line N: " prefix of `-f`/`-c`.
fn run_one(
    link: &mut dyn PfkeyLink,
    req: &SadbMessageRepr,
    seq: u32,
    line: Option<usize>,
    res: &mut Outcome,
) {
    let mut msg = req.clone();
    msg.header.seq = seq;
    msg.header.pid = link.pid();
    if let Err(e) = link.send(&msg.to_bytes()) {
        res.err.push_str(&format!("send: {}\n", e.description()));
        res.code = 1;
        return;
    }
    let dump = matches!(msg.header.msg_type, SADB_DUMP | SADB_X_SPDDUMP);
    loop {
        let got = match link.recv() {
            Ok(Some(b)) => b,
            Ok(None) => return,
            Err(e) => {
                res.err.push_str(&format!("recv: {}\n", e.description()));
                res.code = 1;
                return;
            }
        };
        let Ok(m) = SadbMessageRepr::parse(&got) else {
            res.out.push_str("invalid message from the kernel\n");
            continue;
        };
        // Broadcasts of other requests reach a promiscuous-free socket
        // only when they answer ours (same type); others are skipped.
        if m.header.msg_type != msg.header.msg_type {
            continue;
        }
        if m.header.errno != 0 {
            let inf = line.map_or(String::new(), |l| format!("The result of line {l}: "));
            res.out.push_str(&format!("{inf}{}.\n", error_text(m.header.msg_type, m.header.errno)));
            res.code = 1;
            return;
        }
        match m.header.msg_type {
            SADB_GET | SADB_DUMP => dump::sadump(&mut res.out, &m, link.now()),
            SADB_X_SPDDUMP | SADB_X_SPDGET => dump::spdump(&mut res.out, &m),
            _ => {}
        }
        if !dump || m.header.seq == 0 {
            return;
        }
    }
}

const USAGE: &str = "usage: setkey [-v] -c
       setkey [-v] -f filename
       setkey [-Pv] -D
       setkey [-Pv] -F
";

/// The usage error setkey gives before opening its socket, if `argv` is
/// not a valid command line.
pub fn usage_error(argv: &[String]) -> Option<Outcome> {
    let mut i = 0;
    let mut mode = false;
    while let Some(a) = argv.get(i) {
        match a.as_str() {
            "-f" if argv.get(i + 1).is_some() => {
                mode = true;
                i += 1;
            }
            "-c" | "-D" | "-DP" | "-PD" | "-F" | "-FP" | "-PF" => mode = true,
            "-P" | "-v" | "-n" => {}
            _ => return Some(Outcome { err: USAGE.into(), code: 2, ..Outcome::default() }),
        }
        i += 1;
    }
    (!mode).then(|| Outcome { err: USAGE.into(), code: 2, ..Outcome::default() })
}

/// Runs `setkey ARGS...` over `link`; `-f FILE` reads through
/// `read_file`, `-c` takes `stdin`.
pub fn run_setkey(
    link: &mut dyn PfkeyLink,
    argv: &[String],
    stdin: &str,
    read_file: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    let mut res = Outcome::default();
    let (mut policy, mut script, mut dumpf, mut flushf) = (false, None::<String>, false, false);
    let mut i = 0;
    while let Some(a) = argv.get(i) {
        match a.as_str() {
            "-c" => script = Some(stdin.to_string()),
            "-f" => {
                i += 1;
                let Some(f) = argv.get(i) else {
                    res.err = USAGE.into();
                    res.code = 2;
                    return res;
                };
                match read_file(f) {
                    Some(t) => script = Some(t),
                    None => {
                        res.err = format!("Can't open {f}: No such file or directory\n");
                        res.code = 2;
                        return res;
                    }
                }
            }
            "-D" => dumpf = true,
            "-DP" | "-PD" => {
                dumpf = true;
                policy = true;
            }
            "-F" => flushf = true,
            "-FP" | "-PF" => {
                flushf = true;
                policy = true;
            }
            "-P" => policy = true,
            "-v" | "-n" => {}
            _ => {
                res.err = USAGE.into();
                res.code = 2;
                return res;
            }
        }
        i += 1;
    }
    let mk = |t: u8| SadbMessageRepr {
        header: sim_sockets::af_key::wire::SadbMsgRepr {
            version: 2,
            msg_type: t,
            ..Default::default()
        },
        exts: vec![],
    };
    if let Some(text) = script {
        match parse::parse(&text) {
            Ok(stmts) => {
                for (n, s) in stmts.iter().enumerate() {
                    run_one(link, &s.msg, n as u32 + 1, Some(s.line), &mut res);
                }
            }
            Err(e) => {
                res.err.push_str(&format!("line {}: {} at [{}]\n", e.line, e.msg, ""));
                res.code = 2;
            }
        }
    } else if dumpf {
        run_one(link, &mk(if policy { SADB_X_SPDDUMP } else { SADB_DUMP }), 1, None, &mut res);
    } else if flushf {
        run_one(link, &mk(if policy { SADB_X_SPDFLUSH } else { SADB_FLUSH }), 1, None, &mut res);
    } else {
        res.err = USAGE.into();
        res.code = 2;
    }
    res
}
