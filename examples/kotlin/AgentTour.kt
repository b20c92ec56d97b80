// Agent runs and environments from Kotlin: run a task in every repository of a workspace (the
// offline shell agent here; agent = "claude" runs Claude Code the same way, asking the
// PermissionPolicy before each tool), then bring up a local development environment, run a
// command in it, snapshot it, break it, roll it back and take it down.
//
// scripts/test-bindings.sh kotlin compiles this file with the generated dev.relay bindings and
// runs it on a fresh workspace: java ... dev.relay.examples.AgentTourKt WORKSPACE

package dev.relay.examples

import dev.relay.*
import java.nio.file.Files
import kotlinx.coroutines.runBlocking

/** A string field of a JSON event (an app would use kotlinx.serialization or Moshi). */
fun field(json: String, name: String): String? =
    Regex("\"$name\":\"((?:[^\"\\\\]|\\\\.)*)\"").find(json)?.groupValues?.get(1)

/** Claude Code asks this before each tool outside `allowedTools`; it may suspend (ask a person). */
val readOnly = object : PermissionPolicy {
    override suspend fun decide(request: PermissionRequest): PermissionDecision =
        if (request.toolName in setOf("Read", "Grep", "Glob")) {
            PermissionDecision.Allow(updatedInputJson = null)
        } else {
            PermissionDecision.Deny(message = "this session is read-only; describe the change instead")
        }
}

fun main(args: Array<String>): Unit = runBlocking {
    val ws = Workspace.open(args.firstOrNull())

    // 1. A task in every repository, in dependency order; events stream while it runs.
    val run = ws.runAgent(AgentRunRequest(prompt = "git status --short", agent = "shell"), readOnly)
    while (true) {
        val batch = run.nextBatch(0u)
        if (batch.isEmpty()) break
        for (event in batch) {
            val repo = field(event.json, "repo")
            when {
                event.kind == "agent" && field(event.json, "line") != null -> // an output line
                    println("  [$repo] ${field(event.json, "line")}")
                event.kind == "repo_finished" -> println("  [$repo] ${field(event.json, "outcome")}")
            }
        }
    }
    println("agent run report: ${run.wait()}")

    // 2. A local environment with the workspace's repositories cloned in.
    val root = Files.createTempDirectory("relay-envs-").toFile()
    try {
        val envs = Environments.open(provider = "local", workspace = ws, localRoot = root.path)
        envs.up("demo").wait()
        val ls = listOf("sh", "-c", "ls | tr '\\n' ' '")
        println("environment demo (${envs.status("demo").status}): ${envs.exec("demo", ls).stdout.trim()}")
        envs.snapshot("demo", "clean").wait()
        envs.exec("demo", listOf("rm", "-rf", "backend"))
        println("after rm -rf backend: ${envs.exec("demo", ls).stdout.trim()}")
        envs.rollback("demo", "clean").wait()
        println("restored after rollback: ${envs.exec("demo", ls).stdout.trim()}")
        envs.down("demo").wait()
        try {
            envs.status("demo")
        } catch (e: RelayException.Infra) {
            println("after down: ${e.code}")
        }
    } finally {
        root.deleteRecursively()
    }
}
