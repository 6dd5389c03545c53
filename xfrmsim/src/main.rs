//! The xfrmsim command line.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: xfrmsim ip [ -s ] [ -d ] xfrm {{ state | policy }} COMMAND ...");
    eprintln!("       xfrmsim ip [ -force ] -batch FILE");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        return usage();
    }
    usage()
}
