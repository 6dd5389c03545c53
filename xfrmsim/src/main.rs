//! The xfrmsim command line.

use xfrmsim::replay;

use std::io::{self, BufReader};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: xfrmsim replay < script.jsonl > out.jsonl");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("replay") => {
            let stdin = io::stdin();
            let stdout = io::stdout();
            match replay::Replay::new().run(BufReader::new(stdin.lock()), stdout.lock()) {
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
