// Environments from Kotlin with the local provider: real directories with the workspace's
// repositories cloned in, real processes, tar.gz snapshots.

import dev.relay.*
import java.io.File

fun sh(line: String) = listOf("sh", "-c", line)

/** The local provider for a fresh three-repository workspace, environments under `envs/`. */
fun localEnvironments(): Pair<Environments, File> {
    val root = makeWorkspace()
    val ws = Workspace.open(root.path)
    return Environments.open(provider = "local", workspace = ws, localRoot = File(root, "envs").path) to root
}

val environmentTests: List<TestCase> = listOf(
    "local environment: up, status, list, exec, snapshot, rollback restores a file, stop, down" to {
        val (envs, _) = localEnvironments()
        check(envs.providerName() == "local") { envs.providerName() }
        val up = envs.up("dev")
        val events = drain(up)
        check(events.first().kind == "job_started" && events.last().json.contains("\"succeeded\"")) { "${events.map { it.kind }}" }
        val env = Json.parse(up.wait())
        check(env.at("name") == "dev" && env.at("status") == "running" && env.at("provider") == "local") { "$env" }
        val again = Json.parse(envs.up("dev").wait())
        check(again.at("id") == env.at("id")) { "up again made another environment: $again" }

        val status = envs.status("dev")
        check(status.name == "dev" && status.status == "running" && status.kind == "local") { "$status" }
        val listed = envs.list()
        check(listed.map { it.name } == listOf("dev")) { "$listed" }

        val ls = envs.exec("dev", sh("ls; echo v1 > state.txt"))
        check(ls.exitCode == 0) { "$ls" }
        check(ls.stdout.lines().filter { it.isNotBlank() }.sorted() == listOf("backend", "frontend", "shared-api")) { ls.stdout }
        val cat = envs.exec("dev", listOf("cat"), stdin = "piped in\n")
        check(cat.stdout == "piped in\n") { "$cat" }
        val failing = envs.exec("dev", sh("echo oops >&2; exit 3"))
        check(failing.exitCode == 3 && failing.stderr == "oops\n" && failing.stdout == "") { "$failing" }
        val inRepo = envs.exec("dev", listOf("git", "rev-parse", "--abbrev-ref", "HEAD"), cwd = "backend")
        check(inRepo.stdout.trim() == "main") { "$inRepo" }

        val snap = Json.parse(envs.snapshot("dev", "before").wait())
        check(snap.at("name") == "before") { "$snap" }
        envs.exec("dev", sh("echo v2 > state.txt; rm -r backend"))
        check(envs.exec("dev", sh("cat state.txt")).stdout == "v2\n") { "not changed" }
        envs.rollback("dev", "before").wait()
        check(envs.exec("dev", sh("cat state.txt")).stdout == "v1\n") { "rollback did not restore state.txt" }
        check(envs.exec("dev", sh("test -f backend/README.md")).exitCode == 0) { "rollback did not restore backend" }
        val snapshots = envs.snapshots("dev")
        check(snapshots.map { it.name } == listOf("before")) { "$snapshots" }

        val stopped = Json.parse(envs.stop("dev").wait())
        check(stopped.at("status") == "stopped" && envs.status("dev").status == "stopped") { "$stopped" }
        check(Json.parse(envs.up("dev").wait()).at("status") == "running") { "up did not start it again" }

        check(envs.down("dev").wait() == "null") { "down result" }
        val gone = expectThrows<RelayException.Infra> { envs.status("dev") }
        check(gone.code == "not_found" && gone.reason.contains("`dev`")) { "${gone.code}: ${gone.reason}" }
        val left = envs.list()
        check(left.isEmpty()) { "$left" }
    },
    "environment errors are RelayException variants with codes and advice" to {
        val (envs, _) = localEnvironments()
        val provider = expectThrows<RelayException> { Environments.open(provider = "docker") }
        check(provider.toString().contains("use proxmox or local")) { "$provider" }
        val kind = expectThrows<RelayException.Usage> { envs.up("dev", kind = "vm") }
        check(kind.reason.contains("lxc, qemu or local")) { kind.reason }
        val badName = expectThrows<RelayException.Infra> { envs.up("Bad_Name").wait() }
        check(badName.code == "invalid_request" && badName.reason.contains("Bad_Name")) { "${badName.code}: ${badName.reason}" }
        val noCommand = expectThrows<RelayException.Usage> { envs.exec("dev", emptyList()) }
        check(noCommand.reason.contains("needs a command")) { noCommand.reason }
        val ghost = expectThrows<RelayException.Infra> { envs.exec("ghost", sh("true")) }
        check(ghost.code == "not_found" && ghost.reason.contains("relay env ls")) { "${ghost.code}: ${ghost.reason}" }
        val ghostSnap = expectThrows<RelayException.Infra> { envs.snapshot("ghost", "s1").wait() }
        check(ghostSnap.code == "not_found") { ghostSnap.code }
        envs.up("dev").wait()
        val noSnap = expectThrows<RelayException.Infra> { envs.rollback("dev", "never-taken").wait() }
        check(noSnap.code in setOf("not_found", "invalid_request") && noSnap.reason.contains("never-taken")) {
            "${noSnap.code}: ${noSnap.reason}"
        }
        envs.down("dev").wait()
    },
)
