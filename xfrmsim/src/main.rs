//! The xfrmsim command line.

mod replay;

use std::io::{self, BufReader};
use std::process::ExitCode;

use sim_core::xfrm::algo_table::KernelProfile;

fn usage() -> ExitCode {
    eprintln!("usage: xfrmsim replay [--profile full|host|debian-6.1] < script.jsonl > out.jsonl");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("replay") => {
            let profile = match &args[1..] {
                [] => &KernelProfile::FULL,
                [flag, name] if flag == "--profile" => match KernelProfile::by_name(name) {
                    Some(p) => p,
                    None => {
                        eprintln!("xfrmsim replay: unknown profile {name:?}");
                        return usage();
                    }
                },
                _ => return usage(),
            };
            let stdin = io::stdin();
            let stdout = io::stdout();
            match replay::Replay::with_profile(profile)
                .run(BufReader::new(stdin.lock()), stdout.lock())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xfrmsim replay: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage(),
    }
}
