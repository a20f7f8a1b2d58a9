# One journal record: a commit of one or more operations, applied atomically.
# The framing around this payload (length, checksum, segment header) is in
# journal/format.h and docs/journal-format.md.
#
# Evolution: fields are only ever added, with new ordinals; readers ignore
# fields they do not know. A change that older readers must not misread bumps
# kFormatVersion in journal/format.h instead.
@0xf25e6b6eec20511b;

$import "/capnp/c++.capnp".namespace("pa_journal::schema");

struct Record {
  seq @0 :UInt64;        # gap-free, starting at 1
  timeNs @1 :Int64;      # commit time, UTC nanoseconds since the Unix epoch
  ops @2 :List(Operation);
  origin @3 :Text;       # optional note, e.g. "restore to 2026-11-25T10:00:00Z"
}

struct Operation {
  kind @0 :Kind;
  collection @1 :Text;
  key @2 :Text;
  document @3 :Text;     # compact JSON; empty for remove

  enum Kind {
    put @0;              # replace the document
    patch @1;            # RFC 7396 JSON merge patch
    remove @2;           # delete the document
  }
}
