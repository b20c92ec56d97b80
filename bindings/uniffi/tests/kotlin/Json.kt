// A small JSON reader for the tests (no JSON library on the test classpath): objects become
// Map<String, Any?>, arrays List<Any?>, numbers Double, plus String, Boolean and null.

import dev.relay.Event

object Json {
    fun parse(text: String): Any? {
        val reader = Reader(text)
        val value = reader.value()
        reader.skipSpace()
        require(reader.at == text.length) { "trailing text at ${reader.at} in $text" }
        return value
    }

    private class Reader(val s: String) {
        var at = 0

        fun skipSpace() {
            while (at < s.length && s[at].isWhitespace()) at++
        }

        fun value(): Any? {
            skipSpace()
            require(at < s.length) { "unexpected end of JSON" }
            return when (val c = s[at]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $at in $s")
            }
        }

        fun literal(word: String, value: Any?): Any? {
            require(s.startsWith(word, at)) { "bad literal at $at" }
            at += word.length
            return value
        }

        fun num(): Double {
            val start = at
            while (at < s.length && (s[at].isDigit() || s[at] in "+-.eE")) at++
            return s.substring(start, at).toDouble()
        }

        fun str(): String {
            at++ // opening quote
            val out = StringBuilder()
            while (true) {
                val c = s[at++]
                when (c) {
                    '"' -> return out.toString()
                    '\\' -> {
                        val e = s[at++]
                        when (e) {
                            'n' -> out.append('\n')
                            't' -> out.append('\t')
                            'r' -> out.append('\r')
                            'b' -> out.append('\b')
                            'f' -> out.append('\u000c')
                            'u' -> { out.append(s.substring(at, at + 4).toInt(16).toChar()); at += 4 }
                            else -> out.append(e)
                        }
                    }
                    else -> out.append(c)
                }
            }
        }

        fun arr(): List<Any?> {
            at++
            val out = mutableListOf<Any?>()
            skipSpace()
            if (s[at] == ']') { at++; return out }
            while (true) {
                out += value()
                skipSpace()
                when (s[at++]) {
                    ',' -> continue
                    ']' -> return out
                    else -> error("expected , or ] at ${at - 1}")
                }
            }
        }

        fun obj(): Map<String, Any?> {
            at++
            val out = LinkedHashMap<String, Any?>()
            skipSpace()
            if (s[at] == '}') { at++; return out }
            while (true) {
                skipSpace()
                val key = str()
                skipSpace()
                require(s[at++] == ':') { "expected : at ${at - 1}" }
                out[key] = value()
                skipSpace()
                when (s[at++]) {
                    ',' -> continue
                    '}' -> return out
                    else -> error("expected , or } at ${at - 1}")
                }
            }
        }
    }
}

/** `obj["a"]["b"]...` for parsed JSON, failing with the path when a step is missing. */
@Suppress("UNCHECKED_CAST")
fun Any?.at(vararg path: Any): Any? {
    var cur = this
    for (step in path) {
        cur = when (step) {
            is String -> (cur as? Map<String, Any?>)?.get(step)
            is Int -> (cur as? List<Any?>)?.getOrNull(step)
            else -> null
        }
    }
    return cur
}

@Suppress("UNCHECKED_CAST")
fun Any?.list(): List<Any?> = this as? List<Any?> ?: error("not a JSON array: $this")

/** The parsed JSON of an event. */
val Event.data: Any? get() = Json.parse(json)
