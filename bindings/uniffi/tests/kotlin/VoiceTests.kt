// The tool registry and voice sessions from Kotlin: tools called directly, the offline text
// transport, and the Realtime transport against the fake OpenAI Realtime server (relay-testkit).

import dev.relay.*
import java.io.File
import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel

/** Reads events until one satisfies [stop] (inclusive); fails if the session ends first. */
suspend fun eventsUntil(session: VoiceSession, stop: (VoiceEvent) -> Boolean): List<VoiceEvent> {
    val seen = mutableListOf<VoiceEvent>()
    while (true) {
        val batch = session.nextEvents(0u)
        check(batch.isNotEmpty()) { "the session ended first: ${seen.map { it.json }}" }
        for (event in batch) {
            seen += event
            if (stop(event)) return seen
        }
    }
}

/** The first event of [kind], parsed; fails listing what arrived instead. */
fun List<VoiceEvent>.first(kind: String): Any? =
    firstOrNull { it.kind == kind }?.let { Json.parse(it.json) }
        ?: throw AssertionError("no $kind event in ${map { it.json }}")

/** [ms] of 24 kHz PCM16 mono: a 300 Hz tone when [loud], else silence. */
fun pcm(ms: Int, loud: Boolean): ByteArray {
    val samples = ms * 24
    val out = ByteArray(samples * 2)
    for (i in 0 until samples) {
        val s = if (loud) (Math.sin(i * 300.0 * 2 * Math.PI / 24_000.0) * 12_000).toInt() else 0
        out[2 * i] = (s and 0xff).toByte()
        out[2 * i + 1] = ((s shr 8) and 0xff).toByte()
    }
    return out
}

/** Tools over a fresh three-repository workspace: repository tools only. */
fun repoTools(): Pair<Tools, File> {
    val root = makeWorkspace()
    return Tools(workspace = Workspace.open(root.path)) to root
}

val voiceTests: List<TestCase> = listOf(
    "tools: every group registered, specs and realtime format, invoke with results and errors" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val envs = Environments.open(provider = "local", workspace = ws, localRoot = File(root, "envs").path)
        val tools = Tools(workspace = ws, agent = AgentRunRequest(prompt = "", agent = "shell"), environments = envs)
        val names = tools.names()
        for (expected in listOf("project_status", "impact_analysis", "run_agent_task", "env_up", "env_exec")) {
            check(expected in names) { "$expected not in $names" }
        }
        val specs = Json.parse(tools.specsJson()).list()
        check(specs.map { it.at("name") } == names) { "specs and names differ" }
        check(specs.all { it.at("parameters", "type") == "object" && (it.at("description") as String).isNotEmpty() }) { "$specs" }
        val realtime = Json.parse(tools.realtimeToolsJson()).list()
        check(realtime.all { it.at("type") == "function" } && realtime.size == names.size) { "$realtime" }

        val impact = Json.parse(tools.invoke("impact_analysis", """{"repos": ["shared-api"]}""").wait())
        check(impact.at("ok") == true) { "$impact" }
        check(impact.at("value", "all_dependents") == listOf("backend", "frontend")) { "$impact" }

        val agentJob = tools.invoke("run_agent_task", """{"task": "touch from-tool.txt", "repos": ["frontend"]}""")
        val agentEvents = drain(agentJob)
        check(agentEvents.last().json.contains("\"succeeded\"")) { agentEvents.last().json }
        val agent = Json.parse(agentJob.wait())
        check(agent.at("ok") == true && File(root, "frontend/from-tool.txt").isFile) { "$agent" }
        check(!File(root, "backend/from-tool.txt").exists()) { "ran outside the selection" }

        val unknown = Json.parse(tools.invoke("launch_rockets").wait())
        check(unknown.at("ok") == false && (unknown.at("value", "error") as String).contains("launch_rockets")) { "$unknown" }
        val badArgs = Json.parse(tools.invoke("impact_analysis", """{"repos": "shared-api"}""").wait())
        check(badArgs.at("ok") == false && badArgs.at("value", "hint") != null) { "$badArgs" }
        val notJson = Json.parse(tools.invoke("impact_analysis", "{nope").wait())
        check(notJson.at("ok") == false) { "$notJson" }
    },
    "tools: permissions limit what may be called; bad options throw Usage" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val readOnly = Tools(workspace = ws, permissions = listOf("read"))
        check(Json.parse(readOnly.invoke("project_status").wait()).at("ok") == true) { "read denied" }
        val branch = Json.parse(readOnly.invoke("create_branch", """{"name": "feature/x"}""").wait())
        check(branch.at("ok") == false && (branch.at("value", "error") as String).contains("ermission")) { "$branch" }
        check(git(File(root, "backend"), "branch", "--list", "feature/x").isEmpty()) { "the branch was created" }
        val perm = expectThrows<RelayException.Usage> { Tools(workspace = ws, permissions = listOf("root")) }
        check(perm.reason.contains("unknown permission `root`")) { perm.reason }
        val noWs = expectThrows<RelayException.Usage> { Tools(agent = AgentRunRequest(prompt = "", agent = "shell")) }
        check(noWs.reason.contains("workspace")) { noWs.reason }
    },
    "voice over the text transport: text in, tool call, events out" to {
        val (tools, _) = repoTools()
        val session = VoiceSession.start(tools, VoiceOptions(transport = "text"))
        check(session.transport() == "text") { session.transport() }
        session.sendText("what is the impact of shared-api?")
        // The call's own response ends before the tool does; the spoken answer comes after it.
        val events = eventsUntil(session) { it.kind == "assistant_text" }
        check(events.first().kind == "session_started") { events.first().json }
        val call = events.first("tool_call_started")
        check(call.at("name") == "impact_analysis") { "$call" }
        val result = events.first("tool_call_finished")
        check(result.at("ok") == true && (result.at("output") as String).contains("frontend")) { "$result" }
        val answer = events.first("assistant_text")
        check((answer.at("text") as String).contains("frontend")) { "$answer" }

        session.sendText("/project_status {\"repos\": [\"nope\"]}")
        val failed = eventsUntil(session) { it.kind == "assistant_text" }.first("tool_call_finished")
        check(failed.at("ok") == false && (failed.at("output") as String).contains("nope")) { "$failed" }
        check(session.metrics().toolCalls == 2uL) { "${session.metrics()}" }

        session.end()
        val rest = eventsUntil(session) { it.kind == "closed" }
        check(rest.last().kind == "closed") { "${rest.map { it.kind }}" }
        check(session.nextEvents(0u).isEmpty()) { "events after closed" }
        val closed = expectThrows<RelayException.Voice> { session.sendText("anyone?") }
        check(closed.code == "closed") { "${closed.code}: ${closed.reason}" }
    },
    "voice over the fake Realtime server: text in, tool call, spoken reply out" to {
        val scenario = """{"turns": [
            {"kind": "call", "calls": [{"name": "impact_analysis", "arguments": "{\"repos\": [\"backend\"]}"}]},
            {"kind": "say", "text": "Only frontend depends on backend.", "audio_ms": 300}
        ]}"""
        FakeRealtime(scenario).use { server ->
            val (tools, _) = repoTools()
            val session = VoiceSession.start(tools, VoiceOptions(transport = "realtime", url = server.url), apiKey = "sk-test")
            check(session.transport() == "openai-realtime") { session.transport() }
            session.sendText("what breaks if backend changes?")
            val events = eventsUntil(session) { it.kind == "assistant_text" }
            check(events.first().kind == "session_started") { events.first().json }
            val call = events.first("tool_call_started")
            check(call.at("name") == "impact_analysis") { "$call" }
            val result = events.first("tool_call_finished")
            val output = Json.parse(result.at("output") as String)
            check(result.at("ok") == true && output.at("all_dependents") == listOf("frontend")) { "$result" }
            val text = Json.parse(events.last().json)
            check(text.at("text") == "Only frontend depends on backend.") { "$text" }
            val audio = events.filter { it.kind == "assistant_audio" }
            check(audio.isNotEmpty() && audio.all { it.audio != null }) { "no audio bytes" }
            check(audio.sumOf { it.audio!!.size } == 300 * 48) { "300 ms of 24 kHz PCM16 expected" }
            val metrics = session.metrics()
            check(metrics.toolCalls == 1uL && metrics.audioBytesOut == (300 * 48).toULong()) { "$metrics" }
            session.end()
        }
    },
    "voice barge-in: reportPlayback sets where the interrupted reply is cut (listener + handle)" to {
        val scenario = """{"turns": [{"kind": "say", "text": "one two three four five six seven eight nine ten", "audio_ms": 3000}],
            "audio_chunk_ms": 100, "chunk_interval_ms": 60}"""
        // 3 s of reply audio streamed over ~1.8 s: time to interrupt it even on a busy machine.
        FakeRealtime(scenario).use { server ->
            val (tools, _) = repoTools()
            val session = VoiceSession.start(tools, VoiceOptions(url = server.url), apiKey = "sk-test")
            val events = Channel<VoiceEvent>(Channel.UNLIMITED)
            val handle = session.listen(object : VoiceEventListener {
                override fun onEvent(event: VoiceEvent) {
                    events.trySend(event)
                }
            })
            session.sendText("count to ten slowly")
            suspend fun next() = withTimeout(20_000) { events.receive() }
            var item = ""
            var receivedMs = 0
            while (receivedMs < 500) {
                val e = next()
                if (e.kind == "assistant_audio") {
                    item = Json.parse(e.json).at("item_id") as String
                    receivedMs += e.audio!!.size / 48
                }
            }
            session.reportPlayback(item, 320uL)
            session.sendAudio(pcm(200, loud = true))
            var interrupted: Any? = null
            while (interrupted == null) {
                val e = next()
                if (e.kind == "interrupted") interrupted = Json.parse(e.json)
            }
            check(interrupted.at("item_id") == item && interrupted.at("audio_end_ms") == 320.0) { "$interrupted" }
            var done: Any? = null
            while (done == null) {
                val e = next()
                if (e.kind == "response_done") done = Json.parse(e.json)
            }
            check(done.at("status") == "cancelled") { "$done" }
            handle.cancel()
            check(eventually(10) { handle.isFinished() }) { "delivery did not stop" }
            val closed = withTimeout(10_000) {
                while (true) {
                    val batch = session.nextEvents(0u)
                    if (batch.isEmpty() || batch.any { it.kind == "closed" }) break
                }
                true
            }
            check(closed) { "the session did not close" }
        }
    },
    "voice errors: no API key, a wrong key, an unknown transport" to {
        val (tools, _) = repoTools()
        check(System.getenv("OPENAI_API_KEY").isNullOrBlank()) { "unset OPENAI_API_KEY for the tests" }
        val missing = expectThrows<RelayException.Voice> { VoiceSession.start(tools, VoiceOptions(transport = "realtime")) }
        check(missing.code == "missing_config" && missing.reason.contains("OPENAI_API_KEY")) { "${missing.code}: ${missing.reason}" }
        val transport = expectThrows<RelayException.Usage> { VoiceSession.start(tools, VoiceOptions(transport = "phone")) }
        check(transport.reason.contains("unknown voice transport")) { transport.reason }
        FakeRealtime("""{"api_key": "sk-right"}""").use { server ->
            val wrong = expectThrows<RelayException.Voice> {
                VoiceSession.start(tools, VoiceOptions(url = server.url), apiKey = "sk-wrong-secret-123")
            }
            check(wrong.code == "unauthorized") { "${wrong.code}: ${wrong.reason}" }
            check(!wrong.reason.contains("sk-wrong-secret-123")) { "the key leaked into the error: ${wrong.reason}" }
        }
    },
)
