# Varnish in front of the newsroom gateway (Varnish 6 or 7, with the xkey vmod of varnish-modules).
#
# - Caches anonymous GET/HEAD answers: persisted-operation GETs of /graphql, feeds and sitemaps,
#   for as long as the gateway's Cache-Control (or a Surrogate-Control max-age) says.
# - Tags each cached object with the gateway's Surrogate-Key header (`Article Article:12 …`),
#   so the gateway's purger (CDN_PURGE=varnish) removes every page a story event made stale:
#   `PURGE` with `xkey-purge: key1 key2` (xkey), or `BAN` with the same header where the xkey
#   vmod is missing (CDN_PURGE_VARNISH_MODE=ban; then delete the xkey lines below).
# - POSTs, authenticated requests (Authorization), SSE streams and WebSockets go through uncached.
#
# The backend: where the gateway listens (the test replaces these two values with its own).
vcl 4.1;

import std;
import xkey;

backend gateway {
  .host = "127.0.0.1";
  .port = "4000";
  .first_byte_timeout = 35s;
  .between_bytes_timeout = 60s;
}

# Who may purge: the gateways' addresses. Everyone else gets 403.
acl purgers {
  "127.0.0.1";
  "::1";
}

sub vcl_recv {
  if (req.method == "PURGE" || req.method == "BAN") {
    if (client.ip !~ purgers) {
      return (synth(403, "Forbidden"));
    }
    if (!req.http.xkey-purge) {
      return (synth(400, "xkey-purge header required"));
    }
    if (req.method == "PURGE") {
      # Hard purge: the objects are gone at once, no grace copy is served afterwards.
      set req.http.x-purged = xkey.purge(req.http.xkey-purge);
      return (synth(200, "Purged " + req.http.x-purged));
    }
    # Ban: every object whose xkey header holds one of the keys (space-separated, as sent). The
    # expression takes no quotes (they would be part of the regex), so it has no spaces either.
    if (std.ban("obj.http.xkey ~ (^|[[:space:]])(" + regsuball(req.http.xkey-purge, "\s+", "|") + ")([[:space:]]|$)")) {
      return (synth(200, "Banned"));
    }
    return (synth(400, std.ban_error()));
  }
  # WebSockets (graphql-ws) go straight through.
  if (req.http.upgrade ~ "(?i)websocket") {
    return (pipe);
  }
  # Authenticated requests are private answers; SSE streams are live.
  if (req.http.authorization || req.http.accept ~ "text/event-stream") {
    return (pass);
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return (pass);
  }
  # Readers' cookies mean nothing to the gateway: they must not split or bypass the cache.
  unset req.http.cookie;
  return (hash);
}

sub vcl_pipe {
  if (req.http.upgrade) {
    set bereq.http.upgrade = req.http.upgrade;
    set bereq.http.connection = req.http.connection;
  }
}

sub vcl_backend_response {
  # The keys xkey indexes the object by (and the ban above matches).
  if (beresp.http.surrogate-key) {
    set beresp.http.xkey = beresp.http.surrogate-key;
  }
  # Surrogate-Control is for caches like this one and wins over Cache-Control.
  if (beresp.http.surrogate-control ~ "max-age=\d+") {
    set beresp.ttl = std.duration(regsub(beresp.http.surrogate-control, ".*max-age=(\d+).*", "\1") + "s", 0s);
  }
  if (bereq.http.accept ~ "text/event-stream") {
    set beresp.do_stream = true;
  }
}

sub vcl_deliver {
  if (obj.hits > 0) {
    set resp.http.x-cache = "HIT";
  } else {
    set resp.http.x-cache = "MISS";
  }
  # Purge keys are between the gateway and this cache.
  unset resp.http.xkey;
  unset resp.http.surrogate-key;
  unset resp.http.surrogate-control;
}
