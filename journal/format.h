// Constants shared by the journal writer and reader. The prose version of this
// format, with a grammar and a worked example, is docs/journal-format.md; the
// two must agree (tests/format_doc_test.cc decodes the document's example).
//
// All integers are little-endian. Checksums are XXH3-64 with seed 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pa_journal::format {

// Segment file: "<20-digit first sequence number>.log" in journal/.
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr int kSegmentNameDigits = 20;

// Segment header, at offset 0 of every segment:
//   magic[8] | version u32 | flags u32 | first_seq u64 | checksum u64
// checksum covers bytes [0, 24).
inline constexpr std::string_view kSegmentMagic{"PAJRNSEG", 8};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kSegmentHeaderChecked = 24;

// Frame, 8-byte aligned, one per record, right after the header or the
// previous frame:
//   checksum u64 | length u32 | type u8 | reserved[3] = 0 | payload[length]
// checksum covers bytes [8, 16 + length): the length, type, reserved bytes and
// payload. length is a multiple of 8 (Cap'n Proto messages are whole words),
// so every frame starts 8-aligned.
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr size_t kFrameChecksumOffset = 0;
inline constexpr size_t kFrameLengthOffset = 8;
inline constexpr size_t kFrameTypeOffset = 12;
inline constexpr size_t kFrameAlignment = 8;
// The largest payload a writer produces and a reader accepts.
inline constexpr uint32_t kMaxPayloadSize = 64u << 20;

// Frame types. A type with kIgnorableBit set may be skipped by a reader that
// does not know it; any other unknown type is damage.
inline constexpr uint8_t kTypeCommit = 1;
// Written by a salvage repair in place of damaged bytes: payload is
// first_lost u64 | last_lost u64 | zero padding. It declares that the records
// first_lost..last_lost are lost for good, so the sequence chain continues at
// last_lost + 1 without reporting a gap again.
inline constexpr uint8_t kTypeLoss = 2;
inline constexpr size_t kLossPayloadSize = 16;
inline constexpr uint8_t kIgnorableBit = 0x80;
// Padding written by a salvage repair over damaged bytes that held no record.
inline constexpr uint8_t kTypePadding = kIgnorableBit | 1;

// A segment may end in reserved space: from a frame boundary to the end of the
// file, every byte is kReservedFill. A writer reserves space ahead of its
// appends (so that a sync after an append has no file size to make durable)
// and cuts off what is left when it closes; a crash leaves it. A reader treats
// it as the segment's end, in any segment. No frame can begin with it: its
// length field would read 0xffffffff, above kMaxPayloadSize.
inline constexpr char kReservedFill = '\xff';

// Durable-end file, journal/DURABLE (journal/durable_end.h): two slots of
// kDurableEndSlotSize bytes at offsets 0 and kDurableEndSlotSize, written in
// turn (counter c goes to slot c % 2), never synced:
//   magic[8] | counter u64 | seq u64 | time_ns i64 | segment u64 | end u64 |
//   reserved u64 = 0 | checksum u64
// checksum covers bytes [0, 56). seq and time_ns are the newest durable
// record's (0 if none), segment the first seq in the name of the segment that
// holds it (0 if there is no segment), end the offset where its frame ends
// (the segment's header size if the segment holds no record yet). A reader
// takes the slot with the larger counter of those whose magic and checksum
// verify; none verifying is the same as no file.
inline constexpr std::string_view kDurableEndMagic{"PAJRNEND", 8};
inline constexpr size_t kDurableEndSlotSize = 64;
inline constexpr size_t kDurableEndSlots = 2;
inline constexpr size_t kDurableEndChecked = 56;

// Cap'n Proto reader limits for one payload: no traversal beyond the payload's
// own size, no deeper nesting than the schema needs.
inline constexpr int kMaxNestingDepth = 16;

}  // namespace pa_journal::format
