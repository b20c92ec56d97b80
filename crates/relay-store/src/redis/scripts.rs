//! Lua scripts that make multi-step changes atomic on the server.

use redis::Script;

/// KEYS: audit list, head. ARGV: expected head ("" when empty), new head, record.
/// Appends only when the head is still the one the record was chained to; returns 1, else 0.
pub(super) fn append_audit() -> Script {
    Script::new(
        r"local head = redis.call('GET', KEYS[2]) or ''
          if head ~= ARGV[1] then return 0 end
          redis.call('RPUSH', KEYS[1], ARGV[3])
          redis.call('SET', KEYS[2], ARGV[2])
          return 1",
    )
}

/// KEYS: key. ARGV: n. Sets the key to n unless it already holds a larger number.
pub(super) fn set_max() -> Script {
    Script::new(
        r"local v = tonumber(redis.call('GET', KEYS[1]) or '0')
          if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
          return 0",
    )
}

/// Server time in ms (one clock for every host sharing the queue).
const NOW: &str = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

/// KEYS: stream, leases hash. ARGV: group, consumer, lease ms.
/// Hands `consumer` the oldest pending entry whose lease ran out, else the next new entry, and
/// records its lease. Returns `{id, job, deliveries}` or nil.
pub(super) fn claim() -> Script {
    Script::new(&format!(
        r"{NOW}
          local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000)
          for _, e in ipairs(pending) do
            local lease_until = tonumber(redis.call('HGET', KEYS[2], e[1]) or '0')
            if lease_until <= now then
              local got = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, e[1])
              if #got > 0 and got[1] then
                redis.call('HSET', KEYS[2], e[1], now + tonumber(ARGV[3]))
                return {{e[1], got[1][2][2], e[4] + 1}}
              end
            end
          end
          local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
          if not read or #read == 0 or #read[1][2] == 0 then return nil end
          local entry = read[1][2][1]
          redis.call('HSET', KEYS[2], entry[1], now + tonumber(ARGV[3]))
          return {{entry[1], entry[2][2], 1}}"
    ))
}

/// KEYS: stream, leases hash. ARGV: group, entry id, consumer, lease ms. Extends the lease if
/// `consumer` still holds the entry; returns 1, else 0.
pub(super) fn renew() -> Script {
    Script::new(&format!(
        r"{NOW}
          local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
          if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
          redis.call('HSET', KEYS[2], ARGV[2], now + tonumber(ARGV[4]))
          return 1"
    ))
}

/// KEYS: sign-in key, the user's sign-in set. ARGV: record, ttl ms, id hash.
/// Stores the sign-in with its TTL and indexes it under its user (the set lives as long as
/// the longest sign-in in it).
pub(super) fn put_signin() -> Script {
    Script::new(
        r"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          redis.call('SADD', KEYS[2], ARGV[3])
          if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
          end
          return 0",
    )
}

/// KEYS: the user's sign-in set. ARGV: the prefix of sign-in keys. Deletes every sign-in of
/// the set and the set, at once (a sign-in stored meanwhile is either deleted or not yet
/// indexed); returns how many sign-ins were live.
pub(super) fn delete_signins() -> Script {
    Script::new(
        r"local n = 0
          for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            n = n + redis.call('DEL', ARGV[1] .. h)
          end
          redis.call('DEL', KEYS[1])
          return n",
    )
}
