//! Webhook deliveries as durable jobs, when [`WebhooksBuilder::store`](super::WebhooksBuilder::store)
//! gave the receiver a [`Store`].
//!
//! On acceptance the delivery id is recorded in the store ([`Store::record_delivery`]: a
//! redelivery is recognised across restarts and across processes sharing the store), the actions
//! are planned right away (so CI "green again" follows the order deliveries arrived in), and a
//! job record (`operation: "webhook"`, spec: a [`DeliveryJob`]) is written and enqueued on the
//! store's queue before the 202 goes back. Whoever works the queue runs it (`relay serve` does,
//! in-process; so does any `relay worker` on the store): a killed server loses no accepted
//! delivery, its job is found queued or interrupted and run by the next worker. The repositories a
//! sync rule already synced are kept in the job's `done` and not synced again on resume.

use std::sync::Arc;
use std::time::Duration;

use relay_core::repo::{RepoSelection, SyncOptions};
use relay_core::store::{JobRecord, JobState, Store, StoreError};
use relay_core::{Job, RepoGraph, Workspace};
use serde::{Deserialize, Serialize};

use super::actions::{Action, CiMemory, plan, sync_rule_notification};
use super::payload::WebhookEvent;
use super::worker::ActionError;

/// The `operation` of a webhook job record.
pub const WEBHOOK_OPERATION: &str = "webhook";

/// The user webhook jobs are recorded as.
pub const WEBHOOK_USER: &str = "github";

/// What a webhook job does: the spec of its job record (with `"operation": "webhook"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryJob {
    /// `X-GitHub-Delivery`.
    pub delivery: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// What to do, planned when the delivery was accepted.
    pub actions: Vec<Action>,
    /// The repositories its sync rules sync, in order (the job's units of work).
    pub repos: Vec<String>,
}

impl DeliveryJob {
    /// Plans delivery `id` of `event` in `workspace` (`ci` remembers the last CI results).
    pub fn plan(workspace: &Workspace, ci: &CiMemory, id: &str, event: &WebhookEvent) -> Self {
        let actions = plan(workspace, ci, event);
        let mut repos: Vec<String> = Vec::new();
        for action in &actions {
            if let Action::SyncRule(rule) = action
                && rule.action == relay_core::RuleAction::UpdateDependents
            {
                for name in std::iter::once(&rule.repo).chain(&rule.notify) {
                    if !repos.contains(name) {
                        repos.push(name.clone());
                    }
                }
            }
        }
        DeliveryJob {
            delivery: id.to_owned(),
            event: event.name().to_owned(),
            actions,
            repos,
        }
    }

    /// The job id of delivery `delivery`: one job per delivery.
    pub fn job_id(delivery: &str) -> String {
        format!("webhook-{delivery}")
    }

    /// A queued job record for this delivery.
    pub fn queued_record(&self) -> JobRecord {
        let now = now_ms();
        let mut spec = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = spec.as_object_mut() {
            map.insert("operation".into(), WEBHOOK_OPERATION.into());
        }
        JobRecord {
            id: Self::job_id(&self.delivery),
            operation: WEBHOOK_OPERATION.to_owned(),
            user: WEBHOOK_USER.to_owned(),
            state: JobState::Queued,
            spec,
            done: Vec::new(),
            resume: Default::default(),
            owner: None,
            heartbeat_ms: now,
            cancel_requested: false,
            created_ms: now,
            updated_ms: now,
            message: None,
        }
    }

    /// Runs the actions on `graph`; a sync rule does not sync the repositories in `done` again.
    pub fn run(self, graph: Arc<dyn RepoGraph>, done: &[String]) -> Job<(), ActionError> {
        run_actions(graph, &self.event, self.actions, done.to_vec())
    }
}

/// The job acting on `actions` (of a delivery of `event_name`), skipping `done` repositories.
pub(crate) fn run_actions(
    graph: Arc<dyn RepoGraph>,
    event_name: &str,
    actions: Vec<Action>,
    done: Vec<String>,
) -> Job<(), ActionError> {
    Job::spawn(format!("webhook {event_name}"), move |ctx| async move {
        for action in actions {
            match action {
                Action::Notify(notification) => ctx.notify(notification).await,
                Action::SyncRule(rule) => {
                    let report = match rule.action {
                        relay_core::RuleAction::Notify => None,
                        relay_core::RuleAction::UpdateDependents => {
                            let names: Vec<String> = std::iter::once(&rule.repo)
                                .chain(&rule.notify)
                                .filter(|n| !done.contains(n))
                                .cloned()
                                .collect();
                            if names.is_empty() {
                                None
                            } else {
                                let options = SyncOptions::new().repos(RepoSelection::Named(names));
                                Some(ctx.forward(graph.sync(options)).await?)
                            }
                        }
                    };
                    ctx.notify(sync_rule_notification(&rule, report.as_ref()))
                        .await;
                }
            }
        }
        Ok(())
    })
}

/// What [`accept`] did with a delivery.
pub(crate) enum Accepted {
    /// Recorded and queued as this job (or nothing to do: `None`).
    Queued(Option<String>),
    /// Already recorded: a redelivery.
    Redelivery,
}

/// Records delivery `id` and queues its job in `store`; nothing is left recorded on failure, so
/// GitHub's retry or a manual redelivery is accepted.
pub(crate) async fn accept(
    store: &Arc<dyn Store>,
    workspace: &Workspace,
    ci: &CiMemory,
    id: &str,
    event: &WebhookEvent,
) -> Result<Accepted, StoreError> {
    if !store
        .record_delivery(id, relay_core::store::DEFAULT_DELIVERY_TTL)
        .await?
    {
        return Ok(Accepted::Redelivery);
    }
    let job = DeliveryJob::plan(workspace, ci, id, event);
    if job.actions.is_empty() {
        return Ok(Accepted::Queued(None));
    }
    let record = job.queued_record();
    let queued = async {
        store.put_job(record.clone()).await?;
        store.enqueue(&record.id).await
    };
    match queued.await {
        Ok(()) => Ok(Accepted::Queued(Some(record.id))),
        Err(e) => {
            if let Err(forget) = store.forget_delivery(id).await {
                tracing::warn!(delivery = %id, error = %forget, "could not forget a delivery that was not queued");
            }
            Err(e)
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}
