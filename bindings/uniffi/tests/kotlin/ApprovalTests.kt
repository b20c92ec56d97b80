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
    "approvals: a Kotlin tool with needsApproval is refused without a handler and runs only after a yes" to {
        val tools = Tools(workspace = Workspace.open(makeWorkspace().path))
        val ran = ConcurrentLinkedQueue<String>()
        val schema = """{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}"""
        tools.register(
            ToolDefinition(name = "drop_database", description = "Drops a database.", parametersJson = schema, needsApproval = true),
            object : ToolHandler {
                override suspend fun call(argumentsJson: String): String {
                    ran += argumentsJson
                    return "\"dropped\""
                }
            },
        )
        tools.register(ToolDefinition(name = "vacuum", description = "Vacuums."), object : ToolHandler {
            override suspend fun call(argumentsJson: String): String = "\"vacuumed\""
        })
        val specs = Json.parse(tools.specsJson()).list().associateBy { it.at("name") }
        check(specs["drop_database"]!!.at("needs_approval") == true && specs["vacuum"]!!.at("needs_approval") == false) { "$specs" }
        val refused = tools.call("drop_database", """{"name": "orders"}""")
        check(refused.at("value", "error") == "`drop_database` was not run: it needs a person's approval and nobody can be asked here") { "$refused" }
        check((refused.at("value", "hint") as String).contains("an approval callback")) { "$refused" }
        check(ran.isEmpty()) { "ran without approval: $ran" }
        val approver = Approver()
        tools.onApproval(approver)
        val denied = tools.call("drop_database", """{"name": "orders"}""")
        check(denied.at("value", "error") == "`drop_database` was not run: the user said no") { "$denied" }
        check(ran.isEmpty()) { "ran after a no: $ran" }
        val allowed = tools.call("drop_database", """{"name": "orders"}""")
        check(allowed.at("ok") == true && allowed.at("value") == "dropped") { "$allowed" }
        check(ran.toList() == listOf("""{"name":"orders"}""")) { "$ran" }
        check(Json.parse(approver.asked.first()).at("question") == "Run drop_database (name: orders)? Allow it?") { approver.asked.first() }
        check(tools.call("vacuum").at("ok") == true && approver.asked.size == 2) { "a tool without the flag asked" }
    },
    "approvals: the answer to a Kotlin tool's approval is audited" to {
        val root = teamWorkspace()
        val ann = openAs(root, "ann")
        val tools = ann.tools()
        val ran = ConcurrentLinkedQueue<String>()
        tools.register(
            ToolDefinition(name = "rotate_keys", description = "Rotates the deploy keys.", needsApproval = true),
            object : ToolHandler {
                override suspend fun call(argumentsJson: String): String {
                    ran += "rotated"
                    return "\"rotated\""
                }
            },
        )
        tools.onApproval(object : ApprovalHandler {
            override suspend fun decide(requestJson: String): String =
                """{"decision": "deny", "reason": "not during the release", "user": "ann"}"""
        })
        val denied = tools.call("rotate_keys")
        check(denied.at("value", "error") == "`rotate_keys` was not run: the user (ann) said no") { "$denied" }
        check(ran.isEmpty()) { "$ran" }
        tools.onApproval(object : ApprovalHandler {
            override suspend fun decide(requestJson: String): String = """{"decision": "allow", "user": "ann"}"""
        })
        check(tools.call("rotate_keys").at("ok") == true && ran.size == 1) { "$ran" }
        val entries = Json.parse(ann.audit()).list().map { it.at("entry") }
        val approvals = entries.filter { it.at("kind") == "approval" }
        val seen = approvals.map { listOf(it.at("action"), it.at("outcome"), it.at("args", "via"), it.at("args", "answered_by")) }
        check(seen == listOf(listOf("rotate_keys", "denied", "callback", "ann"), listOf("rotate_keys", "ok", "callback", "ann"))) { "$seen" }
        check(approvals[0].at("args", "reason") == "not during the release") { "${approvals[0]}" }
    },
)
