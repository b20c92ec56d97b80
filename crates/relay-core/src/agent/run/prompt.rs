//! The multi-repository context appended to the agent's system prompt.

use crate::config::Workspace;

/// Describes where the agent is: this repository, its branch, its dependencies and dependents,
/// the other repositories of the run (and where they are), and what the run is for.
pub(crate) fn repo_context(
    workspace: &Workspace,
    repo: &str,
    branch: Option<&str>,
    run_repos: &[String],
    task: &str,
) -> String {
    let graph = workspace.graph();
    let list = |names: Vec<String>| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let dependencies = list(graph.dependencies(repo).unwrap_or_default());
    let dependents = list(graph.dependents(repo).unwrap_or_default());
    let mut text = format!(
        "You are working in repository `{repo}`{} of a multi-repository workspace.\n\
         Dependencies of `{repo}`: {dependencies}.\n\
         Repositories that depend on `{repo}`: {dependents}.\n",
        branch
            .map(|b| format!(" on branch `{b}`"))
            .unwrap_or_default(),
    );
    let others: Vec<String> = run_repos
        .iter()
        .filter(|r| r.as_str() != repo)
        .filter_map(|r| {
            workspace
                .repo(r)
                .map(|s| format!("`{r}` at {}", s.path.display()))
        })
        .collect();
    if !others.is_empty() {
        text.push_str(&format!(
            "This run also covers: {}. You may read them; change only `{repo}`.\n",
            others.join(", ")
        ));
    }
    text.push_str(&format!("The whole run's task: {task}\n"));
    text
}
