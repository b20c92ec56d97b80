// A tour of Relay from Kotlin: open a workspace, show its dependency graph, the status of each
// repository and what a change to the first one affects, then stream the events of a sync (a
// job) to a listener.
//
// scripts/test-bindings.sh kotlin compiles this file with the generated dev.relay bindings and
// runs it on a fresh workspace; see docs/bindings.md for compiling it yourself.

import dev.relay.*
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>): Unit = runBlocking {
    val ws = try {
        Workspace.open(args.firstOrNull())
    } catch (e: RelayException.Config) {
        System.err.println("cannot open the workspace (${e.code}): ${e.reason}")
        kotlin.system.exitProcess(1)
    }
    println("workspace ${ws.root()} (${ws.configFile()})")
    println("build order: " + ws.graph().batches.joinToString(" -> ") { it.joinToString("+") })

    for (repo in ws.status()) {
        val changes = repo.staged + repo.unstaged + repo.untracked
        println("  ${repo.name.padEnd(20)} ${(repo.branch ?: "(detached)").padEnd(16)} $changes changed paths")
    }

    val first = ws.repos().first().name
    val impact = ws.impact(listOf(first))
    println("a change to $first affects: ${impact.transitive.joinToString(", ").ifEmpty { "nothing else" }}")

    // Every long operation is a Job: listen to its events (or await nextBatch), then wait(). A sync
    // fetches and fast-forwards only (a repository with local changes or no remote is skipped).
    val job = ws.sync(repos = listOf(first))
    val done = CompletableDeferred<Unit>()
    val handle = job.listen(object : EventListener {
        override fun onEvent(event: Event) {
            if (event.kind == "repo_finished") println("  ${event.json}")
            if (event.kind == "job_finished") done.complete(Unit)
        }
    })
    done.await()
    println("job result: ${job.wait()}")
    handle.cancel()
}
