// The shared test peers, started through the `relay-testkit` binary (the same servers the Rust
// tests use), the real `claude` CLI, and a look at the process table.
// scripts/test-bindings.sh sets RELAY_TESTKIT_BIN and RELAY_CLAUDE_BIN.

import java.io.BufferedReader
import java.io.File
import java.util.concurrent.TimeUnit

/** A required path from the environment, or a failure that says how to provide it. */
fun requiredBinary(variable: String, advice: String): String {
    val path = System.getenv(variable)
    check(path != null && File(path).canExecute()) {
        "$variable=${path ?: "(unset)"} is not an executable; $advice"
    }
    return path
}

fun testkitBin(): String = requiredBinary(
    "RELAY_TESTKIT_BIN",
    "build it with `cargo build -p relay-testkit` and run the tests through scripts/test-bindings.sh kotlin",
)

fun claudeBin(): String = requiredBinary(
    "RELAY_CLAUDE_BIN",
    "install the real CLI with scripts/setup/claude.sh (scripts/test-bindings.sh finds it in .tools/npm)",
)

/** A peer process whose first stdout line announces its URL. */
open class PeerProcess(args: List<String>, readyPrefix: String) : AutoCloseable {
    val process: Process = ProcessBuilder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val stdout: BufferedReader = process.inputStream.bufferedReader()
    val url: String

    init {
        val line = stdout.readLine()
        if (line == null || !line.startsWith(readyPrefix)) {
            process.destroyForcibly()
            throw IllegalStateException("${args.take(2)} did not start (first line: $line)")
        }
        url = line.removePrefix(readyPrefix).trim()
    }

    override fun close() {
        process.destroy() // SIGTERM: both peers shut down on it
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}

fun jsonFile(json: String): File =
    File.createTempFile("relay-peer-", ".json").apply { writeText(json); deleteOnExit() }

/** The fake Anthropic Messages API, answering with the scripted `turns` (a JSON array). */
class FakeAnthropic(turnsJson: String) : PeerProcess(
    listOf(testkitBin(), "anthropic", "--script", jsonFile("""{"turns": $turnsJson}""").path),
    "",
)

/** The fake OpenAI Realtime server playing `scenarioJson`; exits when our stdin to it closes. */
class FakeRealtime(scenarioJson: String) : PeerProcess(
    listOf(testkitBin(), "realtime", "--scenario", jsonFile(scenarioJson).path, "--until-stdin-closes"),
    "READY ",
) {
    override fun close() {
        process.outputStream.close()
        super.close()
    }
}

/** JSON string literal for `s` (enough for paths and short texts). */
fun jsonString(s: String): String =
    "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\""

/** A scripted model turn: `text`, then one call of `tool` with `inputJson`. */
fun toolTurn(text: String, tool: String, inputJson: String): String =
    """{"kind": "reply", "text": ${jsonString(text)}, "tool_uses": [{"name": ${jsonString(tool)}, "input": $inputJson}]}"""

fun textTurn(text: String): String = """{"kind": "reply", "text": ${jsonString(text)}}"""

/**
 * Environment for `claude` against the fake API at [url] with its state under [home], so the
 * developer's ~/.claude is never touched (the same as relay_testkit::claude_cli::claude_env).
 */
fun claudeEnv(url: String, home: File): List<Pair<String, String>> = listOf(
    "ANTHROPIC_BASE_URL" to url,
    "ANTHROPIC_API_KEY" to "test",
    "HOME" to home.path,
    "CLAUDE_CONFIG_DIR" to "${home.path}/.claude",
    "CLAUDE_CODE_MAX_RETRIES" to "0",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC" to "1",
    "DISABLE_TELEMETRY" to "1",
    "DISABLE_AUTOUPDATER" to "1",
)

/** A process seen in /proc. */
data class Proc(val pid: Int, val state: Char, val cmdline: String)

fun procInfo(pid: Int): Proc? {
    val stat = try { File("/proc/$pid/stat").readText() } catch (e: Exception) { return null }
    val state = stat.substringAfterLast(") ").firstOrNull() ?: return null
    val cmdline = try {
        File("/proc/$pid/cmdline").readText().replace('\u0000', ' ').trim()
    } catch (e: Exception) { "" }
    return Proc(pid, state, cmdline)
}

/** Processes (other than this JVM) whose working directory is [dir] or below it. */
fun processesIn(dir: File): List<Proc> {
    val me = ProcessHandle.current().pid().toInt()
    val root = dir.canonicalFile.toPath()
    return (File("/proc").listFiles() ?: emptyArray()).mapNotNull { entry ->
        val pid = entry.name.toIntOrNull() ?: return@mapNotNull null
        if (pid == me) return@mapNotNull null
        val cwd = try {
            java.nio.file.Files.readSymbolicLink(File(entry, "cwd").toPath())
        } catch (e: Exception) { return@mapNotNull null }
        if (cwd.startsWith(root)) procInfo(pid) else null
    }
}

/** The secret of the test API token: test-bindings.sh gives the JVM PROXMOX_TOKEN_SECRET. */
fun proxmoxSecret(): String = System.getenv("PROXMOX_TOKEN_SECRET")
    ?: error("PROXMOX_TOKEN_SECRET is unset; run the tests through scripts/test-bindings.sh kotlin")

/**
 * The fake Proxmox VE API (TLS with its own CA), accepting API token [token]
 * (`user@realm!name=SECRET`), with a QEMU template guest 9001; exits when our stdin to it closes.
 */
class FakeProxmox(token: String) : AutoCloseable {
    private val caFile = File.createTempFile("relay-pve-ca-", ".pem").apply { deleteOnExit() }
    private val process: Process = ProcessBuilder(
        testkitBin(), "proxmox", "--token", token, "--ca-out", caFile.path, "--task-ms", "80",
        "--template", "qemu:9001:ubuntu-tmpl",
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val info: Any? = process.inputStream.bufferedReader().readLine()
        ?.let { Json.parse(it) }
        ?: run { process.destroyForcibly(); error("relay-testkit proxmox did not start") }
    val url = info.at("url") as String
    val node = info.at("node") as String
    val ca: String = caFile.path

    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}
