//! Conversations saved as they go and resumed: by the next process on SQLite, by another
//! process on the same Redis; each project's context is kept when switching.

use relay::core::tools::PrimaryProject;
use relay::core::voice::{ReplyTracker, VoiceEvent};
use relay::{Relay, SessionMemory, StoreChoice, TransportKind, VoiceConfig};
use relay_testkit::git::write_workspace;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(
        dir.path(),
        &[("api", &[]), ("app", &["api"]), ("web", &["api"])],
    );
    dir
}

async fn relay(dir: &tempfile::TempDir, store: &StoreChoice, user: &str) -> Relay {
    Relay::builder()
        .workspace(dir.path())
        .store(store.clone())
        .user(user)
        .build()
        .await
        .unwrap()
}

/// Says `text` in a text-transport conversation over `memory` and waits for the reply.
async fn say(relay: &Relay, memory: &SessionMemory, texts: &[&str]) {
    let session = VoiceConfig::new()
        .transport(TransportKind::Text)
        .start(
            std::sync::Arc::new(relay.tools_for_session(Some(memory.id())).unwrap()),
            memory.context(),
        )
        .await
        .unwrap();
    for text in texts {
        session.send_text(*text).unwrap();
        let mut reply = ReplyTracker::default();
        while let Some(event) = session.next_event().await {
            memory.observe(&event).await.unwrap();
            if reply.observe(&event) {
                break;
            }
            if let VoiceEvent::Closed { .. } = event {
                panic!("closed");
            }
        }
    }
    session.close();
}

async fn saved_then_resumed(store: StoreChoice) {
    let dir = workspace();
    let first = relay(&dir, &store, "ann").await;
    let memory = first.session("morning").await.unwrap();
    assert!(!memory.is_resumed());
    say(
        &first,
        &memory,
        &["switch to app", "what is the impact of a change to api?"],
    )
    .await;
    let saved = memory.record();
    assert!(saved.turns.len() >= 4, "{saved:?}");
    assert_eq!(saved.primary.as_deref(), Some("app"));
    drop(memory);
    drop(first);

    // The next process (a new connection to the same store) resumes it.
    let second = relay(&dir, &store, "ann").await;
    let listed = second.sessions().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].turns as usize),
        ("morning", saved.turns.len())
    );
    let resumed = second.session("morning").await.unwrap();
    assert!(resumed.is_resumed());
    assert_eq!(resumed.history(), saved.turns);
    assert_eq!(
        resumed.context().primary().map(|p| p.name),
        Some("app".into())
    );
    assert!(
        resumed.record().projects["app"]
            .active_repos
            .contains(&"api".to_string())
    );

    // Switching projects keeps each project's context.
    resumed.context().set_primary(PrimaryProject {
        name: "web".into(),
        related: vec!["api".into()],
    });
    resumed.save().await.unwrap();
    let record = second.session("morning").await.unwrap().record();
    assert_eq!(record.primary.as_deref(), Some("web"));
    assert!(record.projects.contains_key("app") && record.projects.contains_key("web"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sessions_are_saved_as_they_go_and_resumed() {
    saved_then_resumed(StoreChoice::Configured).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_sessions_are_saved_by_one_process_and_resumed_by_another() {
    let server = relay_testkit::redis::RedisServer::start();
    saved_then_resumed(StoreChoice::url(&server.url()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_session_needs_the_team_lead_role() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{yaml}team:\n  - user: ann\n    role: developer\n  - user: bob\n    role: developer\n  - user: carl\n    role: team_lead\n"),
    )
    .unwrap();
    let store = StoreChoice::Configured;
    let ann = relay(&dir, &store, "ann").await;
    ann.session("plans").await.unwrap().save().await.unwrap();
    let err = relay(&dir, &store, "bob")
        .await
        .session("plans")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("bob (developer) may not resume ann's session `plans`"),
        "{err}"
    );
    assert!(err.to_string().contains("the team_lead role has"), "{err}");
    let carl = relay(&dir, &store, "carl").await;
    assert_eq!(carl.session("plans").await.unwrap().record().user, "ann");
    assert_eq!(carl.sessions().await.unwrap().len(), 1);
    let err = ann.session("  ").await.unwrap_err();
    assert!(
        err.to_string().contains("a session name is 1 to 100"),
        "{err}"
    );
}
