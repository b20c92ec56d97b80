// GitHub from Kotlin against the GitHub peer (relay-testkit github), whose every request is
// checked against GitHub's OpenAPI description and GraphQL schema: the same operations and
// results as bindings/python/tests/test_github.py.

import dev.relay.*
import java.io.File
import java.util.concurrent.TimeUnit

/**
 * The GitHub peer (seeded); exits when our stdin to it closes, non-zero (with the reason on its
 * stderr) when Relay sent a request GitHub's API description does not allow: [close] fails then.
 */
class FakeGitHub : AutoCloseable {
    private val process: Process = ProcessBuilder(testkitBin(), "github")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val info: Any? = process.inputStream.bufferedReader().readLine()
        ?.let { Json.parse(it) }
        ?: run { process.destroyForcibly(); error("relay-testkit github did not start") }
    val url = info.at("url") as String
    val graphqlUrl = info.at("graphql_url") as String
    val token = info.at("token") as String

    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        check(process.exitValue() == 0) { "the GitHub peer saw a request GitHub does not allow (its stderr above)" }
    }
}

/** `api` (on GitHub by its URL) and `app` (by its `github:` key, depending on api). */
fun githubWorkspace(): Workspace {
    val root = tempDir()
    for (name in listOf("api", "app")) git(File(root, name).apply { mkdir() }, "init", "-q", "-b", "main")
    File(root, "relay.yaml").writeText(
        "repositories:\n" +
            "  - name: api\n    url: git@github.com:acme/api.git\n" +
            "  - name: app\n    github: acme/app\n    dependencies: [api]\n"
    )
    return Workspace.open(root.path)
}

fun FakeGitHub.open(ws: Workspace): GitHub = GitHub.open(ws, token = token, apiUrl = url, graphqlUrl = graphqlUrl)

val githubTests: List<TestCase> = listOf(
    "github: briefing, pull requests, checks and issues" to {
        FakeGitHub().use { peer ->
            val gh = peer.open(githubWorkspace())
            val briefing = Json.parse(gh.briefing())
            check(briefing.at("repos").list().map { it.at("name") } == listOf("api", "app")) { "$briefing" }
            val kinds = briefing.at("highlights").list().map { it.at("kind") }
            check(kinds == listOf("failing_checks", "review_requested", "urgent_issue", "assigned_issues")) { "$kinds" }
            check(briefing.at("highlights", 0, "text") == "api: 1 check failing on main (test).") { "$briefing" }

            val pulls = Json.parse(gh.pullRequests(reviewRequested = true)).list()
            check(pulls.map { it.at("name") to it.at("author") } == listOf("app" to "maria")) { "$pulls" }
            val number = (pulls[0].at("number") as Double).toULong()
            val pr = Json.parse(gh.pullRequest("app", number))
            val file = mapOf("path" to "src/login.ts", "status" to "added", "additions" to 40.0, "deletions" to 0.0)
            check(pr.at("files", 0) == file) { "${pr.at("files")}" }
            check((pr.at("summary") as String).contains("by maria")) { "${pr.at("summary")}" }

            val checks = Json.parse(gh.checks("api", "main"))
            check(checks.at("state") == "failure" && checks.at("failing") == listOf("test")) { "$checks" }
            val issues = Json.parse(gh.issues()).list()
            check(issues[0].at("title") == "Checkout broken" && issues[0].at("urgent") == true) { "$issues" }
        }
    },
    "github: review, pull requests in dependency order, an issue; merge refused; bad input" to {
        FakeGitHub().use { peer ->
            val gh = peer.open(githubWorkspace())
            val number = (Json.parse(gh.pullRequests()).at(0, "number") as Double).toULong()
            val review = Json.parse(
                gh.review(
                    "app", number, "approve", body = "Nice",
                    commentsJson = """[{"path": "src/login.ts", "line": 3, "body": "Use a constant"}]""",
                )
            )
            check(review.at("url") is String) { "$review" }
            val opened = Json.parse(gh.createPullRequests("rename", "Rename", repos = listOf("app", "api"))).list()
            check(opened.map { it.at("repo") } == listOf("api", "app")) { "$opened" }
            val issue = Json.parse(gh.createIssue("api", "Flaky test", labels = listOf("bug")))
            val issueNumber = (issue.at("number") as Double).toLong()
            check((issue.at("url") as String).endsWith("/issues/$issueNumber")) { "$issue" }

            val refused = expectThrows<RelayException.GitHub> { gh.merge("no-such-branch") }
            check(refused.code == "refused") { "${refused.code}: ${refused.reason}" }
            expectThrows<RelayException.Usage> { gh.review("app", number, "lgtm") }
            val badComments = expectThrows<RelayException.Usage> {
                gh.review("app", number, "comment", commentsJson = "not json")
            }
            check(badComments.reason.contains("comments must be a list of {path, line, body}")) { badComments.reason }
            expectThrows<RelayException.Usage> { gh.merge("rename", method = "fast-forward") }
            val unknown = expectThrows<RelayException.Usage> { gh.pullRequest("nope", 1uL) }
            check(unknown.reason.contains("unknown repository `nope`")) { unknown.reason }
        }
    },
    "github: a missing token names both variables" to {
        // test-bindings.sh runs the JVM without GITHUB_TOKEN and GH_TOKEN.
        check(System.getenv("GITHUB_TOKEN") == null && System.getenv("GH_TOKEN") == null) {
            "GITHUB_TOKEN/GH_TOKEN set: run the tests through scripts/test-bindings.sh kotlin"
        }
        val missing = expectThrows<RelayException.GitHub> { GitHub.open(githubWorkspace()) }
        check(missing.code == "github_missing_token") { missing.code }
        check(missing.reason.contains("GITHUB_TOKEN") && missing.reason.contains("GH_TOKEN")) { missing.reason }
    },
)
