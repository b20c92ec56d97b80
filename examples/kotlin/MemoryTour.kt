// Relay's memory from Kotlin: who am I, queue a sync as a durable job and finish it here, save a
// conversation, then read the audit log and verify its hash chain.
//
// scripts/test-bindings.sh kotlin compiles this file with the generated dev.relay bindings and
// runs it: java ... dev.relay.examples.MemoryTourKt WORKSPACE [STORE_URL]
// The store is the workspace's .relay/relay.db unless STORE_URL or RELAY_STORE_URL names another
// (sqlite:PATH or redis://HOST:PORT/DB).

package dev.relay.examples

import dev.relay.*
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>): Unit = runBlocking {
    val memory = try {
        Memory.open(workspace = args.getOrNull(0), store = args.getOrNull(1), user = null)
    } catch (e: RelayException) {
        System.err.println("cannot open Relay's memory: ${e.message}")
        exitProcess(1)
    }
    val me = memory.whoami()
    println("store ${memory.storeUrl()}; you are ${me.user} (${me.role}): ${me.permissions.joinToString(", ")}")

    // A durable job: queued in the store, then run here (a `relay worker` could run it instead).
    val id = field(memory.enqueueSync(), "id")!!
    println("queued job $id")
    val job = memory.resumeJob(id)
    while (true) {
        val batch = job.nextBatch(0u)
        if (batch.isEmpty()) break
        for (event in batch.filter { it.kind == "repo_finished" }) {
            println("  ${field(event.json, "repo")}: ${field(event.json, "outcome")}")
        }
    }
    job.wait()
    println("job $id: ${field(memory.job(id), "state")}")

    // A conversation whose turns are saved under a session name (resumable later).
    val session = VoiceSession.start(memory.tools(session = "memory-tour"), VoiceOptions(transport = "text"))
    session.sendText("status")
    answered@ while (true) {
        val batch = session.nextEvents(0u)
        if (batch.isEmpty() || batch.any { it.kind == "assistant_text" }) break@answered
    }
    session.end()
    val turns = Regex("\"role\":").findAll(memory.session("memory-tour")).count()
    println("session memory-tour: $turns turns saved")

    // Who did what, and whether anybody changed the log afterwards.
    val log = memory.audit(since = "1h", limit = 5uL)
    fun all(name: String) = Regex("\"$name\":\"([^\"]*)\"").findAll(log).map { it.groupValues[1] }.toList()
    val (users, actions, outcomes) = Triple(all("user"), all("action"), all("outcome"))
    for (i in actions.indices) println("  audit ${users.getOrNull(i)} ${actions[i]} ${outcomes.getOrNull(i)}")
    println("audit chain: ${memory.verifyAudit().status}")
}
