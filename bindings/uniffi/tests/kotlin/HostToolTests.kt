// Tools written in Kotlin, registered next to Relay's: called directly, rejected when defined
// badly, limited by permissions and timeouts, and called by a voice model (text transport and
// the fake OpenAI Realtime server from relay-testkit).

import dev.relay.*
import java.util.concurrent.ConcurrentLinkedQueue
import kotlinx.coroutines.*

const val WEATHER_SCHEMA =
    """{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"""

/** A Kotlin weather tool: records the arguments it gets; "Atlantis" throws. */
class WeatherTool : ToolHandler {
    val calls = ConcurrentLinkedQueue<String>()

    override suspend fun call(argumentsJson: String): String {
        calls += argumentsJson
        delay(10) // a real suspension: the result comes from a later continuation
        val city = Json.parse(argumentsJson).at("city") as String
        if (city == "Atlantis") throw IllegalArgumentException("no such city: $city")
        return """{"city": ${jsonString(city)}, "sky": "clear", "celsius": 21}"""
    }

    /** The cities it was called for. */
    fun cities(): List<Any?> = calls.map { Json.parse(it).at("city") }
}

fun weatherDefinition(name: String = "weather") = ToolDefinition(
    name = name,
    description = "The current weather in a city.",
    parametersJson = WEATHER_SCHEMA,
)

/** Calls [name] through the registry and parses its `{ok, value}` result. */
suspend fun Tools.call(name: String, argumentsJson: String = "{}"): Any? =
    Json.parse(invoke(name, argumentsJson).wait())

/** A handler that suspends until cancelled, reporting its start and its cancellation. */
class WaitingTool : ToolHandler {
    val started = CompletableDeferred<Unit>()
    val cancelled = CompletableDeferred<Unit>()

    override suspend fun call(argumentsJson: String): String {
        started.complete(Unit)
        try {
            awaitCancellation()
        } finally {
            cancelled.complete(Unit)
        }
    }
}

val hostToolTests: List<TestCase> = listOf(
    "host tools: a Kotlin tool's result through invoke; bad arguments never reach it; a throw is ok:false" to {
        val (tools, _) = repoTools()
        val weather = WeatherTool()
        tools.register(weatherDefinition(), weather)
        check("weather" in tools.names() && "project_status" in tools.names()) { "${tools.names()}" }
        val spec = Json.parse(tools.specsJson()).list().single { it.at("name") == "weather" }
        check(spec.at("parameters", "required") == listOf("city") && spec.at("permission") == "read") { "$spec" }
        val advertised = Json.parse(tools.realtimeToolsJson()).list().single { it.at("name") == "weather" }
        check(advertised.at("type") == "function" && advertised.at("description") == "The current weather in a city.") { "$advertised" }

        val oslo = tools.call("weather", """{"city": "Oslo"}""")
        check(oslo.at("ok") == true && oslo.at("value") == mapOf("city" to "Oslo", "sky" to "clear", "celsius" to 21.0)) { "$oslo" }
        check(weather.cities() == listOf("Oslo")) { "${weather.calls}" }

        for (bad in listOf("""{"town": "Oslo"}""", """{"city": 5}""", "{nope", "[]")) {
            val out = tools.call("weather", bad)
            check(out.at("ok") == false && out.at("value", "error") is String && out.at("value", "hint") is String) { "$bad: $out" }
        }
        check(tools.call("weather", """{"town": "Oslo"}""").at("value", "error").toString().contains("city")) { "no mention of city" }
        check(weather.cities() == listOf("Oslo")) { "invalid arguments reached the handler: ${weather.calls}" }

        val atlantis = tools.call("weather", """{"city": "Atlantis"}""")
        check(atlantis.at("ok") == false) { "$atlantis" }
        check((atlantis.at("value", "error") as String).contains("no such city: Atlantis")) { "$atlantis" }
        check(weather.cities() == listOf("Oslo", "Atlantis")) { "${weather.calls}" }

        // Declared failures carry just their reason; plain text results reach the model as a string.
        tools.register(ToolDefinition(name = "door", description = "Opens the door."), object : ToolHandler {
            override suspend fun call(argumentsJson: String): String {
                check(argumentsJson == "{}") { argumentsJson }
                throw ToolHandlerException.Failed(reason = "the door is locked; ask for the key")
            }
        })
        val door = tools.call("door")
        check(door.at("ok") == false && (door.at("value", "error") as String).contains("the door is locked; ask for the key")) { "$door" }
        check(!(door.at("value", "error") as String).contains("Exception")) { "$door" }
        tools.register(ToolDefinition(name = "motto", description = "The team motto."), object : ToolHandler {
            override suspend fun call(argumentsJson: String): String = "ship it"
        })
        val motto = tools.call("motto")
        check(motto.at("ok") == true && motto.at("value") == "ship it") { "$motto" }
    },
    "host tools: bad definitions throw Usage and leave the registry as it was" to {
        val (tools, _) = repoTools()
        val weather = WeatherTool()
        tools.register(weatherDefinition(), weather)
        val before = tools.names()
        val cases = listOf(
            weatherDefinition("bad name") to "not usable",
            weatherDefinition("x".repeat(65)) to "not usable",
            weatherDefinition("") to "not usable",
            weatherDefinition("project_status") to "already registered",
            weatherDefinition("weather") to "already registered",
            weatherDefinition("w2").copy(description = "  ") to "needs a description",
            weatherDefinition("w2").copy(parametersJson = """{"type": "string"}""") to "\"type\": \"object\"",
            weatherDefinition("w2").copy(parametersJson = """["city"]""") to "\"type\": \"object\"",
            weatherDefinition("w2").copy(parametersJson = "{") to "not JSON",
            weatherDefinition("w2").copy(permission = "sudo") to "unknown permission `sudo`",
        )
        for ((definition, expected) in cases) {
            val e = expectThrows<RelayException.Usage> { tools.register(definition, weather) }
            check(e.reason.contains(expected)) { "${definition.name}: expected '$expected' in ${e.reason}" }
        }
        check(tools.names() == before) { "the registry changed: ${tools.names()}" }
        val status = tools.call("project_status")
        check(status.at("ok") == true) { "Relay's project_status was replaced: $status" }
        check(weather.calls.isEmpty()) { "${weather.calls}" }
    },
    "host tools: permissions, timeouts and job cancellation stop the Kotlin handler" to {
        val root = makeWorkspace()
        val readOnly = Tools(workspace = Workspace.open(root.path), permissions = listOf("read"))
        val weather = WeatherTool()
        readOnly.register(weatherDefinition("forecast_write").copy(permission = "write_repos"), weather)
        val denied = readOnly.call("forecast_write", """{"city": "Oslo"}""")
        check(denied.at("ok") == false && (denied.at("value", "error") as String).contains("ermission")) { "$denied" }
        check(weather.calls.isEmpty()) { "a denied call reached the handler" }

        val slow = WaitingTool()
        readOnly.register(ToolDefinition(name = "slow", description = "Never answers.", timeoutSecs = 1uL), slow)
        val timedOut = readOnly.call("slow")
        check(timedOut.at("ok") == false && (timedOut.at("value", "error") as String).contains("did not finish within 1 s")) { "$timedOut" }
        withTimeout(10_000) { slow.cancelled.await() } // the coroutine was cancelled, not leaked

        val waiting = WaitingTool()
        readOnly.register(ToolDefinition(name = "waiting", description = "Waits.", longRunning = true), waiting)
        val job = readOnly.invoke("waiting", "{}")
        withTimeout(10_000) { waiting.started.await() }
        job.cancel()
        expectThrows<RelayException.Cancelled> { job.wait() }
        withTimeout(10_000) { waiting.cancelled.await() }
    },
    "host tools: the text transport calls a Kotlin tool via /name {json}; earlier sessions keep their tools" to {
        val (tools, _) = repoTools()
        val earlier = VoiceSession.start(tools, VoiceOptions(transport = "text"))
        val weather = WeatherTool()
        tools.register(weatherDefinition(), weather)
        val session = VoiceSession.start(tools, VoiceOptions(transport = "text"))
        session.sendText("/weather {\"city\": \"Oslo\"}")
        val events = eventsUntil(session) { it.kind == "assistant_text" }
        check(events.first("tool_call_started").at("name") == "weather") { "${events.map { it.json }}" }
        val finished = events.first("tool_call_finished")
        check(finished.at("ok") == true) { "$finished" }
        val output = Json.parse(finished.at("output") as String)
        check(output.at("city") == "Oslo" && output.at("sky") == "clear") { "$finished" }
        check(weather.cities() == listOf("Oslo")) { "${weather.calls}" }

        session.sendText("/weather {\"city\": \"Atlantis\"}")
        val failed = eventsUntil(session) { it.kind == "assistant_text" }.first("tool_call_finished")
        check(failed.at("ok") == false && (failed.at("output") as String).contains("no such city: Atlantis")) { "$failed" }
        check(session.metrics().toolCalls == 2uL) { "${session.metrics()}" }

        earlier.sendText("/weather {\"city\": \"Rome\"}")
        val unknown = eventsUntil(earlier) { it.kind == "assistant_text" }.first("tool_call_finished")
        check(unknown.at("ok") == false && (unknown.at("output") as String).contains("weather")) { "$unknown" }
        check(weather.cities() == listOf("Oslo", "Atlantis")) { "the earlier session reached the new tool: ${weather.calls}" }
        session.end()
        earlier.end()
    },
    "host tools: on the fake Realtime server the model calls a Kotlin tool and hears its output" to {
        val scenario = """{"turns": [
            {"kind": "call", "calls": [{"name": "weather", "arguments": "{\"city\": \"Bergen\"}"}]}
        ]}"""
        // After the call there is no scripted turn left: the fake model then reads back the tool
        // outputs it received ("Results: ..."), so the text shows what reached the model.
        FakeRealtime(scenario).use { server ->
            val (tools, _) = repoTools()
            val weather = WeatherTool()
            tools.register(weatherDefinition(), weather)
            val session = VoiceSession.start(tools, VoiceOptions(url = server.url, outputAudio = false), apiKey = "sk-test")
            session.sendText("how is the weather in Bergen?")
            val events = eventsUntil(session) { it.kind == "assistant_text" && Json.parse(it.json).at("text").toString().startsWith("Results") }
            check(events.first("tool_call_started").at("name") == "weather") { "${events.map { it.json }}" }
            val finished = events.first("tool_call_finished")
            check(finished.at("ok") == true) { "$finished" }
            check(weather.cities() == listOf("Bergen")) { "${weather.calls}" }
            val heard = Json.parse(events.last().json).at("text") as String
            check(heard.contains("Bergen") && heard.contains("clear") && heard.contains("21")) { heard }
            check(session.metrics().toolCalls == 1uL) { "${session.metrics()}" }
            session.end()
        }
    },
)
