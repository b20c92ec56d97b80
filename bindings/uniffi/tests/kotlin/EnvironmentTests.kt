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

/** A workspace whose relay.yaml points `infra.proxmox` at [pve] with token `relay@pve!kotlin`. */
fun proxmoxWorkspace(pve: FakeProxmox): Workspace {
    val root = tempDir()
    File(root, "relay.yaml").writeText(
        "repositories:\n  - name: app\ninfra:\n  proxmox:\n    url: ${pve.url}\n    node: ${pve.node}\n" +
            "    token_id: relay@pve!kotlin\n    ca_file: ${pve.ca}\n"
    )
    return Workspace.open(root.path)
}

const val DEBIAN = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"

val proxmoxTests: List<TestCase> = listOf(
    "proxmox environments through the fake PVE API: lxc and qemu, exec, snapshot, rollback, down" to {
        FakeProxmox("relay@pve!kotlin=${proxmoxSecret()}").use { pve ->
            // No provider named: relay.yaml configures Proxmox, so it is chosen (like `relay env`).
            val envs = Environments.open(workspace = proxmoxWorkspace(pve))
            check(envs.providerName() == "proxmox") { envs.providerName() }
            val web = Json.parse(envs.up("web", template = DEBIAN).wait())
            check(web.at("kind") == "lxc" && web.at("status") == "running" && web.at("id") == "100") { "$web" }
            val vm = Json.parse(envs.up("vm", profile = "team_lead", kind = "qemu", template = "9001").wait())
            check(vm.at("kind") == "qemu" && vm.at("cores") == 8.0) { "$vm" }
            val listed = envs.list()
            check(listed.map { it.name } == listOf("web", "vm") && listed.all { it.node == pve.node }) { "$listed" }

            val out = envs.exec("vm", sh("echo from-vm; exit 5"))
            check(out.exitCode == 5 && out.stdout == "from-vm\n") { "$out" }
            val lxc = expectThrows<RelayException.Infra> { envs.exec("web", listOf("true")) }
            check(lxc.code == "unsupported" && lxc.reason.contains("over SSH")) { "${lxc.code}: ${lxc.reason}" }

            check(Json.parse(envs.snapshot("web", "base").wait()).at("name") == "base") { "snapshot" }
            val snapshots = envs.snapshots("web")
            check(snapshots.map { it.name } == listOf("base")) { "$snapshots" }
            envs.rollback("web", "base").wait()
            check(envs.status("web").status == "stopped") { "an LXC rollback leaves it stopped" }
            check(Json.parse(envs.up("web").wait()).at("status") == "running") { "up starts it again" }

            envs.down("web").wait()
            envs.down("vm").wait()
            val gone = expectThrows<RelayException.Infra> { envs.status("web") }
            check(gone.code == "not_found") { gone.code }
        }
    },
    "proxmox with a wrong token secret throws Infra(auth) without showing the secret" to {
        FakeProxmox("relay@pve!kotlin=a-different-secret").use { pve ->
            val envs = Environments.open(provider = "proxmox", workspace = proxmoxWorkspace(pve))
            val auth = expectThrows<RelayException.Infra> { envs.list() }
            check(auth.code == "auth") { "${auth.code}: ${auth.reason}" }
            check(!auth.reason.contains(proxmoxSecret())) { "the secret leaked: ${auth.reason}" }
        }
    },
)
