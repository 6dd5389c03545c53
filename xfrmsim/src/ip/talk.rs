//! `rtnl_talk` and `rtnl_dump_filter` of iproute2's `lib/libnetlink.c`
//! over a [`Link`], and the way `ip` reports a kernel error.

use sim_core::Errno;

use crate::nl::{Link, Msg, NLM_F_ACK, NLMSG_DONE, NLMSG_ERROR, Request, messages, parse_error};

/// Why a command stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// Bad command line: the text, exit status 2.
    Usage(String),
    /// The kernel refused: the text `ip` prints, exit status 2.
    Kernel(String),
}

impl From<super::args::Usage> for Fail {
    fn from(u: super::args::Usage) -> Fail {
        Fail::Usage(u.0)
    }
}

/// Result of a command step.
pub type CResult<T> = Result<T, Fail>;

/// `RTNETLINK answers: ...` or the extended-ACK text.
fn kernel_error(errno: Result<Errno, i32>, msg: Option<String>) -> Fail {
    match msg {
        Some(m) if !m.is_empty() => {
            let dot = if m.ends_with('.') { "" } else { "." };
            Fail::Kernel(format!("Error: {m}{dot}\n"))
        }
        _ => {
            let text = match errno {
                Ok(e) => e.description().to_string(),
                Err(n) => format!("Unknown error {n}"),
            };
            Fail::Kernel(format!("RTNETLINK answers: {text}\n"))
        }
    }
}

fn io_error(e: Errno) -> Fail {
    Fail::Kernel(format!("Cannot talk to rtnetlink: {}\n", e.description()))
}

/// One socket's conversation: the link and `rtnl_handle.seq`.
pub struct Rtnl<'l> {
    link: &'l mut dyn Link,
    seq: u32,
}

impl<'l> Rtnl<'l> {
    /// Wraps a link.
    pub fn new(link: &'l mut dyn Link) -> Rtnl<'l> {
        Rtnl { link, seq: 0 }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// `rtnl_talk`: without `answer` the request asks for an ACK; an
    /// error reply becomes [`Fail::Kernel`]; with `answer` the first
    /// non-error message is returned.
    pub fn talk(&mut self, mut req: Request, answer: bool) -> CResult<Option<Vec<u8>>> {
        if !answer {
            req = req_with_flags(req, NLM_F_ACK);
        }
        let seq = self.next_seq();
        req.set_seq(seq);
        self.link.send(req.bytes()).map_err(io_error)?;
        loop {
            let Some(d) = self.link.recv().map_err(io_error)? else {
                return Err(Fail::Kernel("netlink receive error: no reply\n".into()));
            };
            for m in messages(&d) {
                if m.ty == NLMSG_ERROR {
                    let e = parse_error(&m);
                    return match e.errno {
                        None => Ok(None),
                        Some(errno) => Err(kernel_error(errno, e.msg)),
                    };
                }
                if answer {
                    return Ok(Some(whole(&d, &m)));
                }
            }
        }
    }

    /// `rtnl_send` of several requests in one datagram, no ACK asked
    /// (the delete batches of `deleteall`); errors are read back.
    pub fn send_batch(&mut self, reqs: Vec<Request>) -> CResult<()> {
        let mut buf = Vec::new();
        for mut r in reqs {
            let seq = self.next_seq();
            r.set_seq(seq);
            buf.extend_from_slice(r.bytes());
        }
        // Failures come back as NLMSG_ERROR with the delete's sequence
        // number; the next dump skips them as junk, as iproute2 does.
        self.link.send(&buf).map_err(io_error)
    }

    /// `rtnl_open_byproto(groups)` + `rtnl_listen`: joins `groups` and
    /// hands every queued message to `f` until none is left.
    pub fn listen(&mut self, groups: u32, f: &mut dyn FnMut(&Msg<'_>)) -> CResult<()> {
        self.link.join_groups(groups).map_err(io_error)?;
        while let Some(d) = self.link.recv().map_err(io_error)? {
            for m in messages(&d) {
                f(&m);
            }
        }
        Ok(())
    }

    /// `rtnl_dump_request` + `rtnl_dump_filter`: calls `f` for every
    /// message until `NLMSG_DONE`.
    pub fn dump(&mut self, mut req: Request, f: &mut dyn FnMut(&Msg<'_>, &[u8])) -> CResult<()> {
        let seq = self.next_seq();
        req.set_seq(seq);
        self.link.send(req.bytes()).map_err(io_error)?;
        loop {
            let Some(d) = self.link.recv().map_err(io_error)? else {
                return Err(Fail::Kernel("netlink receive error: dump interrupted\n".into()));
            };
            for m in messages(&d) {
                if m.seq != seq {
                    continue;
                }
                match m.ty {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_ERROR => {
                        let e = parse_error(&m);
                        return match e.errno {
                            None => Ok(()),
                            // rtnl_dump_error, then the caller's message.
                            Some(errno) => match kernel_error(errno, e.msg) {
                                Fail::Kernel(t) => Err(Fail::Kernel(t + "Dump terminated\n")),
                                other => Err(other),
                            },
                        };
                    }
                    _ => f(&m, &d),
                }
            }
        }
    }
}

/// The bytes of message `m` (header included) inside datagram `d`.
fn whole(d: &[u8], m: &Msg<'_>) -> Vec<u8> {
    let start = m.payload.as_ptr() as usize - d.as_ptr() as usize - crate::nl::NLMSG_HDRLEN;
    d.get(start..start + crate::nl::NLMSG_HDRLEN + m.payload.len()).unwrap_or_default().to_vec()
}

fn req_with_flags(req: Request, add: u16) -> Request {
    let mut b = req.bytes().to_vec();
    let f = req.flags() | add;
    b[6..8].copy_from_slice(&f.to_le_bytes());
    Request::from_bytes(b)
}

/// A dump error as `deleteall` reports it ("Delete-all terminated").
pub fn deleteall_error(f: Fail) -> Fail {
    match f {
        Fail::Kernel(t) => match t.strip_suffix("Dump terminated\n") {
            Some(head) => Fail::Kernel(format!("{head}Delete-all terminated\n")),
            None => Fail::Kernel(t),
        },
        other => other,
    }
}
