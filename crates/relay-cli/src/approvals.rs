//! Approvals in `relay voice` and `relay chat`: a terminal prompt when stdin is a terminal, an
//! `--approve` policy for scripts, the user's own speech in `relay voice`, and a denial when
//! nobody can answer.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relay::core::approval::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalEvent, ApprovalHub, ApprovalRequest,
    Approver, FixedApprover, parse_spoken_answer,
};
use tokio::sync::{Mutex, mpsc};

/// `--approve` and `--approval-timeout` (relay voice, relay chat).
#[derive(Debug, Clone, clap::Args)]
pub struct ApproveArgs {
    /// Answer every approval question (destroying or rolling back an environment, merging, the
    /// coding agent's permission questions) this way without asking: allow or deny. For
    /// scripts. Without it you are asked in the terminal when stdin is one (and in relay voice
    /// your spoken "yes" or "no" answers); otherwise questions are denied.
    #[arg(long, value_name = "allow|deny", value_parser = parse_policy)]
    pub approve: Option<ApprovalDecision>,
    /// Seconds an approval question waits for an answer before it is denied.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub approval_timeout: u64,
}

impl ApproveArgs {
    /// The timeout as a duration (at least one second).
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.approval_timeout.max(1))
    }
}

fn parse_policy(text: &str) -> Result<ApprovalDecision, String> {
    match text {
        "allow" => Ok(ApprovalDecision::Allow),
        "deny" => Ok(ApprovalDecision::Deny),
        other => Err(format!(
            "unknown approval policy `{other}`; use allow or deny"
        )),
    }
}

/// The answer in one typed line: y/yes, n/no, a/always, or a short spoken-style answer ("go
/// ahead", "only this once"); `None` when the line is no answer.
pub fn typed_answer(line: &str) -> Option<ApprovalDecision> {
    match line.trim().to_lowercase().as_str() {
        "y" => Some(ApprovalDecision::Allow),
        "n" => Some(ApprovalDecision::Deny),
        "a" => Some(ApprovalDecision::AllowForSession),
        other => parse_spoken_answer(other),
    }
}

/// Asks `question` on `out` and reads lines until one is an answer; `None` when the lines end
/// first (the terminal closed).
pub async fn prompt<W: Write>(
    out: &std::sync::Mutex<W>,
    lines: &mut mpsc::UnboundedReceiver<String>,
    question: &str,
) -> Option<ApprovalDecision> {
    let say = |text: String| {
        if let Ok(mut out) = out.lock() {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    };
    say(format!("{question} [y]es / [n]o / [a]lways: "));
    loop {
        let line = lines.recv().await?;
        match typed_answer(&line) {
            Some(decision) => return Some(decision),
            None => say("Please answer y (yes), n (no) or a (always): ".into()),
        }
    }
}

/// Lines typed on stdin, read off the async runtime; shared by a chat loop and the prompt
/// (the prompt only reads while a tool waits for its approval, the chat loop never then).
pub type Lines = Arc<Mutex<mpsc::UnboundedReceiver<String>>>;

/// Reads stdin line by line on its own thread.
pub fn stdin_lines() -> Lines {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Arc::new(Mutex::new(rx))
}

/// Asks in the terminal: the question on `out` (stderr), the answer from the typed lines.
pub struct TerminalApprover<W> {
    lines: Lines,
    out: std::sync::Mutex<W>,
    user: String,
}

impl<W: Write + Send> TerminalApprover<W> {
    /// Asks `user` on `out`, reading `lines`.
    pub fn new(lines: Lines, out: W, user: impl Into<String>) -> Self {
        TerminalApprover {
            lines,
            out: std::sync::Mutex::new(out),
            user: user.into(),
        }
    }

    /// Asks one request; the user's answer, a denial when the terminal closes or nobody answers
    /// within the request's timeout.
    pub async fn ask(&self, request: &ApprovalRequest) -> ApprovalAnswer {
        let mut lines = self.lines.lock().await;
        let limit = Duration::from_millis(request.timeout_ms);
        match tokio::time::timeout(limit, prompt(&self.out, &mut lines, &request.question)).await {
            Ok(Some(decision)) => {
                ApprovalAnswer::by(self.user.clone(), decision, AnswerSource::Terminal)
            }
            Ok(None) => ApprovalAnswer::denied(
                AnswerSource::Unavailable,
                "the terminal closed before an answer",
            ),
            Err(_) => {
                if let Ok(mut out) = self.out.lock() {
                    let _ = writeln!(out);
                }
                ApprovalAnswer::denied(
                    AnswerSource::Timeout,
                    format!("nobody answered within {} s", limit.as_secs().max(1)),
                )
            }
        }
    }
}

#[async_trait]
impl<W: Write + Send> Approver for TerminalApprover<W> {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        self.ask(&request).await
    }
}

/// Denies every request: nobody can answer here.
#[derive(Debug, Clone, Copy)]
pub struct Nobody;

#[async_trait]
impl Approver for Nobody {
    async fn approve(&self, _request: ApprovalRequest) -> ApprovalAnswer {
        ApprovalAnswer::denied(
            AnswerSource::Unavailable,
            "nobody can answer approval questions here (stdin is not a terminal); pass \
             --approve allow or --approve deny",
        )
    }
}

/// The approver of `relay chat`: the policy, else the terminal prompt on `lines`, else nobody.
pub fn for_chat(
    args: &ApproveArgs,
    interactive: bool,
    lines: &Lines,
    user: &str,
) -> Arc<dyn Approver> {
    match (args.approve, interactive) {
        (Some(decision), _) => Arc::new(FixedApprover(decision)),
        (None, true) => Arc::new(TerminalApprover::new(
            lines.clone(),
            std::io::stderr(),
            user,
        )),
        (None, false) => Arc::new(Nobody),
    }
}

/// A conversation's approvals in `relay voice`: the hub answered by the user's speech (and
/// typed answers), with the events `wait_reply` shows.
pub struct Spoken {
    /// The hub the registry asks.
    pub hub: Arc<ApprovalHub>,
    /// Who speaks.
    pub user: String,
    /// The hub's requests and resolutions.
    pub events: tokio::sync::broadcast::Receiver<ApprovalEvent>,
    /// `--text` utterances not yet sent: the next one answers a question.
    pub answers: std::collections::VecDeque<String>,
}

impl Spoken {
    /// A hub for `user`; with `interactive`, each question is also put to the terminal.
    pub fn new(user: &str, interactive: bool) -> Self {
        let hub = ApprovalHub::new();
        if interactive {
            let terminal = TerminalApprover::new(stdin_lines(), std::io::stderr(), user);
            let mut requests = hub.subscribe();
            let answering = hub.clone();
            tokio::spawn(async move {
                while let Ok(event) = requests.recv().await {
                    if let ApprovalEvent::ApprovalRequested { request } = event {
                        let answer = terminal.ask(&request).await;
                        // Spoken first, or timed out: the terminal's answer is moot.
                        if answer.answered_by.is_some() {
                            let _ = answering.answer(&request.id, answer);
                        }
                    }
                }
            });
        }
        Spoken {
            events: hub.subscribe(),
            hub,
            user: user.to_owned(),
            answers: Default::default(),
        }
    }
}

/// One line for an approval event: the question, or how it was answered.
pub fn describe(event: &ApprovalEvent) -> String {
    match event {
        ApprovalEvent::ApprovalRequested { request } => {
            format!("  ? {} (say yes or no)", request.question)
        }
        ApprovalEvent::ApprovalResolved { answer, .. } => {
            let via = serde_json::to_value(answer.via)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            match (&answer.answered_by, answer.allows()) {
                (Some(who), true) => format!("  approved by {who} ({via})"),
                (Some(who), false) => format!("  denied by {who} ({via})"),
                (None, true) => format!("  approved ({via})"),
                (None, false) => format!(
                    "  denied: {}",
                    answer.reason.as_deref().unwrap_or("not approved")
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[&str]) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        for line in input {
            tx.send(line.to_string()).unwrap();
        }
        rx
    }

    #[tokio::test]
    async fn the_prompt_asks_until_it_gets_an_answer() {
        let out = std::sync::Mutex::new(Vec::<u8>::new());
        let mut input = lines(&["what?", "", "  Y "]);
        let decision = prompt(&out, &mut input, "Destroy dev? Allow it?").await;
        assert_eq!(decision, Some(ApprovalDecision::Allow));
        assert_eq!(
            String::from_utf8(out.into_inner().unwrap()).unwrap(),
            "Destroy dev? Allow it? [y]es / [n]o / [a]lways: \
             Please answer y (yes), n (no) or a (always): \
             Please answer y (yes), n (no) or a (always): "
        );
    }

    #[tokio::test]
    async fn typed_answers() {
        for (line, want) in [
            ("n", Some(ApprovalDecision::Deny)),
            ("No", Some(ApprovalDecision::Deny)),
            ("a", Some(ApprovalDecision::AllowForSession)),
            ("always", Some(ApprovalDecision::AllowForSession)),
            ("yes please", Some(ApprovalDecision::Allow)),
            ("maybe", None),
        ] {
            assert_eq!(typed_answer(line), want, "{line}");
        }
    }

    #[tokio::test]
    async fn a_closed_terminal_or_no_answer_in_time_denies() {
        let (tx, rx) = mpsc::unbounded_channel::<String>();
        drop(tx);
        let closed = TerminalApprover::new(Arc::new(Mutex::new(rx)), Vec::new(), "ann");
        let request = ApprovalRequest::new(
            "Merge? Allow it?",
            relay::core::approval::ApprovalAction::Tool {
                name: "merge_pull_requests".into(),
                arguments: serde_json::json!({}),
            },
        );
        let answer = closed.approve(request.clone()).await;
        assert_eq!(
            (answer.decision, answer.via),
            (ApprovalDecision::Deny, AnswerSource::Unavailable)
        );
        let (_tx, rx) = mpsc::unbounded_channel::<String>();
        let silent = TerminalApprover::new(Arc::new(Mutex::new(rx)), Vec::new(), "ann");
        let answer = silent
            .approve(request.timeout(Duration::from_millis(20)))
            .await;
        assert_eq!(answer.via, AnswerSource::Timeout);
        let yes = TerminalApprover::new(Arc::new(Mutex::new(lines(&["y"]))), Vec::new(), "ann");
        let answer = yes
            .approve(ApprovalRequest::new(
                "Push?",
                relay::core::approval::ApprovalAction::Tool {
                    name: "push".into(),
                    arguments: serde_json::json!({}),
                },
            ))
            .await;
        assert_eq!(
            answer,
            ApprovalAnswer::by("ann", ApprovalDecision::Allow, AnswerSource::Terminal)
        );
    }
}
