// Workspace operations from Kotlin against real git repositories made with the git CLI.

import dev.relay.*
import java.io.File
import java.nio.file.Files

/** Runs git in [dir] and returns its stdout, trimmed; fails on a non-zero exit. */
fun git(dir: File, vararg args: String): String {
    val process = ProcessBuilder(listOf("git") + args).directory(dir).redirectErrorStream(true).apply {
        environment().putAll(
            mapOf(
                "GIT_AUTHOR_NAME" to "Test", "GIT_AUTHOR_EMAIL" to "test@example.com",
                "GIT_COMMITTER_NAME" to "Test", "GIT_COMMITTER_EMAIL" to "test@example.com",
            )
        )
    }.start()
    val out = process.inputStream.bufferedReader().readText()
    check(process.waitFor() == 0) { "git ${args.joinToString(" ")}: $out" }
    return out.trim()
}

fun tempDir(): File = Files.createTempDirectory("relay-kotlin-").toFile()

/** shared-api <- backend <- frontend, each a git repository with one commit on main. */
fun makeWorkspace(): File {
    val root = tempDir()
    File(root, "relay.yaml").writeText(
        "repositories:\n  - name: shared-api\n  - name: backend\n    dependencies: [shared-api]\n" +
            "  - name: frontend\n    dependencies: [backend]\n"
    )
    for (name in listOf("shared-api", "backend", "frontend")) {
        val repo = File(root, name).apply { mkdir() }
        git(repo, "init", "-q", "-b", "main")
        File(repo, "README.md").writeText("# $name\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "start $name")
    }
    return root
}

val workspaceTests: List<TestCase> = listOf(
    "open discovers relay.yaml from a subdirectory; repos and graph" to {
        val root = makeWorkspace()
        val ws = Workspace.open(File(root, "backend").path)
        check(ws.root() == root.path) { ws.root() }
        check(ws.configFile() == File(root, "relay.yaml").path) { "${ws.configFile()}" }
        val repos = ws.repos()
        check(repos.map { it.name } == listOf("shared-api", "backend", "frontend")) { "$repos" }
        check(repos[1].dependencies == listOf("shared-api") && repos[1].syncStrategy == "main_branch") { "${repos[1]}" }
        val graph = ws.graph()
        check(graph.batches == listOf(listOf("shared-api"), listOf("backend"), listOf("frontend"))) { "$graph" }
        check(graph.edges.any { it.from == "backend" && it.to == "shared-api" }) { "${graph.edges}" }
        val impact = ws.impact(listOf("shared-api"))
        check(impact.direct == listOf("backend") && impact.transitive == listOf("backend", "frontend")) { "$impact" }
    },
    "status reports real git state" to {
        val root = makeWorkspace()
        File(root, "backend/README.md").writeText("changed\n")
        File(root, "backend/notes.txt").writeText("new\n")
        val ws = Workspace.open(root.path)
        val status = ws.status()
        check(status.map { it.name } == listOf("shared-api", "backend", "frontend")) { "$status" }
        val backend = status[1]
        check(backend.branch == "main") { "${backend.branch}" }
        check(backend.head == git(File(root, "backend"), "rev-parse", "HEAD")) { "${backend.head}" }
        check(backend.staged == 0u && backend.unstaged == 1u && backend.untracked == 1u) { "$backend" }
        check(backend.lastCommit?.summary == "start backend") { "${backend.lastCommit}" }
        check(ws.status(repos = listOf("frontend")).map { it.name } == listOf("frontend")) { "selection" }
    },
    "changedSince and changedFiles" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        check(ws.changedSince("main").isEmpty()) { "clean workspace" }
        File(root, "frontend/app.js").writeText("x\n")
        check(ws.changedSince("main") == listOf("frontend")) { "changed" }
        check(ws.changedFiles("frontend") == listOf("app.js")) { "files" }
    },
    "branch then commit change the repositories" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val job = ws.branch("feature/login", affectedBy = listOf("backend"))
        val finished = drain(job).filter { it.kind == "repo_finished" }
        check(finished.size == 2) { "$finished" }
        val report = job.wait()
        check(Regex("\"action\":\"created\"").findAll(report).count() == 2) { report }
        check(report.contains("\"name\":\"backend\"") && report.contains("\"name\":\"frontend\"")) { report }
        check(git(File(root, "backend"), "branch", "--show-current") == "feature/login") { "backend branch" }
        check(git(File(root, "shared-api"), "branch", "--show-current") == "main") { "shared-api branch" }
        File(root, "backend/README.md").writeText("login\n")
        val commit = ws.commit("Add login", repos = listOf("backend"), all = true).wait()
        val sha = git(File(root, "backend"), "rev-parse", "HEAD")
        check(commit.contains("\"action\":\"committed\"") && commit.contains(sha)) { commit }
        check(git(File(root, "backend"), "log", "-1", "--format=%s") == "Add login") { "message" }
    },
    "a missing workspace throws Config saying what to do" to {
        val dir = tempDir()
        try {
            Workspace.open(dir.path)
            throw AssertionError("open() should have thrown")
        } catch (e: RelayException.Config) {
            check(e.code == "config") { e.code }
            check(e.reason.contains("no relay.yaml found") && e.reason.contains(dir.path)) { e.reason }
        }
    },
    "an invalid workspace names file and line" to {
        val dir = tempDir()
        File(dir, "relay.yaml").writeText("repositories:\n  - name: a\n    dependencies: [ghost]\n")
        try {
            Workspace.open(File(dir, "relay.yaml").path)
            throw AssertionError("open() should have thrown")
        } catch (e: RelayException.Config) {
            check(e.reason.contains("relay.yaml:3") && e.reason.contains("ghost")) { e.reason }
        }
    },
    "unknown repositories throw Repo(unknown_repo) listing the known ones" to {
        val ws = Workspace.open(makeWorkspace().path)
        try {
            ws.status(repos = listOf("nope"))
            throw AssertionError("status() should have thrown")
        } catch (e: RelayException.Repo) {
            check(e.code == "unknown_repo" && e.reason.contains("shared-api, backend, frontend")) { e.reason }
        }
        try {
            ws.sync(repos = listOf("backend"), affectedBy = listOf("backend"))
            throw AssertionError("sync() should have thrown")
        } catch (e: RelayException.Usage) {
            check(e.code == "usage") { e.code }
        }
    },
)
