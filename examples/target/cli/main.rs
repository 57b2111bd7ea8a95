//! tursodb: the shell. Runs SQL given as an argument, or read from stdin, and prints rows in
//! sqlite3's list mode (`a|b`). Bugs in the engine surface as plain Rust panics (exit 101).
//!
//! Usage: tursodb [-m list] [-q] [-t FILE] [--experimental-…] [DATABASE] [SQL]
//! Every database is in memory (DATABASE is accepted for compatibility and otherwise ignored).

use std::io::{self, Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-m" | "--output-mode" | "-t" | "--tracing-output" | "--vfs" => {
                args.next();
            }
            "-h" | "--help" => {
                println!("Usage: tursodb [-m list] [-q] [DATABASE] [SQL]");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') && a.len() > 1 => {}
            _ => positional.push(arg),
        }
    }
    let sql = if positional.len() >= 2 {
        positional[1..].join(" ")
    } else {
        let mut buffer = String::new();
        if let Err(e) = io::stdin().read_to_string(&mut buffer) {
            eprintln!("Error: cannot read stdin: {e}");
            return ExitCode::from(1);
        }
        buffer
    };
    let mut conn = turso_core::Connection::open_memory();
    let statements = match conn.prepare(&sql) {
        Ok(statements) => statements,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let stdout = io::stdout();
    for stmt in statements {
        match conn.run(stmt) {
            Ok(rows) => {
                let mut out = stdout.lock();
                for row in rows {
                    let line = row.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("|");
                    let _ = writeln!(out, "{line}");
                }
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
