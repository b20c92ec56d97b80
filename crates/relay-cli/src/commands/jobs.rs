//! `relay jobs [--json]`, `relay jobs show ID`, `relay jobs resume ID`, `relay jobs cancel ID`:
//! the durable jobs in the store.

use relay::core::store::{JobFilter, JobRecord, JobState};
use serde_json::json;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, Table, print_json};
use crate::progress::drive;

/// Arguments of `relay jobs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<JobsCommand>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum JobsCommand {
    /// One job: its state, what finished, its events.
    Show {
        /// The job id.
        id: String,
    },
    /// Finish an interrupted (or failed, or queued) job here; finished repositories are not
    /// done again.
    Resume {
        /// The job id.
        id: String,
    },
    /// Cancel a queued, interrupted or running job.
    Cancel {
        /// The job id.
        id: String,
    },
}

impl Args {
    /// The name the command is audited under; listings change nothing.
    pub fn audited_as(&self) -> Option<&'static str> {
        match &self.command {
            Some(JobsCommand::Resume { .. }) => Some("relay jobs resume"),
            Some(JobsCommand::Cancel { .. }) => Some("relay jobs cancel"),
            _ => None,
        }
    }
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.remember().await?;
    match args.command {
        None => {
            let jobs = relay.jobs(JobFilter::default()).await?;
            if args.json {
                print_json(&jobs);
            } else if jobs.is_empty() {
                println!("no jobs recorded yet");
            } else {
                print!("{}", table(&jobs).render(g.style()));
            }
        }
        Some(JobsCommand::Show { id }) => {
            let job = relay.job(&id).await?;
            let events = relay.job_events(&id).await?;
            if args.json {
                print_json(&json!({"job": job, "events": events}));
            } else {
                print!("{}", table(std::slice::from_ref(&job)).render(g.style()));
                let total = job
                    .spec
                    .get("repos")
                    .and_then(|r| r.as_array())
                    .map_or(0, Vec::len);
                println!(
                    "done: {} of {total} ({})",
                    job.done.len(),
                    job.done.join(", ")
                );
                if let Some(m) = &job.message {
                    println!("{m}");
                }
                println!("{} event(s) recorded", events.len());
            }
        }
        Some(JobsCommand::Resume { id }) => {
            let job = relay.resume_job(&id).await?;
            let result = drive(job, args.json).await;
            let record = relay.job(&id).await?;
            if args.json {
                print_json(&record);
            } else {
                println!(
                    "job {id}: {} ({} of {} repositories done)",
                    record.state.as_str(),
                    record.done.len(),
                    record
                        .spec
                        .get("repos")
                        .and_then(|r| r.as_array())
                        .map_or(0, Vec::len)
                );
            }
            result?;
            if record.state != JobState::Succeeded {
                return Err(CliError::reported_failure());
            }
        }
        Some(JobsCommand::Cancel { id }) => {
            let job = relay.cancel_job(&id).await?;
            if args.json {
                print_json(&job);
            } else if job.cancel_requested {
                println!("job {id}: cancel requested; its process stops it within seconds");
            } else {
                println!("job {id}: cancelled");
            }
        }
    }
    Ok(())
}

fn table(jobs: &[JobRecord]) -> Table {
    let mut table = Table::new(vec!["JOB", "OPERATION", "USER", "STATE", "DONE", "UPDATED"]);
    for j in jobs {
        let color = match j.state {
            JobState::Succeeded => Color::Green,
            JobState::Failed | JobState::Interrupted => Color::Red,
            JobState::Running | JobState::Queued => Color::Yellow,
            JobState::Cancelled => Color::Dim,
        };
        let total = j
            .spec
            .get("repos")
            .and_then(|r| r.as_array())
            .map_or(0, Vec::len);
        table.row(vec![
            (j.id.clone(), Color::Cyan),
            (j.operation.clone(), Color::Plain),
            (j.user.clone(), Color::Plain),
            (j.state.as_str().into(), color),
            (format!("{}/{total}", j.done.len()), Color::Plain),
            (relay::store::format_time(j.updated_ms), Color::Dim),
        ]);
    }
    table
}
