//! The `tokenburn` CLI: parses arguments and hands each command to its file in `cli/`.

mod cli;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;

use cli::Global;

#[derive(Parser)]
#[command(name = "tokenburn", version, about = "Track AI token spend against your budgets")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Import files or folders (format detected, or given with --format)
    Import(cli::import::ImportArgs),
    /// Import what is new in every agent's logs, from their standard places (or --dir AGENT=PATH)
    Scan(cli::import::ScanArgs),
    /// Token and cost totals
    Report(cli::report::ReportArgs),
    /// Draw a chart to an SVG or PNG file
    Chart(cli::chart::ChartArgs),
    /// Every agent (where it looks, what it found, its events) and the formats Tokenburn imports
    Sources,
    /// The price book: list prices, or set your own
    Prices(cli::prices::PricesArgs),
    /// When a budget runs out, from a daily CSV series
    Forecast(cli::forecast::ForecastArgs),
    /// How well the forecast would have done on a daily CSV series (FORECAST.md protocol)
    Backtest(cli::forecast::BacktestArgs),
    /// Accounts: which sources bill to which account
    Account {
        #[command(subcommand)]
        cmd: cli::spend::AccountCmd,
    },
    /// Subscriptions (Claude Max, Cursor Pro, ...): fees amortised per day
    Subscription {
        #[command(subcommand)]
        cmd: cli::spend::SubscriptionCmd,
    },
    /// Enter a spend by hand
    Add(cli::spend::AddArgs),
    /// Budgets per month, quarter, year or custom span
    Budget {
        #[command(subcommand)]
        cmd: cli::budget::BudgetCmd,
    },
    /// Each budget's current period: spent, burn, and when it runs out
    Status(cli::budget::AtArgs),
    /// Alerts that fired and those pending
    Alerts(cli::budget::AtArgs),
    /// Evaluate alerts now; print new ones; exit 3 when a budget is over
    Check(cli::budget::AtArgs),
    /// Token spend as a share of pay (`comp set --annual N` first)
    Comp {
        #[command(subcommand)]
        cmd: Option<cli::budget::CompCmd>,
        #[command(flatten)]
        at: cli::budget::AtArgs,
    },
    /// Export the whole ledger (JSON, or CSV files in a folder)
    Export(cli::backup::ExportArgs),
    /// Restore an export into an empty ledger (or --replace)
    Restore(cli::backup::RestoreArgs),
    /// Log estimates against billed amounts, with the drift and its causes
    Reconcile(cli::reconcile::ReconcileArgs),
    /// Past imports, and undo (`imports rm ID`)
    Imports {
        #[command(subcommand)]
        cmd: Option<cli::spend::ImportsCmd>,
    },
    /// Mapping rules for CSVs Tokenburn does not know: `rules init FILE.csv` drafts one
    Rules {
        #[command(subcommand)]
        cmd: cli::rules::RulesCmd,
    },
    /// Count the tokens of a file or stdin (o200k_base, cl100k_base) and price them per model
    Tokens(cli::tokens::TokensArgs),
    /// Ledger settings
    Config {
        #[command(subcommand)]
        cmd: cli::config::ConfigCmd,
    },
}

fn main() -> ExitCode {
    // Output piped into `head` that closes early ends the program quietly, as for other
    // command-line tools, rather than as a panic in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tokenburn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    match cli.cmd {
        Cmd::Import(a) => cli::import::run_import(g, a),
        Cmd::Scan(a) => cli::import::run_scan(g, a),
        Cmd::Report(a) => cli::report::run(g, a),
        Cmd::Chart(a) => cli::chart::run(g, a),
        Cmd::Sources => sources(g),
        Cmd::Prices(a) => cli::prices::run(g, a),
        Cmd::Forecast(a) => cli::forecast::run(g, a),
        Cmd::Backtest(a) => cli::forecast::run_backtest(g, a),
        Cmd::Tokens(a) => cli::tokens::run(g, a),
        Cmd::Config { cmd } => cli::config::run(g, cmd),
        Cmd::Account { cmd } => cli::spend::account(g, cmd),
        Cmd::Subscription { cmd } => cli::spend::subscription(g, cmd),
        Cmd::Add(a) => cli::spend::add(g, a),
        Cmd::Imports { cmd } => cli::spend::imports(g, cmd),
        Cmd::Reconcile(a) => cli::reconcile::run(g, a),
        Cmd::Export(a) => cli::backup::export(g, a),
        Cmd::Restore(a) => cli::backup::restore(g, a),
        Cmd::Budget { cmd } => cli::budget::budget(g, cmd),
        Cmd::Status(a) => cli::budget::status(g, a),
        Cmd::Alerts(a) => cli::budget::alerts_list(g, a),
        Cmd::Check(a) => cli::budget::check(g, a),
        Cmd::Comp { cmd, at } => cli::budget::comp(g, cmd, at),
        Cmd::Rules { cmd } => cli::rules::run(cmd),
    }
}

/// Every agent (where it looks on this machine, what it found, its events and last
/// activity), then every format as before.
fn sources(g: &Global) -> Result<ExitCode> {
    use tokenburn::scan::agents::{Base, AGENTS};
    let l = g.open()?;
    let activity = tokenburn::ledger::queries::scan_files::activity(l.conn())?;
    let base = Base::current();
    let last = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339());
    let mut agents = Vec::new();
    for a in AGENTS {
        let (events, latest) = activity.get(a.name).copied().unwrap_or((0, 0));
        let mut places = Vec::new();
        for dir in a.places(&base) {
            let found = dir.is_dir();
            let files = if found { a.files(&dir)?.len() } else { 0 };
            places.push(json!({"path": dir.display().to_string(), "found": found, "files": files}));
        }
        agents.push(json!({
            "name": a.name,
            "label": a.label,
            "env": a.env,
            "env_in_use": a.env_in_use(),
            "places": places,
            "found": places.iter().any(|p| p["found"] == true),
            "files": places.iter().map(|p| p["files"].as_u64().unwrap_or(0)).sum::<u64>(),
            "events": events,
            "last_activity": (events > 0).then(|| last(latest)).flatten(),
        }));
    }
    let list = tokenburn::import::SOURCES;
    if g.json {
        let formats: Vec<_> = list
            .iter()
            .map(|s| {
                let (events, latest) = activity.get(s.name()).copied().unwrap_or((0, 0));
                json!({"name": s.name(), "description": s.describe(), "events": events,
                       "last_activity": (events > 0).then(|| last(latest)).flatten()})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({"agents": agents, "formats": formats}))?);
    } else {
        println!("Agents (found in their standard places, or where their variable points):");
        for a in &agents {
            let last = a["last_activity"].as_str().map(|t| format!(", last {t}")).unwrap_or_default();
            println!(
                "{:<14} {}: {} events{last}",
                a["name"].as_str().unwrap_or(""),
                a["label"].as_str().unwrap_or(""),
                a["events"]
            );
            if let Some(v) = a["env_in_use"].as_str() {
                println!("  (from {v})");
            }
            for p in a["places"].as_array().into_iter().flatten() {
                let state =
                    if p["found"] == true { format!("found, {} files", p["files"]) } else { "not found".into() };
                println!("  {}: {state}", p["path"].as_str().unwrap_or(""));
            }
        }
        println!();
        println!("Formats:");
        for s in list {
            println!("{:<14} {}", s.name(), s.describe());
        }
    }
    Ok(ExitCode::SUCCESS)
}
