// Approvals from Kotlin: a tool that is hard to undo is refused without a handler; with
// `Tools.onApproval` the handler sees the question and its answer decides.

import dev.relay.*
import java.io.File
import java.util.concurrent.ConcurrentLinkedQueue

/** Answers "deny" first, then "allow"; records the requests. */
class Approver : ApprovalHandler {
    val asked = ConcurrentLinkedQueue<String>()

    override suspend fun decide(requestJson: String): String {
        asked += requestJson
        return if (asked.size == 1) "\"deny\"" else """{"decision": "allow", "user": "ann"}"""
    }
}

val approvalTests: List<TestCase> = listOf(
    "approvals: env_down is refused without a handler; the handler sees the question and decides" to {
        val root = makeWorkspace()
        val ws = Workspace.open(root.path)
        val envs = Environments.open(provider = "local", workspace = ws, localRoot = File(root, "envs").path)
        val tools = Tools(workspace = ws, environments = envs)
        check(tools.call("env_up", """{"name": "scratch"}""").at("ok") == true)
        val refused = tools.call("env_down", """{"name": "scratch"}""")
        check(refused.at("ok") == false && (refused.at("value", "error") as String).contains("needs a person's approval")) { "$refused" }
        val approver = Approver()
        tools.onApproval(approver)
        val denied = tools.call("env_down", """{"name": "scratch"}""")
        check(denied.at("value", "error") == "`env_down` was not run: the user said no") { "$denied" }
        check(envs.status("scratch").status == "running") { "nothing ran" }
        val allowed = tools.call("env_down", """{"name": "scratch"}""")
        check(allowed.at("ok") == true) { "$allowed" }
        val first = Json.parse(approver.asked.first())
        check(first.at("question") == "Destroy the environment scratch, with its disks and snapshots? Allow it?") { "$first" }
        check(first.at("action", "name") == "env_down" && first.at("action", "kind") == "tool") { "$first" }
        check(approver.asked.size == 2) { "${approver.asked}" }
    },
)
