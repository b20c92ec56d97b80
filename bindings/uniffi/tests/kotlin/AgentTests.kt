// Agent runs from Kotlin: the shell agent on a real workspace, and the real `claude` CLI against
// the fake Anthropic API with a Kotlin PermissionPolicy (allow, deny, rewrite, throw), and
// cancellation killing the agent's processes.

import dev.relay.*
import java.io.File
import java.util.concurrent.ConcurrentLinkedQueue
import kotlinx.coroutines.*

/** One repository `app` (a git repository with one commit) in a workspace of its own. */
fun makeSingleRepoWorkspace(): File {
    val root = tempDir().canonicalFile
    File(root, "relay.yaml").writeText("repositories:\n  - name: app\n")
    val repo = File(root, "app").apply { mkdir() }
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0") // no background gc outliving git in the process checks
    File(repo, "README.md").writeText("# app\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start app")
    return root
}

/** Runs Claude Code in [ws] against [api], with the CLI's state in a fresh home. */
fun runClaude(
    ws: Workspace,
    prompt: String,
    api: FakeAnthropic,
    policy: PermissionPolicy? = null,
    allowedTools: List<String> = emptyList(),
    approval: ApprovalHandler? = null,
): RelayJob = ws.runAgent(
    AgentRunRequest(
        prompt = prompt,
        agent = "claude",
        claudeBinary = claudeBin(),
        allowedTools = allowedTools,
        idleTimeoutSecs = 60uL,
    ),
    policy,
    claudeEnv(api.url, tempDir()).toMap(),
    approval,
)

/** The agent events (the inner `event` objects) of a run, in order. */
fun agentEvents(events: List<Event>): List<Any?> =
    events.filter { it.kind == "agent" }.map { it.data.at("event") }

fun toolResults(events: List<Event>): List<Any?> =
    agentEvents(events).filter { it.at("type") == "tool_finished" }

/** Waits up to [seconds] for [predicate], polling. */
suspend fun eventually(seconds: Int, predicate: () -> Boolean): Boolean {
    val deadline = System.nanoTime() + seconds * 1_000_000_000L
    while (System.nanoTime() < deadline) {
        if (predicate()) return true
        delay(25)
    }
    return predicate()
}

suspend inline fun <reified E : Throwable> expectThrows(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

/**
 * Starts a run of `tail -f /dev/null` through Claude Code's Bash tool, waits until it really
 * runs, calls [cancel], and checks that every process of the run is gone (not even a zombie).
 */
suspend fun CoroutineScope.cancelRunningAgent(cancel: suspend (RelayJob, Deferred<Result<String>>) -> Unit) {
    becomeChildSubreaper() // PID 1 here may not reap orphans: the JVM must
    FakeAnthropic(
        "[${toolTurn("Waiting.", "Bash", """{"command": "tail -f /dev/null", "description": "wait"}""")}, " +
            "${textTurn("done")}]"
    ).use { api ->
        val root = makeSingleRepoWorkspace()
        val repo = File(root, "app")
        val job = runClaude(Workspace.open(root.path), "wait", api, allowedTools = listOf("Bash"))
        // runCatching: a failed wait() must not cancel the test's scope before it is checked.
        val result = async { runCatching { job.wait() } }
        val seen = mutableSetOf<Int>()
        val running = eventually(50) {
            val procs = processesIn(repo)
            seen += procs.map { it.pid }
            procs.any { it.cmdline.contains("tail -f /dev/null") }
        }
        check(running) { "tail never ran; processes seen: $seen" }
        cancel(job, result)
        val gone = eventually(15) { seen.all { procInfo(it) == null } }
        check(gone) { "left behind: ${seen.mapNotNull { procInfo(it) }}" }
        check(processesIn(repo).isEmpty()) { "left behind: ${processesIn(repo)}" }
        check(seen.size >= 2) { "expected claude and tail, saw $seen" }
    }
}

val agentTests: List<TestCase> = listOf(
    "shell agent runs in every repository in dependency order and reports changed files" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val job = ws.runAgent(AgentRunRequest(prompt = "touch made-by-agent.txt", agent = "shell"))
        val events = drain(job)
        val finished = events.filter { it.kind == "repo_finished" }.map { it.data.at("repo") }
        check(finished == listOf("shared-api", "backend", "frontend")) { "$finished" }
        val started = agentEvents(events).filter { it.at("type") == "tool_started" }
        check(started.size == 3 && started.all { it.at("name") == "shell" }) { "$started" }
        check(events.last().json.contains("\"status\":\"succeeded\"")) { events.last().json }
        val report = Json.parse(job.wait())
        val repos = report.at("repos").list()
        check(repos.map { it.at("outcome") } == listOf("success", "success", "success")) { "$report" }
        check(repos.all { it.at("changed_files") == listOf("made-by-agent.txt") }) { "$report" }
        for (name in listOf("shared-api", "backend", "frontend")) {
            check(File(root, "$name/made-by-agent.txt").isFile) { "$name has no made-by-agent.txt" }
        }
    },
    "shell agent output arrives as agent events; a failure skips the dependents" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val job = ws.runAgent(AgentRunRequest(prompt = "git rev-parse --abbrev-ref HEAD", agent = "shell", repos = listOf("backend")))
        val output = agentEvents(drain(job)).filter { it.at("type") == "output" }.map { it.at("line") }
        check(output == listOf("main")) { "$output" }
        check(Json.parse(job.wait()).at("repos", 0, "name") == "backend") { "report" }

        val failing = ws.runAgent(AgentRunRequest(prompt = "false", agent = "shell", affectedBy = listOf("backend")))
        val report = Json.parse(failing.wait())
        val outcomes = report.at("repos").list().map { "${it.at("name")}=${it.at("outcome")}" }
        check(outcomes == listOf("backend=failed", "frontend=skipped")) { "$outcomes" }
    },
    "agent requests that cannot run throw before anything starts" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val usage = expectThrows<RelayException.Usage> { ws.runAgent(AgentRunRequest(prompt = "x", agent = "gpt")) }
        check(usage.reason.contains("unknown agent `gpt`")) { usage.reason }
        val repo = expectThrows<RelayException.Repo> {
            ws.runAgent(AgentRunRequest(prompt = "true", agent = "shell", repos = listOf("nope")))
        }
        check(repo.code == "unknown_repo" && repo.reason.contains("nope")) { "${repo.code}: ${repo.reason}" }
        val mode = expectThrows<RelayException.Usage> {
            ws.runAgent(AgentRunRequest(prompt = "true", agent = "shell", permissionMode = "yolo"))
        }
        check(mode.reason.contains("acceptEdits")) { mode.reason }
        val missing = ws.runAgent(AgentRunRequest(prompt = "fix it", claudeBinary = "/nonexistent/claude"))
        val agent = expectThrows<RelayException.Agent> { missing.wait() }
        check(agent.code == "agent_not_found" && agent.reason.contains("/nonexistent/claude")) { agent.reason }
        check(File(root, "backend").list()!!.sorted() == listOf(".git", "README.md")) { "a repository was touched" }
    },
    "claude asks a Kotlin policy: Write allowed, Bash denied, Bash input rewritten" to {
        val root = makeSingleRepoWorkspace()
        val repo = File(root, "app")
        val script = listOf(
            toolTurn("Writing.", "Write", """{"file_path": ${jsonString("${repo.path}/allowed.txt")}, "content": "written by claude\n"}"""),
            toolTurn("Cleaning.", "Bash", """{"command": "touch denied.txt", "description": "touch"}"""),
            toolTurn("Marking.", "Bash", """{"command": "touch asked.txt", "description": "mark"}"""),
            textTurn("All done."),
        )
        FakeAnthropic(script.joinToString(",", "[", "]")).use { api ->
            val asked = ConcurrentLinkedQueue<PermissionRequest>()
            val policy = object : PermissionPolicy {
                override suspend fun decide(request: PermissionRequest): PermissionDecision {
                    asked += request
                    delay(20) // a real suspension: the decision arrives from a later continuation
                    val input = Json.parse(request.inputJson)
                    return when {
                        request.toolName == "Write" -> PermissionDecision.Allow(updatedInputJson = null)
                        input.at("command") == "touch asked.txt" -> PermissionDecision.Allow(
                            updatedInputJson = """{"command": "touch rewritten.txt", "description": "mark"}""",
                        )
                        else -> PermissionDecision.Deny(message = "no shell commands that touch denied files")
                    }
                }
            }
            val job = runClaude(Workspace.open(root.path), "make files", api, policy)
            val events = drain(job)
            val report = Json.parse(job.wait())
            check(report.at("repos", 0, "outcome") == "success") { "$report" }
            check(File(repo, "allowed.txt").readText() == "written by claude\n") { "allowed.txt" }
            check(!File(repo, "denied.txt").exists()) { "the denied command ran" }
            check(!File(repo, "asked.txt").exists() && File(repo, "rewritten.txt").exists()) {
                "the rewritten input was not used: ${repo.list()!!.sorted()}"
            }
            val tools = asked.map { it.toolName }
            check(tools == listOf("Write", "Bash", "Bash")) { "$tools" }
            check(asked.all { it.repo == "app" }) { "${asked.map { it.repo }}" }
            check(Json.parse(asked.first().inputJson).at("file_path") == "${repo.path}/allowed.txt") { asked.first().inputJson }
            val denied = toolResults(events).filter { it.at("is_error") == true }.map { it.at("output") as String }
            check(denied.size == 1 && denied[0].contains("no shell commands that touch denied files")) { "$denied" }
            val changed = report.at("repos", 0, "changed_files")
            check(changed == listOf("allowed.txt", "rewritten.txt")) { "$changed" }
        }
    },
    "a Kotlin policy that throws denies the tool with its message; bad rewritten input and Ask are denied" to {
        val root = makeSingleRepoWorkspace()
        val repo = File(root, "app")
        val script = listOf(
            toolTurn("One.", "Bash", """{"command": "touch thrown.txt", "description": "one"}"""),
            toolTurn("Two.", "Bash", """{"command": "touch garbled.txt", "description": "two"}"""),
            toolTurn("Three.", "Bash", """{"command": "touch asked.txt", "description": "three"}"""),
            textTurn("Understood."),
        )
        FakeAnthropic(script.joinToString(",", "[", "]")).use { api ->
            val policy = object : PermissionPolicy {
                override suspend fun decide(request: PermissionRequest): PermissionDecision {
                    if (request.inputJson.contains("thrown")) throw IllegalStateException("policy store offline")
                    if (request.inputJson.contains("asked")) return PermissionDecision.Ask(question = "May the agent touch asked.txt?")
                    return PermissionDecision.Allow(updatedInputJson = "[not an object")
                }
            }
            val job = runClaude(Workspace.open(root.path), "try things", api, policy)
            val events = drain(job)
            val report = Json.parse(job.wait())
            check(report.at("repos", 0, "outcome") == "success") { "$report" }
            check(repo.list()!!.sorted() == listOf(".git", "README.md")) { "a denied command ran: ${repo.list()!!.toList()}" }
            val denied = toolResults(events).filter { it.at("is_error") == true }.map { it.at("output") as String }
            check(denied.size == 3) { "$denied" }
            check(denied[0].contains("policy store offline") && denied[0].contains("permission policy failed")) { denied[0] }
            check(denied[1].contains("not a JSON object")) { denied[1] }
            // No approval handler was given: an Ask is a denial that names the question.
            check(denied[2].contains("May the agent touch asked.txt?")) { denied[2] }
        }
    },
    "an Ask from the policy goes to the approval handler, whose yes and no decide" to {
        val root = makeSingleRepoWorkspace()
        val repo = File(root, "app")
        val script = listOf(
            toolTurn("Writing.", "Write", """{"file_path": ${jsonString("${repo.path}/approved.txt")}, "content": "yes\n"}"""),
            toolTurn("Cleaning.", "Bash", """{"command": "touch refused.txt", "description": "touch"}"""),
            textTurn("All done."),
        )
        FakeAnthropic(script.joinToString(",", "[", "]")).use { api ->
            val policy = object : PermissionPolicy {
                override suspend fun decide(request: PermissionRequest): PermissionDecision =
                    PermissionDecision.Ask(question = "May Claude use ${request.toolName} in ${request.repo}?")
            }
            val asked = ConcurrentLinkedQueue<String>()
            val person = object : ApprovalHandler {
                override suspend fun decide(requestJson: String): String {
                    val request = Json.parse(requestJson)
                    asked += request.at("question") as String
                    return if (request.at("action", "tool_name") == "Write") "\"allow\"" else """{"decision": "deny", "user": "ann"}"""
                }
            }
            val job = runClaude(Workspace.open(root.path), "make files", api, policy, approval = person)
            val events = drain(job)
            val report = Json.parse(job.wait())
            check(report.at("repos", 0, "outcome") == "success") { "$report" }
            check(File(repo, "approved.txt").readText() == "yes\n") { "approved.txt" }
            check(!File(repo, "refused.txt").exists()) { "the refused command ran" }
            check(asked.toList() == listOf("May Claude use Write in app?", "May Claude use Bash in app?")) { "$asked" }
            val denied = toolResults(events).filter { it.at("is_error") == true }.map { it.at("output") as String }
            check(denied.size == 1 && denied[0].contains("the user (ann) said no")) { "$denied" }
        }
    },
    "cancelling a run while the Kotlin policy decides cancels the policy's coroutine" to {
        becomeChildSubreaper()
        val script = listOf(
            toolTurn("Asking.", "Bash", """{"command": "touch never.txt", "description": "wait"}"""),
            textTurn("done"),
        )
        FakeAnthropic(script.joinToString(",", "[", "]")).use { api ->
            val root = makeSingleRepoWorkspace()
            val deciding = CompletableDeferred<Unit>()
            val policyCancelled = CompletableDeferred<Throwable>()
            val policy = object : PermissionPolicy {
                override suspend fun decide(request: PermissionRequest): PermissionDecision {
                    deciding.complete(Unit)
                    try {
                        awaitCancellation() // a person who never answers
                    } catch (e: CancellationException) {
                        policyCancelled.complete(e)
                        throw e
                    }
                }
            }
            val job = runClaude(Workspace.open(root.path), "wait for a person", api, policy)
            withTimeout(60_000) { deciding.await() }
            job.cancel()
            withTimeout(15_000) { policyCancelled.await() }
            val failure = runCatching { withTimeout(15_000) { job.wait() } }.exceptionOrNull()
            check(failure is RelayException.Cancelled) { "expected Cancelled, got $failure" }
            check(!File(root, "app/never.txt").exists()) { "the undecided command ran" }
            check(eventually(15) { processesIn(File(root, "app")).isEmpty() }) { "left behind: ${processesIn(File(root, "app"))}" }
        }
    },
    "job.cancel() kills the claude process and the command it runs" to {
        cancelRunningAgent { job, result ->
            job.cancel()
            // A cancelled run's wait() fails with Cancelled, like every job's.
            val failure = result.await().exceptionOrNull()
            check(failure is RelayException.Cancelled && failure.code == "cancelled") { "expected Cancelled, got $failure" }
        }
    },
    "cancelling the coroutine awaiting an agent run kills its processes" to {
        cancelRunningAgent { _, result -> result.cancelAndJoin() }
    },
)
