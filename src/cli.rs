//! Command-line arguments: clap types only, no logic.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cloud::limits::Setting;

/// Deploy serverless apps (Lambda functions, IAM roles, API Gateway routes) to AWS from a manifest.
#[derive(Debug, Parser)]
#[command(
    name = "lade",
    version,
    about,
    long_about = "lade reads a declarative manifest (lade.yaml), compares it with what is live in \
                  your AWS account, and shows or performs the ordered steps that make the account \
                  match. There is no state file: lade finds what it owns by tags and IAM paths.",
    after_help = "Examples:\n  \
        lade validate                 check lade.yaml without calling AWS\n  \
        lade plan                     show what would change\n  \
        lade plan --stage prod        ... for the prod stage\n  \
        lade plan --explain           ... with the reason for each step and its aws CLI twin\n  \
        lade apply                    make the changes (asks first)\n  \
        lade apply --yes              ... without asking, e.g. in CI\n  \
        lade outputs                  print the API's URL and its routes' URLs\n  \
        lade package                  write the zips lade uploads, for --explain\n  \
        lade destroy -f app/lade.yaml remove everything the project and stage own\n  \
        lade invoke hello             invoke the deployed function: a smoke test\n  \
        lade invoke hello --local     run a function's handler on this machine\n  \
        lade serve                    answer the API on this machine (http://127.0.0.1:3000)\n  \
        lade completions zsh          print shell completions\n\n\
        AWS credentials and region come from the standard chain (AWS_PROFILE, AWS_REGION, \
        ~/.aws, SSO, web identity); AWS_ENDPOINT_URL points lade at another endpoint."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub output: Output,
    /// Whether `-f`/`--file` was given on the command line, rather than defaulted:
    /// `lade apply PLAN` reads the manifest the plan records unless it was. Set by
    /// `commands::main`, not by a flag.
    #[arg(skip)]
    pub file_given: bool,
}

/// How lade talks: colour, detail and quiet. Global: they go before or after the
/// subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct Output {
    /// Colour the output: auto colours only a terminal, and not when NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Log every AWS call (service, operation, duration, outcome) and every retry to
    /// stderr; -vv adds the SDK's own retry decisions. Never logs request or response
    /// bodies.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Print only errors: no plan, progress or summary. Exit codes are unchanged, and
    /// output asked for by name (--json, --format, graph, outputs) still prints.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When done, print to stderr the AWS requests made, per service and operation,
    /// with attempts, retries, waiter polls, errors and time, and the total time spent
    /// waiting on AWS. One JSON object line instead with --json or --format json.
    #[arg(long, global = true)]
    pub stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// The manifest to read.
    #[arg(short = 'f', long = "file", default_value = "lade.yaml", global = true)]
    pub file: PathBuf,
    /// The stage to work on; overrides the manifest's `stage`.
    #[arg(long, env = "LADE_STAGE", global = true)]
    pub stage: Option<String>,
    /// Set `${var:NAME}`. Repeatable; a later one wins.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = name_value, global = true)]
    pub vars: Vec<(String, String)>,
    /// Like --var, but sensitive: masked in every output and never saved in a plan.
    #[arg(long = "secret-var", value_name = "NAME=VALUE", value_parser = name_value, global = true)]
    pub secret_vars: Vec<(String, String)>,
    /// Read `${var:NAME}` values from a YAML file of `NAME: value` lines. Repeatable;
    /// --var and --secret-var win over files.
    #[arg(long = "var-file", value_name = "FILE", global = true)]
    pub var_files: Vec<PathBuf>,
    /// How many AWS requests or steps may be in flight: N overall, SERVICE=N for one
    /// service (lambda, iam, apigateway, apigatewayv2, eventbridge, s3, sns), each N
    /// from 1 to 64. Comma-separated and repeatable; a later one wins. Defaults follow
    /// AWS's quotas: 26 overall, lambda=10, iam=4, apigateway=2, apigatewayv2=2,
    /// eventbridge=4, s3=2, sns=2.
    #[arg(
        long,
        value_name = "N|SERVICE=N",
        value_delimiter = ',',
        value_parser = clap::value_parser!(Setting),
        global = true
    )]
    pub parallelism: Vec<Setting>,
    /// How long to retry creating or updating a function while Lambda answers that its
    /// role cannot be assumed or lacks permissions: a new role or policy takes seconds
    /// to minutes to propagate through IAM. A duration: 300, 90s, 10m.
    #[arg(
        long,
        value_name = "DURATION",
        env = "LADE_ROLE_PROPAGATION_TIMEOUT",
        default_value = "5m",
        value_parser = duration,
        global = true
    )]
    pub role_propagation_timeout: Duration,
    /// How long one attempt of an AWS request may take before it is abandoned and
    /// retried (code uploads get at least 10 minutes). A duration: 30, 30s, 2m.
    #[arg(
        long,
        value_name = "DURATION",
        env = "LADE_REQUEST_TIMEOUT",
        default_value = "30s",
        value_parser = duration,
        global = true
    )]
    pub request_timeout: Duration,
    /// How long a request that AWS keeps throttling is retried (other clients share
    /// the account's quotas) before lade gives up on it. A duration: 300, 5m, 30s.
    #[arg(
        long,
        value_name = "DURATION",
        env = "LADE_THROTTLE_TIMEOUT",
        default_value = "5m",
        value_parser = duration,
        global = true
    )]
    pub throttle_timeout: Duration,
}

/// Parses a duration: a number of seconds (`90`), or a number with a unit: `ms`, `s`,
/// `m` or `h` (`500ms`, `90s`, `10m`, `1h`).
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    // A bare number is seconds; anything else is jiff's friendly format (`90s`, `10m`,
    // `1h 30m`, `500ms`).
    let parsed = match text.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => text
            .parse::<jiff::SignedDuration>()
            .map_err(|_| format!("expected a duration such as 300, 90s or 10m, got `{text}`"))
            .and_then(|d| {
                Duration::try_from(d).map_err(|_| format!("`{text}` is not a positive duration"))
            }),
    }?;
    if parsed.is_zero() || parsed > Duration::from_secs(86_400) {
        return Err(format!("`{text}` is not between 1ms and 24h"));
    }
    Ok(parsed)
}

/// Parses `NAME=VALUE`.
fn name_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the manifest without calling AWS.
    #[command(
        after_help = "Exits 0 when the manifest is valid, 1 with every problem listed otherwise."
    )]
    Validate {
        #[command(flatten)]
        common: Common,
    },
    /// Show the steps that would make the account match the manifest.
    #[command(after_help = "Examples:\n  \
        lade plan\n  \
        lade plan --out plan.json          save it; `lade apply plan.json` applies exactly it\n  \
        lade plan --detailed-exitcode      exit 2 when there are changes (for CI)\n  \
        lade plan --format markdown >> \"$GITHUB_STEP_SUMMARY\"")]
    Plan {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        options: PlanOptions,
    },
    /// Make the account match the manifest.
    #[command(after_help = "Examples:\n  \
        lade apply\n  \
        lade apply --yes --stage prod\n  \
        lade apply plan.json               apply a saved plan, or nothing if it is stale\n\n\
        A saved plan is applied without asking (it was the review, as with `terraform apply \
        PLANFILE`), from any directory: it records its manifest, relative to the plan file \
        (tried first) and absolute; -f overrides.")]
    Apply {
        #[command(flatten)]
        common: Common,
        /// A plan saved with `lade plan --out`: apply exactly it, without asking, or
        /// refuse if anything it was made from (the manifest, the sources, the account)
        /// has changed since.
        #[arg(value_name = "PLAN")]
        saved: Option<PathBuf>,
        #[command(flatten)]
        run: Run,
    },
    /// Show the API's URL and each route's URL, read from what is deployed.
    #[command(after_help = "Examples:\n  lade outputs\n  lade outputs --json --stage prod")]
    Outputs {
        #[command(flatten)]
        common: Common,
        /// Print the outputs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Invoke the deployed function in Lambda, or with --local run its handler here.
    #[command(
        after_help = "Without --local: invokes the deployed function (Lambda `Invoke`, \
        synchronously, with the log tail), after checking that it is this project's and \
        stage's. Its response goes to stdout; the status code, the version that ran and the \
        last 4 KB of its log go to stderr. Exits 1 when the function fails (Lambda's \
        FunctionError), is not deployed or is not lade's: the smoke test for after `apply`.\n\n\
        With --local: runs on this machine, not in Lambda: no IAM role (the handler has your \
        environment and credentials), no AWS services, only the Python and Node.js found on \
        the PATH. The response (JSON) goes to stdout; the handler's prints go to stderr. \
        Exits 1 when the handler raises, times out or exits.\n\n\
        Examples:\n  \
        lade invoke hello                                         the deployed function\n  \
        lade invoke hello --data '{\"name\": \"Ada\"}' --stage prod\n  \
        lade invoke hello --data-file event.json\n  \
        lade invoke hello --local\n  \
        lade invoke hello --local --data '{\"name\": \"Ada\"}'       the event itself\n  \
        lade invoke hello --local --event event.json             ... from a file\n  \
        lade invoke get-item --local --event api:GET:/items/42   a REST API (v1) request\n  \
        lade invoke get-item --local --event http:GET:/items/42  an HTTP API (v2) request\n  \
        lade invoke put-item --local --event api:POST:/items --data '{\"id\": \"1\"}'   with a body"
    )]
    Invoke {
        #[command(flatten)]
        common: Common,
        /// The function's key in the manifest (`functions: KEY:`).
        key: String,
        /// Run the handler here, with the runtime found on the PATH, instead of invoking
        /// the deployed function in Lambda.
        #[arg(long)]
        local: bool,
        /// The event, as JSON. With a sample --event (api:... or http:...), the
        /// request's body instead.
        #[arg(long, value_name = "JSON", conflicts_with = "data_file")]
        data: Option<String>,
        /// Like --data, read from FILE (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        data_file: Option<PathBuf>,
        /// A file that holds the event as JSON, or a sample API Gateway proxy event:
        /// api:METHOD:/path for a REST API (payload 1.0), http:METHOD:/path for an HTTP
        /// API (payload 2.0), with path parameters from the manifest's matching route.
        #[arg(long, value_name = "FILE|api:METHOD:/path|http:METHOD:/path")]
        event: Option<String>,
    },
    /// Answer the manifest's API on this machine, each request in a fresh handler process.
    #[command(
        after_help = "Runs on this machine, not in API Gateway and Lambda: no IAM role, no \
        authorizers or API keys, no AWS services, only the Python and Node.js found on the \
        PATH. Routes are served under /<stage>/ as in AWS, with REST API (v1) proxy events. \
        Every request runs its handler in a new process, so code changes apply at the next \
        request; restart after editing the manifest. Stop with Ctrl-C.\n\n\
        Examples:\n  \
        lade serve                          http://127.0.0.1:3000/dev/...\n  \
        lade serve --port 8080 --stage prod\n  \
        lade serve --host 0.0.0.0           reachable from other machines"
    )]
    Serve {
        #[command(flatten)]
        common: Common,
        /// The port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
    /// Print the plan's steps and their dependencies as a graph (Mermaid or DOT).
    #[command(
        after_help = "Examples:\n  lade graph > plan.mmd\n  lade graph --format dot | dot -Tsvg > plan.svg"
    )]
    Graph {
        #[command(flatten)]
        common: Common,
        /// mermaid (for Markdown, GitHub renders it) or dot (for Graphviz).
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Delete everything the project and stage own, and nothing else.
    #[command(
        after_help = "Examples:\n  lade destroy\n  lade destroy --yes --stage dev\n  \
        lade destroy --explain          show the steps and their aws CLI twins; delete nothing"
    )]
    Destroy {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        run: Run,
        /// Delete nothing: print each step, why it comes where it does (the reverse of
        /// creating), and the equivalent `aws` CLI command.
        #[arg(long, conflicts_with_all = ["yes", "json"])]
        explain: bool,
    },
    /// Write the zips lade uploads, byte for byte, as <KEY>.zip, with their CodeSha256.
    #[command(after_help = "Examples:\n  \
        lade package                   every function's zip, in .lade/package/\n  \
        lade package api --out dist    only function `api`, as dist/api.zip\n\n\
        The zips are deterministic: the same source gives the same bytes anywhere. \
        `lade plan --explain` names them in its `--zip-file fileb://...` options. No AWS call.")]
    Package {
        #[command(flatten)]
        common: Common,
        /// The functions (keys of `functions:`) to package; every function when none.
        #[arg(value_name = "KEY")]
        keys: Vec<String>,
        /// The directory to write the zips to.
        #[arg(long, value_name = "DIR", default_value = crate::render::explain::PACKAGE_DIR)]
        out: PathBuf,
    },
    /// Print a shell completion script to stdout.
    #[command(after_help = "Examples:\n  \
        lade completions bash > ~/.local/share/bash-completion/completions/lade\n  \
        lade completions zsh > \"${fpath[1]}/_lade\"\n  \
        lade completions fish > ~/.config/fish/completions/lade.fish\n  \
        lade completions powershell >> $PROFILE")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// How `lade plan` reports.
#[derive(Debug, Args)]
pub struct PlanOptions {
    /// Output format: text for people, json for machines (docs/plan-json.md), markdown
    /// for GitHub job summaries and pull-request comments.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Save the plan to FILE, for `lade apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// For each step: why it comes where it does, and the equivalent `aws` CLI command.
    #[arg(long, conflicts_with_all = ["format", "json"])]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

/// Options of the commands that change the account.
#[derive(Debug, Args)]
pub struct Run {
    /// Do not ask for confirmation. Required when stdin is not a terminal.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print one JSON event per line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_a_unit() {
        assert_eq!(duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(duration("25h").unwrap_err().contains("not between"));
        assert!(duration("5 days").is_err());
        assert!(duration("-5s").is_err());
        assert!(
            duration("soon")
                .unwrap_err()
                .contains("expected a duration")
        );
        assert!(duration("0").is_err());
    }
}
