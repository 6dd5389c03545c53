//! `xfrmsim replay`: the JSON-lines replay protocol of
//! `oracle/replay/README.md`, run against a simulated kernel.

use sim_core::sync::Arc;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde_json::{Map, Value};
use sim_core::Errno;
use sim_core::xfrm::algo_table::KernelProfile;
use sim_km::Xfrm;
use sim_sockets::af_key::PfKey;
use sim_sockets::netlink::{NETLINK_XFRM, wire::SockaddrNl};
use sim_sockets::socket::{AF_KEY, AF_NETLINK, MSG_DONTWAIT, SOCK_RAW};
use sim_sockets::xfrm_user::{XfrmUser, xfrm_user_init};
use sim_sockets::{Kernel, Net, Socket, Task};

/// `PF_KEY_V2`.
const PF_KEY_V2: i32 = 2;
const DEFAULT_RECVSIZE: i64 = 65536;
const MAX_RECVSIZE: i64 = 16_777_216;

const COMMANDS: [&str; 6] = ["open", "bind", "setsockopt", "send", "close", "advance_ms"];

fn allowed(cmd: &str) -> &'static [&'static str] {
    match cmd {
        "open" => &["open", "proto", "netns", "privileged", "recvsize"],
        "bind" => &["bind", "pid", "groups"],
        "setsockopt" => &["setsockopt", "level", "name", "int", "hex"],
        "send" => &["send", "hex"],
        "close" => &["close"],
        _ => &["advance_ms"],
    }
}

struct Bad(String);

fn bad<T>(s: impl Into<String>) -> Result<T, Bad> {
    Err(Bad(s.into()))
}

fn int(
    obj: &Map<String, Value>,
    key: &str,
    lo: i64,
    hi: i64,
    default: Option<i64>,
) -> Result<i64, Bad> {
    let Some(v) = obj.get(key) else {
        return match default {
            Some(d) => Ok(d),
            None => bad(format!("missing \"{key}\"")),
        };
    };
    let n = match v {
        Value::Number(n) if n.is_i64() => n.as_i64(),
        Value::Number(n) if n.is_u64() => n.as_u64().and_then(|u| i64::try_from(u).ok()),
        _ => return bad(format!("\"{key}\" must be an integer")),
    };
    match n {
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => bad(format!("\"{key}\" out of range [{lo}, {hi}]")),
    }
}

fn hex(obj: &Map<String, Value>, key: &str) -> Result<Vec<u8>, Bad> {
    let Some(Value::String(s)) = obj.get(key) else {
        return bad(format!("\"{key}\" must be a hex string"));
    };
    if s.len() % 2 != 0 {
        return bad(format!("\"{key}\" is not valid hex"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .map_or_else(|| bad(format!("\"{key}\" is not valid hex")), Ok)
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Open {
    sock: Socket,
    task: Arc<Task>,
    recvsize: usize,
}

/// One replay run: a kernel, its namespaces by name and the open sockets.
pub struct Replay {
    kernel: Kernel,
    /// The NETLINK_XFRM front end (kept for the kernel's lifetime).
    _xfrm_user: Option<Arc<XfrmUser>>,
    /// PF_KEY (loaded after xfrm_user, as the oracle's guest loads them).
    _pfkey: Option<PfKey>,
    nets: BTreeMap<String, Arc<Net>>,
    runner: Arc<Task>,
    workers: BTreeMap<Option<String>, Arc<Task>>,
    socks: Vec<(String, Open)>,
}

impl Replay {
    /// A fresh kernel (seed 0, virtual clock, the `full` profile) with the
    /// XFRM layer, its NETLINK_XFRM front end in every namespace, and PF_KEY.
    pub fn new() -> Replay {
        Replay::with_profile(&KernelProfile::FULL)
    }

    /// As [`Replay::new`], for the kernel `profile` (loaded transform
    /// types and algorithms).
    pub fn with_profile(profile: &'static KernelProfile) -> Replay {
        let kernel = Kernel::with_seed(0);
        // Setting up cannot fail on a fresh kernel; if it did, every open
        // would report EPROTONOSUPPORT, which is what Linux does.
        let xfrm = Xfrm::new(kernel.nets(), kernel.clock().clone(), kernel.rng().clone()).ok();
        let xfrm_user = xfrm.as_ref().and_then(|x| xfrm_user_init(&kernel, x, profile).ok());
        let pfkey = xfrm.as_ref().and_then(|x| PfKey::init(&kernel, x, profile).ok());
        let runner = kernel.root_task();
        Replay {
            kernel,
            _xfrm_user: xfrm_user,
            _pfkey: pfkey,
            nets: BTreeMap::new(),
            runner,
            workers: BTreeMap::new(),
            socks: Vec::new(),
        }
    }

    fn net(&mut self, name: &Option<String>) -> Result<Arc<Net>, Errno> {
        match name {
            None => Ok(self.kernel.init_net()),
            Some(n) => {
                if let Some(net) = self.nets.get(n) {
                    return Ok(net.clone());
                }
                let net = self.kernel.create_net()?;
                self.nets.insert(n.clone(), net.clone());
                Ok(net)
            }
        }
    }

    fn find(&self, name: &str) -> Result<usize, Bad> {
        self.socks
            .iter()
            .position(|(n, _)| n == name)
            .map_or_else(|| bad(format!("socket \"{name}\" is not open")), Ok)
    }

    fn parse(line: &str) -> Result<(&'static str, Map<String, Value>), Bad> {
        let v: Value = serde_json::from_str(line).map_err(|e| Bad(format!("not JSON: {e}")))?;
        let Value::Object(obj) = v else {
            return bad("not a JSON object");
        };
        let cmds: Vec<&'static str> =
            COMMANDS.iter().copied().filter(|c| obj.contains_key(*c)).collect();
        let [cmd] = cmds[..] else {
            return bad(format!("need exactly one command, got {cmds:?}"));
        };
        if let Some(k) = obj.keys().find(|k| !allowed(cmd).contains(&k.as_str())) {
            return bad(format!("unknown key for {cmd}: {k}"));
        }
        if cmd != "advance_ms" && !matches!(obj.get(cmd), Some(Value::String(s)) if !s.is_empty()) {
            return bad(format!("\"{cmd}\" must be a non-empty socket name"));
        }
        Ok((cmd, obj))
    }

    /// Validates completely, then performs; returns the call's errno.
    fn step(&mut self, cmd: &str, obj: &Map<String, Value>) -> Result<i32, Bad> {
        let name = obj.get(cmd).and_then(Value::as_str).unwrap_or_default().to_owned();
        let errno = |r: Result<(), Errno>| r.err().map_or(0, |e| e.raw());
        match cmd {
            "open" => {
                if self.socks.iter().any(|(n, _)| *n == name) {
                    return bad(format!("socket \"{name}\" is already open"));
                }
                let proto = match obj.get("proto") {
                    None => "xfrm",
                    Some(Value::String(s)) if s == "xfrm" || s == "pfkey" => s.as_str(),
                    _ => return bad("\"proto\" must be \"xfrm\" or \"pfkey\""),
                };
                let netns = match obj.get("netns") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                    _ => return bad("\"netns\" must be a non-empty string or null"),
                };
                let privileged = match obj.get("privileged") {
                    None => true,
                    Some(Value::Bool(b)) => *b,
                    _ => return bad("\"privileged\" must be true or false"),
                };
                let recvsize =
                    int(obj, "recvsize", 1, MAX_RECVSIZE, Some(DEFAULT_RECVSIZE))? as usize;
                let net = match self.net(&netns) {
                    Ok(n) => n,
                    Err(e) => return Ok(e.raw()),
                };
                let task = if privileged {
                    self.runner.clone()
                } else {
                    let k = self.kernel.clone();
                    self.workers
                        .entry(netns)
                        .or_insert_with(|| k.spawn_task(k.root_cred_without_net_admin()))
                        .clone()
                };
                let r = match proto {
                    "xfrm" => task.socket(&net, AF_NETLINK, SOCK_RAW, NETLINK_XFRM),
                    _ => task.socket(&net, AF_KEY, SOCK_RAW, PF_KEY_V2),
                };
                match r {
                    Ok(sock) => {
                        self.socks.push((name, Open { sock, task, recvsize }));
                        Ok(0)
                    }
                    Err(e) => Ok(e.raw()),
                }
            }
            "advance_ms" => {
                let ms = int(obj, "advance_ms", 0, 3_600_000, None)?;
                self.kernel.advance(std::time::Duration::from_millis(ms as u64));
                Ok(0)
            }
            "bind" => {
                let i = self.find(&name)?;
                let pid = int(obj, "pid", 0, 0xffff_ffff, Some(0))? as u32;
                let groups = int(obj, "groups", 0, 0xffff_ffff, Some(0))? as u32;
                let o = &self.socks[i].1;
                let addr = SockaddrNl::new(pid, groups).to_bytes();
                Ok(errno(o.sock.bind(&o.task, &addr)))
            }
            "setsockopt" => {
                let i = self.find(&name)?;
                let level = int(obj, "level", i32::MIN as i64, i32::MAX as i64, None)? as i32;
                let opt = int(obj, "name", i32::MIN as i64, i32::MAX as i64, None)? as i32;
                let value = match (obj.contains_key("int"), obj.contains_key("hex")) {
                    (true, false) => {
                        let v = int(obj, "int", i32::MIN as i64, u32::MAX as i64, None)?;
                        (v as u32).to_le_bytes().to_vec()
                    }
                    (false, true) => hex(obj, "hex")?,
                    _ => return bad("setsockopt needs exactly one of \"int\" / \"hex\""),
                };
                let o = &self.socks[i].1;
                Ok(errno(o.sock.setsockopt(&o.task, level, opt, &value)))
            }
            "send" => {
                let i = self.find(&name)?;
                let data = hex(obj, "hex")?;
                let o = &self.socks[i].1;
                let to = SockaddrNl::new(0, 0).to_bytes();
                Ok(errno(o.sock.sendto(&o.task, &data, 0, Some(&to)).map(|_| ())))
            }
            "close" => {
                let i = self.find(&name)?;
                let (_, o) = self.socks.remove(i);
                o.sock.close();
                Ok(0)
            }
            _ => bad("unknown command"),
        }
    }

    /// Reads every socket until nothing more arrives anywhere.
    fn drain(&mut self) -> Map<String, Value> {
        let mut out: Vec<Vec<Value>> = vec![Vec::new(); self.socks.len()];
        loop {
            let mut got = false;
            for (i, (_, o)) in self.socks.iter().enumerate() {
                let mut errs = 0;
                loop {
                    match o.sock.recvmsg(&o.task, o.recvsize, MSG_DONTWAIT) {
                        Ok(m) => out[i].push(Value::String(to_hex(&m.data))),
                        Err(Errno::EAGAIN) | Err(Errno::EINTR) => break,
                        Err(e) => {
                            out[i].push(Value::String(e.name().to_owned()));
                            errs += 1;
                            if errs > 64 {
                                break;
                            }
                        }
                    }
                    got = true;
                }
            }
            if !got {
                break;
            }
        }
        self.socks.iter().zip(out).map(|((n, _), v)| (n.clone(), Value::Array(v))).collect()
    }

    /// Runs one script line; `None` for blank lines.
    pub fn line(&mut self, line: &str) -> Option<String> {
        if line.trim().is_empty() {
            return None;
        }
        let r = Self::parse(line).and_then(|(cmd, obj)| self.step(cmd, &obj).map(|e| (obj, e)));
        Some(match r {
            Err(Bad(msg)) => serde_json::json!({ "error": msg }).to_string(),
            Ok((mut obj, errno)) => {
                obj.insert("errno".into(), Value::from(errno));
                obj.insert("recv".into(), Value::Object(self.drain()));
                Value::Object(obj).to_string()
            }
        })
    }

    /// Runs a whole script: one output line per non-blank input line.
    /// A line that is not UTF-8 is malformed; only a read error ends the run.
    pub fn run(&mut self, mut input: impl BufRead, mut out: impl Write) -> std::io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let o = match std::str::from_utf8(&buf) {
                Ok(line) => self.line(line),
                Err(_) => Some(serde_json::json!({ "error": "line is not UTF-8" }).to_string()),
            };
            if let Some(o) = o {
                writeln!(out, "{o}")?;
                out.flush()?;
            }
        }
        out.flush()
    }
}

impl Default for Replay {
    fn default() -> Self {
        Self::new()
    }
}
