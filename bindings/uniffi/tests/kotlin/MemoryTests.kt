// Relay's memory from Kotlin (issue 12): the store by URL, the acting user, saved sessions, durable
// jobs (list, show, resume, cancel) and the audit log (query, verify), against a real SQLite store
// in a temporary workspace — the same behaviour as bindings/python/tests/test_memory.py.

import dev.relay.*
import java.io.File
import java.net.ServerSocket

const val TEAM = "team:\n  - user: ann\n    role: developer\n  - user: carl\n    role: team_lead\n" +
    "  - user: root\n    role: admin\n"

/** The fixture workspace with a team and a bare remote per repository (so a sync fetches). */
fun teamWorkspace(): File {
    val root = makeWorkspace()
    File(root, "relay.yaml").appendText(TEAM)
    for (name in listOf("shared-api", "backend", "frontend")) {
        val remote = File(root, "remotes/$name.git").path
        git(root, "clone", "-q", "--bare", name, remote)
        git(File(root, name), "remote", "add", "origin", remote)
        git(File(root, name), "fetch", "-q", "origin")
        git(File(root, name), "branch", "-q", "--set-upstream-to=origin/main", "main")
    }
    return root
}

suspend fun openAs(root: File, user: String): Memory = Memory.open(workspace = root.path, user = user)

/** One text-transport exchange on [tools], until the assistant answered. */
suspend fun converse(tools: Tools, text: String) {
    val session = VoiceSession.start(tools, VoiceOptions(transport = "text"))
    session.sendText(text)
    eventsUntil(session) { it.kind == "assistant_text" }
    session.end()
}

/** A job's events until its stream ends. */
suspend fun drainJob(job: RelayJob): List<Event> {
    val events = mutableListOf<Event>()
    while (true) {
        val batch = job.nextBatch(0u)
        if (batch.isEmpty()) return events
        events += batch
    }
}

/** A real redis-server on a free loopback port (scripts/setup/redis.sh); `close()` stops it. */
class RedisServer : AutoCloseable {
    val port = ServerSocket(0).use { it.localPort }
    private val dir = kotlin.io.path.createTempDirectory("relay-redis").toFile()
    private val process: Process = ProcessBuilder(
        "redis-server", "--port", "$port", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir.path,
    ).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val url = "redis://127.0.0.1:$port/0"

    init {
        val answered = (1..500).any {
            check(process.isAlive) { "redis-server exited; install it with scripts/setup/redis.sh" }
            val pong = runCatching {
                java.net.Socket("127.0.0.1", port).use { s ->
                    s.getOutputStream().write("PING\r\n".toByteArray())
                    String(s.getInputStream().readNBytes(5)) == "+PONG"
                }
            }.getOrDefault(false)
            if (!pong) Thread.sleep(20)
            pong
        }
        check(answered) { "redis-server did not answer PING" }
    }

    override fun close() {
        process.destroy()
        process.waitFor()
        dir.deleteRecursively()
    }
}

val memoryTests: List<TestCase> = listOf(
    "memory: the default store, whoami from the team, a bad or unreachable store and an outsider" to {
        val root = teamWorkspace()
        val ann = openAs(root, "ann")
        check(ann.storeUrl() == "sqlite:${File(root, ".relay/relay.db").path}") { ann.storeUrl() }
        val me = ann.whoami()
        check(me.user == "ann" && me.role == "developer") { "$me" }
        check("write_repos" in me.permissions && "team" !in me.permissions) { "$me" }
        check(openAs(root, "carl").whoami().permissions.contains("team")) { "carl" }

        val bad = expectThrows<RelayException.Store> { Memory.open(workspace = root.path, store = "postgres://db/x", user = "ann") }
        check(bad.code == "store_invalid_url") { bad.code }
        val port = ServerSocket(0).use { it.localPort }
        val down = expectThrows<RelayException.Store> {
            Memory.open(workspace = root.path, store = "redis://:hunter2@127.0.0.1:$port/0", user = "ann")
        }
        check(down.code == "store_unavailable") { down.code }
        check(down.reason.contains("redis://***@127.0.0.1:$port/0") && !down.reason.contains("hunter2")) { down.reason }
        val outsider = expectThrows<RelayException.Usage> { openAs(root, "mallory") }
        check(outsider.code == "unauthenticated" && outsider.reason.contains("`mallory` is not in the team")) { outsider.reason }
    },
    "memory: a queued sync is listed, shown, resumed with its events, cancelled, and its bad paths" to {
        val root = teamWorkspace()
        val ann = openAs(root, "ann")
        val queued = Json.parse(ann.enqueueSync(repos = listOf("backend")))
        check(queued.at("state") == "queued" && queued.at("user") == "ann") { "$queued" }
        val id = queued.at("id") as String
        val jobs = ann.jobs()
        check(Json.parse(jobs).list().map { it.at("id") } == listOf(id)) { jobs }

        val job = ann.resumeJob(id)
        val events = drainJob(job)
        job.wait()
        val finished = events.filter { it.kind == "repo_finished" }.map { Json.parse(it.json) }
        check(finished.map { it.at("repo") to it.at("outcome") } == listOf("backend" to "success")) { "$finished" }
        val shown = Json.parse(ann.job(id))
        check(shown.at("job", "state") == "succeeded" && shown.at("job", "done") == listOf("backend")) { "$shown" }
        check(shown.at("events").list().any { it.at("type") == "repo_finished" }) { "$shown" }
        val again = expectThrows<RelayException.Usage> { ann.resumeJob(id) }
        check(again.reason.contains("only an interrupted, failed or queued job can be resumed")) { again.reason }

        val other = Json.parse(ann.enqueueSync()).at("id") as String
        val cancelled = Json.parse(ann.cancelJob(other))
        check(cancelled.at("state") == "cancelled" && cancelled.at("message") == "cancelled by ann") { "$cancelled" }
        val unknown = expectThrows<RelayException.Usage> { ann.job("job-that-never-was") }
        check(unknown.code == "usage" && unknown.reason.contains("no job `job-that-never-was`")) { unknown.reason }

        val carls = Json.parse(openAs(root, "carl").enqueueSync(repos = listOf("frontend"))).at("id") as String
        val denied = expectThrows<RelayException.Usage> { ann.job(carls) }
        check(denied.code == "denied" && denied.reason.contains("the team_lead role has")) { denied.reason }
    },
    "memory: a conversation is saved, shown, resumed and deleted" to {
        val root = teamWorkspace()
        val ann = openAs(root, "ann")
        converse(ann.tools(session = "morning"), "what is the impact of shared-api")
        val summary = Json.parse(ann.sessions()).list().single()
        check(summary.at("id") == "morning" && summary.at("turns") == 3.0) { "$summary" }
        val turns = Json.parse(ann.session("morning")).at("turns").list()
        check(turns.map { it.at("role") } == listOf("user", "tool", "assistant")) { "$turns" }
        check(turns[1].at("tool", "name") == "impact_analysis") { "$turns" }
        check((turns[2].at("text") as String).contains("Changing shared-api affects backend, frontend")) { "$turns" }
        converse(ann.tools(session = "morning"), "what is the impact of backend")
        val resumed = ann.session("morning")
        check(Json.parse(resumed).at("turns").list().size == 6) { resumed }
        check(ann.deleteSession("morning") && !ann.deleteSession("morning")) { "delete" }
        val gone = expectThrows<RelayException.Usage> { ann.session("morning") }
        check(gone.code == "unknown_session") { gone.code }
    },
    "memory: a denied tool call is attributed in the audit log; verify finds a changed entry" to {
        val root = teamWorkspace()
        val ann = openAs(root, "ann")
        val tools = ann.tools()
        tools.register(
            ToolDefinition(name = "rotate_keys", description = "Rotates the deploy keys.", permission = "team"),
            object : ToolHandler {
                override suspend fun call(argumentsJson: String): String = "\"rotated\""
            },
        )
        val denied = tools.call("rotate_keys")
        check(denied.at("ok") == false) { "$denied" }
        check("$denied".contains("needs the `team` permission: ann is a developer; the team_lead role has it")) { "$denied" }
        check(tools.call("impact_analysis", """{"repos": ["backend"]}""").at("ok") == true) { "impact" }

        val records = Json.parse(ann.audit()).list()
        val seen = records.map { listOf(it.at("entry", "action"), it.at("entry", "outcome"), it.at("entry", "user"), it.at("entry", "role")) }
        check(seen == listOf(listOf("rotate_keys", "denied", "ann", "developer"), listOf("impact_analysis", "ok", "ann", "developer"))) { "$seen" }
        check(Json.parse(ann.audit(limit = 1uL)).list().map { it.at("seq") } == listOf(records[1].at("seq"))) { "limit" }
        check(Json.parse(ann.audit(since = "1h", user = "ann")).list().size == 2) { "since" }
        val badSince = expectThrows<RelayException.Usage> { ann.audit(since = "yesterday") }
        check(badSince.reason.contains("invalid duration `yesterday`")) { badSince.reason }
        val notYours = expectThrows<RelayException.Usage> { ann.audit(user = "carl") }
        check(notYours.code == "denied") { notYours.code }
        val verifyDenied = expectThrows<RelayException.Usage> { ann.verifyAudit() }
        check(verifyDenied.reason.contains("ann (developer) may not verify the audit log")) { verifyDenied.reason }

        val root2 = openAs(root, "root")
        val intact = root2.verifyAudit()
        check(intact.status == "intact" && intact.records == 2uL) { "$intact" }
        // Change entry 1 in the SQLite file with the sqlite3 CLI (scripts/setup/sqlite.sh).
        val sql = "UPDATE audit SET record = replace(record, '\"denied\"', '\"ok\"') WHERE seq = 1"
        val sqlite = ProcessBuilder("sqlite3", File(root, ".relay/relay.db").path, sql).redirectErrorStream(true).start()
        val out = sqlite.inputStream.bufferedReader().readText()
        check(sqlite.waitFor() == 0) { "sqlite3: $out" }
        val broken = root2.verifyAudit()
        check(broken.status == "broken" && broken.seq == 1uL) { "$broken" }
        check(broken.problem!!.contains("entry 1 was changed after it was written")) { "$broken" }
    },
    "memory: on one Redis, two users' memories share jobs, sessions and the audit log" to {
        val root = teamWorkspace()
        RedisServer().use { redis ->
            val ann = Memory.open(workspace = root.path, store = redis.url, user = "ann")
            check(ann.storeUrl() == redis.url) { ann.storeUrl() }
            val carl = Memory.open(workspace = root.path, store = redis.url, user = "carl")
            // ann queues; another Relay on the same Redis (carl's memory, a team lead) finishes it.
            val id = Json.parse(ann.enqueueSync(repos = listOf("shared-api"))).at("id") as String
            check(Json.parse(carl.jobs()).list().any { it.at("id") == id }) { "carl does not see $id" }
            val job = carl.resumeJob(id)
            drainJob(job)
            job.wait()
            val shown = Json.parse(ann.job(id))
            check(shown.at("job", "state") == "succeeded" && shown.at("job", "done") == listOf("shared-api")) { "$shown" }

            converse(ann.tools(session = "on-redis"), "what is the impact of shared-api")
            val summary = Json.parse(carl.sessions()).list().single()
            check(summary.at("id") == "on-redis" && summary.at("user") == "ann" && summary.at("turns") == 3.0) { "$summary" }

            val tools = ann.tools()
            tools.register(
                ToolDefinition(name = "rotate_keys", description = "Rotates keys.", permission = "team"),
                object : ToolHandler {
                    override suspend fun call(argumentsJson: String): String = "\"rotated\""
                },
            )
            check(tools.call("rotate_keys").at("ok") == false) { "rotate_keys ran" }
            val entries = Json.parse(carl.audit(user = "ann")).list()
                .map { listOf(it.at("entry", "action"), it.at("entry", "outcome"), it.at("entry", "user")) }
            check(listOf("rotate_keys", "denied", "ann") in entries) { "$entries" }
            check(Memory.open(workspace = root.path, store = redis.url, user = "root").verifyAudit().status == "intact") { "verify" }
        }
    },
)
