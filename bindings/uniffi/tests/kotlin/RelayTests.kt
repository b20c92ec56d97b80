// Jobs from Kotlin through the generated dev.relay bindings: suspend calls, listeners with a
// cancellable handle, errors and coroutine cancellation reaching the Rust job.
// A tiny runner (no JUnit on these machines): prints one line per test and "N passed, N failed".

import dev.relay.*
import java.util.concurrent.ConcurrentLinkedQueue
import kotlin.system.exitProcess
import kotlinx.coroutines.*

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

/** Reads every batch until the stream ends. */
suspend fun drain(job: RelayJob): List<Event> {
    val events = mutableListOf<Event>()
    while (true) {
        val batch = job.nextBatch(0u)
        if (batch.isEmpty()) return events
        events += batch
    }
}

/** Reads until the first progress event; in a slow synthetic job the next one is far away. */
suspend fun readUntilProgress(job: RelayJob) {
    while (job.nextBatch(0u).none { it.kind == "progress" }) {}
}

typealias TestCase = Pair<String, suspend CoroutineScope.() -> Unit>

val jobTests: List<TestCase> = listOf(
    "version is the crate version" to {
        check(Regex("""\d+\.\d+\.\d+""").matches(version())) { "version: ${version()}" }
    },
    "nextBatch streams every event in order" to {
        val job = syntheticJob(2500uL)
        val events = drain(job)
        check(events.size == 2502) { "got ${events.size} events" }
        check(events.mapIndexed { i, e -> e.seq == i.toULong() }.all { it }) { "seq not consecutive" }
        check(events.all { it.job == job.id() }) { "foreign job id" }
        check(events.first().kind == "job_started") { events.first().toString() }
        check(events[1].kind == "progress" && events[1].json.contains("\"done\":1,")) { events[1].json }
        check(events.last().kind == "job_finished" && events.last().json.contains("\"status\":\"succeeded\"")) {
            events.last().json
        }
        check(job.wait() == "2500") { "result" }
    },
    "a failed job throws RelayException.Repo with code and reason" to {
        val job = syntheticJob(3uL, failWith = "disk full on /srv")
        try {
            job.wait()
            throw AssertionError("wait() should have thrown")
        } catch (e: RelayException.Repo) {
            check(e.code == "synthetic_failure") { e.code }
            check(e.reason == "disk full on /srv") { e.reason }
        }
    },
    "a listener receives every event, ending with job_finished" to {
        val job = syntheticJob(1000uL)
        val received = ConcurrentLinkedQueue<Event>()
        val finished = CompletableDeferred<Unit>()
        val handle = job.listen(object : EventListener {
            override fun onEvent(event: Event) {
                received.add(event)
                if (event.kind == "job_finished") finished.complete(Unit)
            }
        })
        finished.await()
        check(received.size == 1002) { "got ${received.size} events" }
        check(received.map { it.seq } == (0uL until 1002uL).toList()) { "out of order" }
        while (!handle.isFinished()) delay(5)
        check(job.wait() == "1000") { "result" }
    },
    "cancel() ends the stream and wait throws Cancelled" to {
        val job = syntheticJob(1_000_000uL, intervalMs = 1000uL)
        readUntilProgress(job)
        job.cancel()
        val rest = drain(job)
        check(rest.last().json.contains("\"status\":\"cancelled\"")) { rest.last().json }
        check(rest.none { it.kind == "progress" }) { "progress after cancel" }
        try {
            job.wait()
            throw AssertionError("wait() should have thrown")
        } catch (e: RelayException.Cancelled) {
            check(e.code == "cancelled") { e.code }
        }
    },
    "cancelling the awaiting coroutine cancels the Rust job" to {
        val job = syntheticJob(1_000_000uL, intervalMs = 5000uL)
        readUntilProgress(job)
        val pending = async { job.nextBatch(0u) }
        delay(50)
        check(!pending.isCompleted) { "the next event is 5 s away" }
        pending.cancelAndJoin()
        val rest = withTimeout(10_000) { job.nextBatch(0u) }
        check(rest.last().kind == "job_finished" && rest.last().json.contains("\"cancelled\"")) { rest.toString() }
    },
    "cancelling a listener's handle cancels the job" to {
        val job = syntheticJob(1_000_000uL, intervalMs = 5000uL)
        val sawProgress = CompletableDeferred<Unit>()
        val handle = job.listen(object : EventListener {
            override fun onEvent(event: Event) {
                if (event.kind == "progress") sawProgress.complete(Unit)
            }
        })
        sawProgress.await()
        handle.cancel()
        try {
            withTimeout(10_000) { job.wait() }
            throw AssertionError("wait() should have thrown")
        } catch (e: RelayException.Cancelled) {
            check(e.code == "cancelled") { e.code }
        }
    },
    "a second wait throws Usage" to {
        val job = syntheticJob(1uL)
        check(job.wait() == "1") { "result" }
        try {
            job.wait()
            throw AssertionError("wait() should have thrown")
        } catch (e: RelayException.Usage) {
            check(e.reason.contains("already taken")) { e.reason }
        }
    },
)

fun main(): Unit = runBlocking {
    var passed = 0
    var failed = 0
    // RELAY_TEST_FILTER=substring runs only the tests whose name contains it (for iterating).
    val filter = System.getenv("RELAY_TEST_FILTER").orEmpty()
    for ((name, body) in (jobTests + workspaceTests + agentTests + environmentTests + proxmoxTests + voiceTests + hostToolTests + githubTests + memoryTests + approvalTests).filter { filter in it.first }) {
        try {
            // Generous: agent tests start the real claude CLI on a shared two-core machine.
            withTimeout(180_000) { coroutineScope { body() } }
            println("ok - $name")
            passed++
        } catch (e: Throwable) {
            println("FAILED - $name: $e")
            failed++
        }
    }
    println("kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
