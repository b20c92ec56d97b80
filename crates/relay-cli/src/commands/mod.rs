//! One module per subcommand.

pub mod branch;
pub mod commit;
pub mod demo;
pub mod env;
pub mod graph;
pub mod impact;
pub mod push;
pub mod status;
pub mod sync;

use relay_core::repo::RepoSelection;

use crate::error::CliError;

/// `--repos a,b` / `--affected-by X` as a selection; neither means every repository.
pub fn selection(repos: &[String], affected_by: &[String]) -> Result<RepoSelection, CliError> {
    match (repos.is_empty(), affected_by.is_empty()) {
        (true, true) => Ok(RepoSelection::All),
        (false, true) => Ok(RepoSelection::Named(repos.to_vec())),
        (true, false) => Ok(RepoSelection::AffectedBy(affected_by.to_vec())),
        (false, false) => Err(CliError::usage(
            "use either --repos or --affected-by, not both",
        )),
    }
}
