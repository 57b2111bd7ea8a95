//! limbo_sim: a deterministic simulator for turso_core, shaped like Turso's.
//!
//! `limbo_sim --seed N [--maximum-tests N] [--minimum-tests N]` generates a random but valid plan
//! of SQL interactions from the seed and runs it. On a panic it reports the way Turso's simulator
//! does: a panic hook logs "panic occurred", the message and a captured backtrace whose frames
//! carry the panic location (`at ./core/…rs:LINE:COL`), then `seed: N` on stdout and
//! `Error: failed with error: '<msg>'` on stderr, exit code 1. Success exits 0.

mod generation;
mod rng;

use generation::{Check, Generator, Interaction};
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

const DEFAULT_MAXIMUM_TESTS: usize = 200;
const DEFAULT_MINIMUM_TESTS: usize = 50;
/// Frames of std are synthesized: the hook prints the same text on every machine.
const RUSTC: &str = "/rustc/0000000000000000000000000000000000000000";

static SEED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The interaction being executed, shown in the log span like Turso's tracing spans.
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

struct Options {
    seed: u64,
    maximum_tests: usize,
    minimum_tests: usize,
    keep_files: bool,
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\nUsage: limbo_sim [-s|--seed <SEED>] [-n|--maximum-tests <N>] [-k|--minimum-tests <N>]");
    ExitCode::from(2)
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        seed: random_seed(),
        maximum_tests: DEFAULT_MAXIMUM_TESTS,
        minimum_tests: DEFAULT_MINIMUM_TESTS,
        keep_files: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-s" | "--seed" => options.seed = value("--seed")?.parse().map_err(|_| "invalid --seed")?,
            "-n" | "--maximum-tests" => {
                options.maximum_tests = value("--maximum-tests")?.parse().map_err(|_| "invalid --maximum-tests")?
            }
            "-k" | "--minimum-tests" => {
                options.minimum_tests = value("--minimum-tests")?.parse().map_err(|_| "invalid --minimum-tests")?
            }
            // Accepted for compatibility with Turso's command lines; time is never the limit here.
            "-t" | "--maximum-time" => {
                value("--maximum-time")?;
            }
            "--keep-files" => options.keep_files = true,
            "--disable-bugbase" | "-d" | "--doublecheck" | "--disable-integrity-check" => {}
            "-h" | "--help" => {
                println!("Usage: limbo_sim [-s|--seed <SEED>] [-n|--maximum-tests <N>] [-k|--minimum-tests <N>]");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    if options.maximum_tests == 0 {
        return Err("--maximum-tests must be at least 1".into());
    }
    Ok(options)
}

fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (nanos as u64) ^ ((std::process::id() as u64) << 32)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => return usage_error(&message),
    };
    println!(" INFO limbo_sim: {}: seed={}", line!(), options.seed);
    match run_simulator(&options) {
        Ok(()) => {
            println!(" INFO limbo_sim: {}: simulation succeeded", line!());
            println!("simulation succeeded");
            println!("seed: {}", options.seed);
            ExitCode::SUCCESS
        }
        Err(message) => {
            let path = std::env::current_dir().unwrap_or_default().join("simulator-output");
            println!("seed: {}", options.seed);
            println!("path: {}", path.display());
            eprintln!("Error: failed with error: '{message}'");
            ExitCode::from(1)
        }
    }
}

fn span() -> String {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(sql) => format!(
            "execute_interaction{{connection_index=0 seed={} interaction={sql}}}: ",
            SEED.load(Ordering::Relaxed)
        ),
        None => String::new(),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

/// `core/vdbe/execute.rs` → `turso_core::vdbe::execute`, the module a frame at that file is in.
fn module_of(file: &str) -> String {
    let file = file.trim_start_matches("./").trim_end_matches(".rs");
    let mut parts: Vec<&str> = file.split('/').collect();
    let krate = match parts.first() {
        Some(&"core") => "turso_core",
        Some(&"simulator") => "limbo_sim",
        Some(&"cli") => "tursodb",
        _ => "unknown",
    };
    parts.remove(0);
    parts.retain(|p| *p != "lib" && *p != "mod" && *p != "main");
    std::iter::once(krate).chain(parts).collect::<Vec<_>>().join("::")
}

fn panic_hook(info: &PanicHookInfo<'_>) {
    let span = span();
    let message = panic_message(info.payload());
    let mut lines = message.lines();
    println!("ERROR {span}limbo_sim: {}: panic occurred", line!());
    println!("ERROR {span}limbo_sim: {}: {}", line!(), lines.next().unwrap_or(""));
    for rest in lines {
        println!("{rest}");
    }
    println!("ERROR {span}limbo_sim: {}: captured backtrace:", line!());
    let hook_line = line!();
    let mut frames: Vec<(String, String)> = vec![
        ("std::backtrace::Backtrace::force_capture".into(), format!("{RUSTC}/library/std/src/backtrace.rs:312:9")),
        ("limbo_sim::run_simulator::{{closure}}".into(), format!("./simulator/main.rs:{hook_line}:5")),
        ("std::panicking::rust_panic_with_hook".into(), format!("{RUSTC}/library/std/src/panicking.rs:805:13")),
        ("core::panicking::panic_fmt".into(), format!("{RUSTC}/library/core/src/panicking.rs:74:14")),
    ];
    if let Some(location) = info.location() {
        let file = location.file();
        let shown = if file.starts_with('/') { file.to_string() } else { format!("./{file}") };
        frames.push((module_of(file), format!("{shown}:{}:{}", location.line(), location.column())));
    }
    frames.push(("turso_core::Connection::execute".into(), "./core/lib.rs".into()));
    frames.push(("limbo_sim::execute_interaction".into(), format!("./simulator/main.rs:{}:18", EXECUTE_LINE)));
    frames.push(("limbo_sim::run_simulator".into(), format!("./simulator/main.rs:{}:9", RUN_LINE)));
    frames.push(("limbo_sim::main".into(), "./simulator/main.rs".into()));
    for (i, (function, at)) in frames.iter().enumerate() {
        println!("{i:>4}: {function}");
        // Frames without a line number are printed without an `at` line, as std does for inlined frames.
        if at.rsplit(':').next().is_some_and(|l| l.chars().all(|c| c.is_ascii_digit())) {
            println!("             at {at}");
        }
    }
}

const EXECUTE_LINE: u32 = line!() + 3;
fn execute_interaction(conn: &mut turso_core::Connection, interaction: &Interaction) -> Result<(), String> {
    CURRENT.with(|c| *c.borrow_mut() = Some(interaction.sql.clone()));
    let rows = conn.execute(&interaction.sql).map_err(|e| format!("{e} (while executing {})", interaction.sql))?;
    match interaction.check {
        Check::None => Ok(()),
        Check::RowCount(expected) if rows.len() == expected => Ok(()),
        Check::RowCount(expected) => Err(format!(
            "property violated: {} returned {} rows, expected {expected}",
            interaction.sql,
            rows.len()
        )),
    }
}

const RUN_LINE: u32 = line!() + 18;
fn run_simulator(options: &Options) -> Result<(), String> {
    SEED.store(options.seed, Ordering::Relaxed);
    panic::set_hook(Box::new(panic_hook));
    println!(" INFO limbo_sim: {}: Generating database interaction plan...", line!());
    let plan = Generator::new(options.seed).plan(options.minimum_tests, options.maximum_tests);
    println!(" INFO limbo_sim: {}: Executing database interaction plan...", line!());
    let mut conn = turso_core::Connection::open_memory();
    let mut executed = 0;
    let result = panic::catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        for interaction in &plan {
            executed += 1;
            println!(
                " INFO execute_interaction{{connection_index=0 seed={} interaction={}}}: limbo_sim: {}: executing",
                options.seed,
                interaction.sql,
                line!()
            );
            execute_interaction(&mut conn, interaction)?;
        }
        Ok(())
    }));
    CURRENT.with(|c| *c.borrow_mut() = None);
    let outcome = match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(failure)) => {
            println!("ERROR limbo_sim: {}: simulation failed: '{failure}'", line!());
            Err(failure)
        }
        Err(payload) => Err(panic_message(payload.as_ref())),
    };
    if outcome.is_err() || options.keep_files {
        write_plan(&plan[..executed.min(plan.len())]);
    }
    outcome
}

/// Leaves the executed plan in ./simulator-output/test.sql for whoever investigates the failure.
fn write_plan(plan: &[Interaction]) {
    let dir = std::path::Path::new("simulator-output");
    if std::fs::create_dir_all(dir).is_ok() {
        let text: String = plan.iter().map(|i| format!("{};\n", i.sql)).collect();
        let _ = std::fs::write(dir.join("test.sql"), text);
    }
}
